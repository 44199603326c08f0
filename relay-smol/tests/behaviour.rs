//! The shared behaviour suite on smol (its global executor).

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

behaviour_tests!(block_on, relay_smol::runtime);
