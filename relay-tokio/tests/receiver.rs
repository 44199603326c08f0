//! The shared stream-receiver suite on tokio.

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/receiver.rs"]
mod receiver_suite;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

receiver_tests!(block_on, relay_tokio::runtime);
