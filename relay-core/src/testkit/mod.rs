//! Test tooling: the client against a fake RELAY service in memory on virtual time
//! ([`MemoryRelay`], the way to unit-test an app), and the same fake service over real
//! sockets ([`SimServer`]) with real media streams and status webhooks.

mod clock;
mod executor;
mod media_sender;
mod memory;
mod memory_pipe;
mod messaging;
mod raw_ws;
mod sim_server;
mod status_callback;
mod two_way_caller;
mod two_way_sim;

pub use crate::server::{tls_server_config, Listener, ServerRuntime};
/// What a dialed number does in the simulator (also in `sim`; here so the runtime crates'
/// `testkit` has it).
pub use crate::sim::Dialed;
pub use media_sender::{AudioSource, Pacing};
pub use memory::MemoryRelay;
pub use memory_pipe::{memory_pipe, memory_websocket, MemoryStream};
pub use raw_ws::{RawFrame, RawWebSocket};
pub use sim_server::{
    SimServer, SimServerBuilder, SimServerStats, SIM_AUTH_TIMEOUT, SIM_HANDSHAKE_TIMEOUT,
    SIM_MAX_CONNECTIONS, SIM_MAX_INFLIGHT_BYTES, SIM_MAX_QUEUED_BYTES, SIM_WRITE_TIMEOUT,
};
pub use two_way_caller::{
    run_two_way_caller, run_two_way_caller_until, CallerRecording, TwoWayScript, TwoWayStep,
    MAX_QUEUED_MS,
};
pub use two_way_sim::{default_caller_script, MemoryMediaConn, MemoryMediaListener, TwoWayCallers};
