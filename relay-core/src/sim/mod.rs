//! A sans-IO fake RELAY service (the server side) and an in-memory client↔server harness.
//!
//! [`FakeRelay`] speaks the server half of the protocol with no IO and no clock, like the
//! [`Engine`](crate::Engine) speaks the client half: the driver owns the sockets, feeds
//! `handle_*` inputs, runs commands, then drains [`FakeRelay::poll_output`] and sleeps until
//! [`FakeRelay::poll_timeout`]. [`Pair`] wires one engine to one fake relay in memory, so an
//! application can be unit-tested with no network and with virtual time.
//!
//! Documented choices of this simulator (where the real service is not documented):
//! - Authentication failures are a JSON-RPC error `-32002 "Authentication failed"`; any other
//!   request before authentication gets `-32001 "Not authenticated"`; an unsupported
//!   `version` gets `-32602`. A method the service does not know — any name, `calling.*` ones
//!   included — gets `-32601 "Method not found"`: only the methods of `docs/CALLING-API.md`
//!   exist, so a client cannot rely on a name the real service lacks.
//! - `calling.*` failures are results with a string `code`, as the service does: `400` for
//!   missing or invalid params, `404` for an unknown call or control id (or a control id of
//!   another kind of action: `calling.play.stop` does not stop a play_and_collect), `409` for
//!   a call owned by another session or a control id already active on the call, `410` for a
//!   call that ended recently (the last 10,000 ended ids are remembered).
//! - Part 2 call control ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) is modelled: connect and disconnect in `sim/connect.rs`
//!   (groups rung in order by `sim/ring.rs`, peer legs with the connect's tag, `connected`/`failed`/
//!   `disconnected`, ringback, [`Fault::FailConnect`]); transfer, refer, hold, denoise,
//!   rooms, conferences, queues, digit bindings, live transcription and translation, user
//!   events and Amazon Bedrock in `control.rs` and its siblings, with the choices made where
//!   the spec is silent.
//! - `calling.pass` on an offer gets `200`; the call goes to another connected session
//!   receiving its context (as a new `calling.call.receive`) or stays ringing with no owner,
//!   and commands from the session that passed it get `409`.
//! - A dial rings its whole plan as a connect does (`sim/ring.rs`): groups one after
//!   another, the devices of a group at once, each leg with `calling.call.state` events
//!   carrying the dial's `tag`; the first to answer wins and the others ringing end
//!   `cancel`. [`BUSY_NUMBER`] ends `busy` at once, [`NO_ANSWER_NUMBER`] rings for the
//!   device's `timeout` (30 s when unset) then ends `noAnswer`; every other number answers
//!   at once, sip and webrtc devices too. Then one `calling.call.dial`: `answered` with the
//!   winner as `call` (`dial_winner: true`), or, when no group answers, `failed` with the
//!   `reason` the last leg ended for and `source` `outbound`. The legs of a dial run on one
//!   node, the `node_id` of its `calling.call.dial`. Every device and option of [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) is
//!   checked (`400` otherwise); connect-only devices (call, queue, stream) are `400`.
//! - A `calling.end` from the client finishes each open action with its own terminal event
//!   before `ending`/`ended`; a far-end hangup ([`FakeRelay::end_call`]) sends only
//!   `ending`/`ended`, leaving it to the client to finish what was open. The spec documents
//!   neither ([§0](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Common facts", [§6.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) make it a client rule); both paths exist so that a
//!   client is tested on both.
//! - Server-originated frames for a session with no connection are queued (bounded) and
//!   delivered after it resumes; frames already sent on a socket that died unacknowledged are
//!   not sent again.
//!
//! Call actions ([§1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), each on the virtual clock and scripted by [`CallerScript`]:
//! - play ([§1.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `playing`, then `finished` after `play_duration` × `loop` (`loop: 0` until
//!   stopped). A list with an item that is not a valid media object ([§1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Media object": the
//!   nested form with its required param) is accepted, then fails with `error` at once: the
//!   request is well formed, the media cannot be rendered. An empty or missing list is `400`.
//!   A pause of a paused play and a resume of a playing one send nothing.
//! - record ([§1.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the start result carries `url` (TS-Gen); `recording`, then `finished`
//!   with top-level `url`, `duration` (s) and `size` (bytes) where JS-Types puts them, the
//!   request's `record` echoed in each event. A stop or call end finishes with the time so
//!   far and the size scaled to it; `behavior: silence` pauses count in the duration.
//! - collect ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): events carry `result`, `final` and `state` (JS-Types' later version):
//!   interim ones `final: false`, `state: collecting`; the end `final: true`, `state`
//!   `finished` (or `error` for an error result). The caller answers `input_delay` after the
//!   start; keys it does not listen for (or words without `speech`) go unheard. The
//!   `initial_timeout` runs only from `start_input_timers` (flag or method), as G ties them.
//!   A stop or call end sends `final: true`, `state: finished` and **no** `result`: the spec
//!   names none, and an invented `no_input` would misreport the caller. With `continuous`, a
//!   digit or speech result is reported and the collect listens on until stopped.
//! - play_and_collect ([§1.4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the prompt's `calling.call.play` and the result's
//!   `calling.call.collect` on one control id; the caller answers `input_delay` after the
//!   prompt ends (no barge-in) and the input timers start there unless started earlier. A
//!   collect that ends during the prompt stops it (`play` `finished` first).
//! - detect ([§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): no top-level `state`; the outcome and the end are in
//!   `detect.params.event`. A machine sends `MACHINE`, `NOT_READY`, then `READY` when the
//!   greeting ends, with `beep: true` on `READY` when it beeped (the event a client waiting
//!   for the beep ends on). After its result the detector runs on until `timeout`
//!   (`finished`), as [§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) says the service does.
//! - fax ([§1.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): one `page` per page, then `finished` (`success: true`) or `error`
//!   (`success: false`); no top-level `state`. A stop or call end: `finished`,
//!   `success: false`, pages so far.
//! - pay ([§1.8](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): nothing until the end (only `state` is documented), then `finished` with
//!   the scripted fields, or `error`. tap ([§1.6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `tapping`, then `finished` on stop or call
//!   end; an rtp tap's result carries a `source_device`. transcribe ([§1.9](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): one per call
//!   (`409`), `finished` with `url`, `recording_id`, `duration`, `size` on stop or call end.
//!   send_digits ([§1.10](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `finished` after 0.1 s per tone, 0.5 s per `w`, 1 s per `W`; it has
//!   no stop. ai ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): no event while it runs; `calling.call.ai` `finished` on stop or
//!   call end, the event the SDKs listen for "if any"; `ai_message`/`ai_hold`/`ai_unhold`
//!   need a running agent (`409` without one, as other refusals of a call's state). echo ([§1.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `200`, no event (its states are
//!   undocumented).
//! - Messaging ([§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `messaging.send` is checked (`400` for a missing or mistyped param, a
//!   number that is not E.164, or neither body nor media), accepted with a `message_id`,
//!   then `queued` → `initiated` → `sent` → `delivered` every [`MESSAGE_STATE_INTERVAL`];
//!   [`UNDELIVERED_NUMBER`] and [`FAILED_MESSAGE_NUMBER`] end `undelivered` / `failed` with a
//!   reason; `Fault::Reply` on `messaging.send` refuses a send.
//!   [`FakeRelay::deliver_message`] sends an inbound `messaging.receive`.
//! - [`FakeRelay::send_event`] injects any other event for client tests;
//!   [`FakeRelay::caller_presses`] has the caller press keys (digit bindings).

mod actions;
mod bindings;
mod calls;
mod conference;
mod config;
mod connect;
mod control;
mod faults;
mod messaging;
mod methods;
mod output;
mod pair;
mod queue;
mod relay;
mod ring;
mod script;
mod session;
mod two_way;

pub use config::{SimConfig, DEFAULT_MAX_RECORDED_BYTES, DEFAULT_MAX_RECORDED_FRAMES};
pub use faults::Fault;
pub use messaging::{
    FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL, UNDELIVERED_NUMBER,
    UNDELIVERED_REASON,
};
pub use output::{MediaJob, SimOutput};
pub use pair::Pair;
pub use relay::FakeRelay;
pub use script::{
    AnsweredBy, CallerInput, CallerScript, Dialed, FaxScript, FaxTone, PayScript, RecordingScript,
};

/// A `to_number` that is never answered: its leg rings for the device's `timeout` (30 s when
/// unset), then ends with `noAnswer`.
pub const NO_ANSWER_NUMBER: &str = "+15550000000";

/// A `to_number` that is always busy: its leg ends with `busy` at once.
pub const BUSY_NUMBER: &str = "+15550000486";

/// One client socket, numbered by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}
