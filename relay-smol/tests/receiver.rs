//! The shared stream-receiver suite on smol.

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/receiver.rs"]
mod receiver_suite;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

receiver_tests!(block_on, relay_smol::runtime);
