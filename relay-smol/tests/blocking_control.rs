//! Call control through the blocking facade: no async in the test body, the simulator on
//! loopback.

#[allow(unused_macros, unused_imports)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_smol::blocking::BlockingClient;
use relay_smol::receiver::ServerRuntime;
use relay_smol::testkit::{Pacing, SimConfig};
use relay_smol::{
    AmazonBedrock, BindDigit, CallEnd, ClearDigitBindings, JoinConference, JoinRoom, LiveAction,
    LiveTranslate, QueueEnter, Transfer, UserEvent,
};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn blocking_call_control() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(&rt, SimConfig::new(), 100, Pacing::Fast));
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    smol::block_on(suite::offer(&rt, &sim));
    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    call.answer().expect("answer");
    let mut conference = client.conference_events();

    call.hold().expect("hold");
    call.unhold().expect("unhold");
    call.denoise().expect("denoise");
    call.denoise_stop().expect("denoise stop");
    let joined = call
        .join_conference(JoinConference::new("support"))
        .expect("join");
    let id = joined.conference_id.expect("an id");
    let event = conference
        .next(Duration::from_secs(5))
        .expect("a conference event");
    assert_eq!(event.conference_id.as_deref(), Some(id.as_str()));
    call.leave_conference(&id).expect("leave");
    call.join_room(JoinRoom::new("standup")).expect("join room");
    call.leave_room().expect("leave room");
    let mut entry = call.queue_enter(QueueEnter::new("support")).expect("queue");
    let queued = entry
        .next_event(Duration::from_secs(5))
        .expect("queue event");
    assert_eq!(queued.position, Some(1));
    entry.leave().expect("leave queue");
    call.bind_digit(BindDigit::new("1", "calling.hold"))
        .expect("bind");
    call.clear_digit_bindings(ClearDigitBindings::all())
        .expect("clear");
    call.live_transcribe(LiveAction::start_transcription("en-US"))
        .expect("transcribe");
    call.live_translate(LiveTranslate::new(LiveAction::start_translation(
        "en-US", "es",
    )))
    .expect("translate");
    call.user_event(UserEvent::new("hello"))
        .expect("user event");
    call.amazon_bedrock(AmazonBedrock::new()).expect("bedrock");
    call.transfer(Transfer::url("https://example.com/swml"))
        .expect("transfer");
    assert_eq!(
        call.wait_for_ended_timeout(Duration::from_secs(5)),
        Ok(CallEnd::HandedOver("calling.transfer".into()))
    );
    client.shutdown().expect("clean shutdown");
}
