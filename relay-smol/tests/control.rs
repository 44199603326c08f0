//! The shared call-control suite on smol.

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/control.rs"]
mod control;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

control_tests!(block_on, relay_smol::runtime);
