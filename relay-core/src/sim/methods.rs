//! The `calling.*` methods this service knows, from `docs/CALLING-API.md`. Any other
//! `calling.*` method is a JSON-RPC `-32601 Method not found`, as for any unknown method.

/// Part 1 call actions and their controls (§1.1–§1.13), and the call commands the service
/// carries out (answer, end, pass, dial), and connect/disconnect (§2.1).
const MODELLED: &[&str] = &[
    "calling.answer",
    "calling.end",
    "calling.pass",
    "calling.dial",
    "calling.play",
    "calling.play.pause",
    "calling.play.resume",
    "calling.play.volume",
    "calling.play.stop",
    "calling.record",
    "calling.record.pause",
    "calling.record.resume",
    "calling.record.stop",
    "calling.collect",
    "calling.collect.stop",
    "calling.collect.start_input_timers",
    "calling.play_and_collect",
    "calling.play_and_collect.stop",
    "calling.play_and_collect.volume",
    "calling.detect",
    "calling.detect.stop",
    "calling.tap",
    "calling.tap.stop",
    "calling.send_fax",
    "calling.send_fax.stop",
    "calling.receive_fax",
    "calling.receive_fax.stop",
    "calling.pay",
    "calling.pay.stop",
    "calling.transcribe",
    "calling.transcribe.stop",
    "calling.send_digits",
    "calling.ai",
    "calling.ai.stop",
    "calling.ai_message",
    "calling.ai_hold",
    "calling.ai_unhold",
    "calling.echo",
    "calling.stream",
    "calling.stream.stop",
    // §3 messaging.
    "messaging.send",
    // Part 2 call control (§2), modelled in `connect.rs`, `control.rs`, `conference.rs`,
    // `queue.rs` and `bindings.rs`.
    "calling.connect",
    "calling.disconnect",
    "calling.transfer",
    "calling.refer",
    "calling.hold",
    "calling.unhold",
    "calling.denoise",
    "calling.denoise.stop",
    "calling.join_conference",
    "calling.leave_conference",
    "calling.join_room",
    "calling.leave_room",
    "calling.queue.enter",
    "calling.queue.leave",
    "calling.bind_digit",
    "calling.clear_digit_bindings",
    "calling.live_transcribe",
    "calling.live_translate",
    "calling.user_event",
    "calling.amazon_bedrock",
];

/// Methods known to the service and acknowledged with `200` and no effect, not modelled
/// (none left: every method of the specification is modelled).
const ACKNOWLEDGED: &[&str] = &[];

/// Whether the service models `method`.
pub(super) fn is_modelled(method: &str) -> bool {
    MODELLED.contains(&method)
}

/// Whether `method` is a part 2 command the service only acknowledges.
pub(super) fn is_acknowledged(method: &str) -> bool {
    ACKNOWLEDGED.contains(&method)
}
