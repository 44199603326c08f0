//! Faults to inject into the fake service: rejected auth, a half-open socket, scripted
//! failure codes, slow answers and sockets that die mid-request.

use super::relay::FakeRelay;
use std::time::Duration;

/// A misbehaviour of the service, set with [`FakeRelay::set_fault`].
///
/// `RejectAuth`, `Silent` and `Delay` last until [`FakeRelay::clear_faults`]; `Reply`,
/// `DropOn` and `FailConnect` fire once each (set several to fire several times).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Every `signalwire.connect` is rejected as if the credentials were wrong.
    RejectAuth,
    /// Frames are read and recorded but nothing is processed or sent, not even pings or
    /// events: every socket looks half-open.
    Silent,
    /// The next request with `method` is answered `{code, message}` and not carried out
    /// (e.g. `"404"`, `"410"`, `"500"`).
    Reply {
        /// The method to fail.
        method: String,
        /// The result's `code`.
        code: String,
    },
    /// Every frame the service sends is held this long first (order is kept).
    Delay(Duration),
    /// The next request with this method closes its socket with no answer.
    DropOn(String),
    /// The next `calling.connect` is accepted (`200`, `connecting`), rings nobody, and
    /// reports `failed` with this `failed_reason` ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    FailConnect {
        /// The `failed_reason`.
        reason: String,
    },
    /// The next request with `method` is answered `{code, message}` with this message, and
    /// not carried out (e.g. a `501` for a `calling.hold` the service lacks).
    ReplyWith {
        /// The method to fail.
        method: String,
        /// The result's `code`.
        code: String,
        /// The result's `message`.
        message: String,
    },
}

impl FakeRelay {
    /// Injects a fault.
    pub fn set_fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Removes every fault. Frames already held by `Delay` still go out at their time.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub(super) fn is_silent(&self) -> bool {
        self.faults.contains(&Fault::Silent)
    }

    pub(super) fn rejects_auth(&self) -> bool {
        self.faults.contains(&Fault::RejectAuth)
    }

    /// The longest `Delay` in force.
    pub(super) fn delay(&self) -> Option<Duration> {
        self.faults
            .iter()
            .filter_map(|f| match f {
                Fault::Delay(d) => Some(*d),
                _ => None,
            })
            .max()
    }

    /// Takes the first one-shot `Reply` or `ReplyWith` for `method`: its code and message.
    pub(super) fn take_reply_fault(&mut self, method: &str) -> Option<(String, String)> {
        let at = self.faults.iter().position(|f| {
            matches!(f, Fault::Reply { method: m, .. } | Fault::ReplyWith { method: m, .. }
                if m == method)
        })?;
        match self.faults.remove(at) {
            Fault::Reply { code, .. } => {
                let message = fault_message(&code).to_owned();
                Some((code, message))
            }
            Fault::ReplyWith { code, message, .. } => Some((code, message)),
            _ => None,
        }
    }

    /// Takes the first one-shot `DropOn` for `method`.
    pub(super) fn take_drop_fault(&mut self, method: &str) -> bool {
        let at = self
            .faults
            .iter()
            .position(|f| matches!(f, Fault::DropOn(m) if m == method));
        match at {
            Some(at) => {
                self.faults.remove(at);
                true
            }
            None => false,
        }
    }
}

impl FakeRelay {
    /// Takes the first one-shot `FailConnect`: its reason.
    pub(super) fn take_connect_fault(&mut self) -> Option<String> {
        let at = self
            .faults
            .iter()
            .position(|f| matches!(f, Fault::FailConnect { .. }))?;
        match self.faults.remove(at) {
            Fault::FailConnect { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The message that goes with a scripted failure code.
pub(super) fn fault_message(code: &str) -> &'static str {
    match code {
        "404" => "Call does not exist",
        "410" => "Call has ended",
        "409" => "Conflict",
        _ => "Simulated failure",
    }
}
