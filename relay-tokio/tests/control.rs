//! The shared call-control suite on tokio.

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/control.rs"]
mod control;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

control_tests!(block_on, relay_tokio::runtime);
