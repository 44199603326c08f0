//! The shared messaging suite on smol.

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/messaging.rs"]
mod messaging;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

messaging_tests!(block_on, relay_smol::runtime);
