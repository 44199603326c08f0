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
//!   `version` gets `-32602`. Unknown non-`calling.*` methods get `-32601`.
//! - `calling.*` failures are results with a string `code`, as the service does: `400` for
//!   missing or invalid params, `404` for an unknown call or control id, `409` for a call owned
//!   by another session or a control id already active on the call, `410` for a call that
//!   ended recently (the last 10,000 ended ids are remembered).
//! - `calling.pass` on an offer gets `200`; the call goes to another connected session
//!   receiving its context (as a new `calling.call.receive`) or stays ringing with no owner,
//!   and commands from the session that passed it get `409`.
//! - Dialling [`NO_ANSWER_NUMBER`] fails with `noAnswer`, [`BUSY_NUMBER`] with `busy`; every
//!   other number answers at once.
//! - A `calling.end` from the client finishes each open action with its own `finished` event
//!   before `ending`/`ended`; a far-end hangup ([`FakeRelay::end_call`]) sends only
//!   `ending`/`ended`, leaving it to the client to finish what was open. Both paths occur.
//! - Server-originated frames for a session with no connection are queued (bounded) and
//!   delivered after it resumes; frames already sent on a socket that died unacknowledged are
//!   not sent again.

mod actions;
mod calls;
mod config;
mod faults;
mod methods;
mod output;
mod pair;
mod relay;
mod script;
mod session;

pub use config::SimConfig;
pub use faults::Fault;
pub use output::{MediaJob, SimOutput};
pub use pair::Pair;
pub use relay::FakeRelay;
pub use script::{
    AnsweredBy, CallerInput, CallerScript, FaxScript, FaxTone, PayScript, RecordingScript,
};

/// A `to_number` that is never answered: the dial fails and the call ends with `noAnswer`.
pub const NO_ANSWER_NUMBER: &str = "+15550000000";

/// A `to_number` that is always busy: the dial fails and the call ends with `busy`.
pub const BUSY_NUMBER: &str = "+15550000486";

/// One client socket, numbered by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}
