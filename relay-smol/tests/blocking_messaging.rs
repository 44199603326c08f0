//! Messaging through the blocking facade: no async in the test body, a real simulator on
//! loopback. An inbound message is read with `next_message` and answered; the answer is
//! followed to `delivered`, and a failed one to its reason.

#[allow(unused_macros, unused_imports)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_smol::blocking::BlockingClient;
use relay_smol::receiver::ServerRuntime;
use relay_smol::testkit::{Pacing, SimConfig, FAILED_MESSAGE_NUMBER, FAILED_REASON};
use relay_smol::{Error, MessageError, MessageState, SendMessage};
use std::sync::Arc;
use std::time::Duration;

const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";

#[test]
fn blocking_client_reads_a_message_and_answers_it() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(&rt, SimConfig::new(), 0, Pacing::Fast));
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    // Sent before the session is up: it waits in the queue.
    let failed = client
        .send_message(SendMessage::new(FROM, FAILED_MESSAGE_NUMBER).body("x"))
        .expect("accepted");
    let delivered_in = std::time::Instant::now() + Duration::from_secs(10);
    while smol::block_on(sim.deliver_message(suite::CONTEXT, TO, FROM, "HELP")).is_none() {
        assert!(std::time::Instant::now() < delivered_in, "no session");
        std::thread::sleep(Duration::from_millis(5));
    }
    let inbound = client
        .next_message(Duration::from_secs(10))
        .expect("a message");
    assert_eq!(inbound.body.as_deref(), Some("HELP"));
    let reply = client
        .send_message(SendMessage::new(&inbound.to, &inbound.from).body("Help is on the way"))
        .expect("accepted");
    let message = reply
        .wait_timeout(Duration::from_secs(10))
        .expect("delivered");
    assert_eq!(message.state, MessageState::Delivered);
    assert_eq!(reply.state(), MessageState::Delivered);
    let Err(Error::Message(MessageError::Failed { reason, .. })) = failed.wait() else {
        panic!("{:?}", failed.message())
    };
    assert_eq!(reason.as_deref(), Some(FAILED_REASON));
    assert!(client.next_message(Duration::from_millis(10)).is_none());
    client.shutdown().expect("clean shutdown");
}
