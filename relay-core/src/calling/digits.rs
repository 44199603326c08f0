//! `calling.bind_digit` / `calling.clear_digit_bindings` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): when the caller presses a
//! sequence of keys, the service runs a RELAY method on the call.

use super::params::Params;
use super::{invalid, CallCommand};
use crate::error::CommandError;
use serde::Serialize;
use serde_json::{Map, Value};

/// `calling.bind_digit`: runs `bind_method` with `params` when the caller presses `digits`.
#[derive(Debug, Clone, PartialEq)]
pub struct BindDigit {
    /// The key sequence (`0-9 # * A-D`), required.
    pub digits: String,
    /// The RELAY method to run (`calling.play`, …), required.
    pub bind_method: String,
    /// Its params (the SDK option `bind_params`); `node_id`/`call_id` are the call's.
    pub params: Option<Map<String, Value>>,
    /// A name for a group of bindings, to clear them together.
    pub realm: Option<String>,
    /// How many times it may fire; `0` (the default) is unlimited.
    pub max_triggers: Option<u32>,
}

impl BindDigit {
    /// Runs `bind_method` when `digits` are pressed.
    pub fn new(digits: impl Into<String>, bind_method: impl Into<String>) -> Self {
        Self {
            digits: digits.into(),
            bind_method: bind_method.into(),
            params: None,
            realm: None,
            max_triggers: None,
        }
    }

    /// The params of the bound method.
    pub fn params(mut self, params: Map<String, Value>) -> Self {
        self.params = Some(params);
        self
    }

    /// The realm.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// How many times it may fire (`0`: unlimited).
    pub fn max_triggers(mut self, max: u32) -> Self {
        self.max_triggers = Some(max);
        self
    }
}

/// Whether `digits` is a non-empty DTMF sequence.
pub(crate) fn is_dtmf(digits: &str) -> bool {
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || "#*ABCD".contains(c))
}

impl CallCommand for BindDigit {
    fn method(&self) -> &'static str {
        "calling.bind_digit"
    }

    fn check(&self) -> Result<(), CommandError> {
        self.wire_params().map(drop)
    }
}

impl BindDigit {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
        if !is_dtmf(&self.digits) {
            return invalid(format!(
                "digits {:?} are not DTMF (0-9 # * A-D)",
                self.digits
            ));
        }
        let method = self.bind_method.trim();
        if !method.starts_with("calling.") || method.len() <= "calling.".len() {
            return invalid(format!(
                "bind method {:?} is not a calling.* method",
                self.bind_method
            ));
        }
        if self.realm.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return invalid("realm is empty");
        }
        Ok(Params::new()
            .set("digits", self.digits.as_str())
            .set("bind_method", method)
            .opt("params", &self.params.clone().map(Value::Object))
            .opt("realm", &self.realm)
            .opt("max_triggers", &self.max_triggers)
            .done())
    }
}

super::params::serialize_via_map!(BindDigit);

/// `calling.clear_digit_bindings`: removes the bindings of one realm, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClearDigitBindings {
    /// Only this realm's; all when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
}

impl ClearDigitBindings {
    /// Every binding.
    pub fn all() -> Self {
        Self::default()
    }

    /// The bindings of `realm`.
    pub fn realm(realm: impl Into<String>) -> Self {
        Self {
            realm: Some(realm.into()),
        }
    }
}

impl CallCommand for ClearDigitBindings {
    fn method(&self) -> &'static str {
        "calling.clear_digit_bindings"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.realm.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return invalid("realm is empty");
        }
        Ok(())
    }
}
