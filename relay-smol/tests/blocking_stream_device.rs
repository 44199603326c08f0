//! The blocking facade connects a call to a two-way stream device with every option: the
//! same `calling.connect` frame as the async runtimes, over a loopback simulator.

#[allow(unused_macros, unused_imports)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/connect.rs"]
mod connect;

use relay_smol::blocking::BlockingClient;
use relay_smol::receiver::ServerRuntime;
use relay_smol::testkit::{Pacing, SimConfig};
use relay_smol::ConnectPlan;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn blocking_connect_to_a_stream_device_sends_every_option() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(&rt, SimConfig::new(), 100, Pacing::Fast));
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    smol::block_on(suite::offer(&rt, &sim));
    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    call.answer().expect("answer");
    call.connect(ConnectPlan::single(connect::every_option_stream_device()))
        .expect("connected");
    let requests = smol::block_on(sim.requests("calling.connect"));
    assert_eq!(
        requests[0]["params"]["devices"],
        connect::every_option_stream_device_wire()
    );
    client.shutdown().expect("clean shutdown");
}
