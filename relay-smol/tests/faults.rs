//! The shared fault suite on smol.

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/faults.rs"]
mod faults;

#[macro_use]
#[path = "../../relay-core/tests/driver_suite/connect_faults.rs"]
mod connect_faults;

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    smol::block_on(future)
}

fault_tests!(block_on, relay_smol::runtime);
connect_fault_tests!(block_on, relay_smol::runtime);
