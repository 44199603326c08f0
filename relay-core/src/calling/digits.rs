//! `calling.bind_digit` / `calling.clear_digit_bindings` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): when the caller presses a
//! sequence of keys, the service runs a RELAY method on the call.

use super::params::setters;
use super::{invalid, CallCommand};
use crate::error::CommandError;
use serde::Serialize;
use serde_json::{Map, Value};

/// `calling.bind_digit`: runs `bind_method` with `params` when the caller presses `digits`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct BindDigit {
    /// The key sequence (`0-9 # * A-D`), required.
    pub digits: String,
    /// The RELAY method to run (`calling.play`, …), required; sent trimmed.
    #[serde(serialize_with = "trimmed")]
    pub bind_method: String,
    /// Its params (the SDK option `bind_params`), a JSON object of your own: they are the
    /// bound method's, whatever it is (any `calling.*` method, so no one type fits);
    /// `node_id`/`call_id` are the call's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Map<String, Value>>,
    /// A name for a group of bindings, to clear them together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// How many times it may fire; `0` (the default) is unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_triggers: Option<u32>,
}

fn trimmed<S: serde::Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.trim())
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

    setters! {
        /// The params of the bound method.
        params: Map<String, Value>;
        /// The realm.
        realm: impl String;
        /// How many times it may fire (`0`: unlimited).
        max_triggers: u32;
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
        Ok(())
    }
}

/// `calling.clear_digit_bindings`: removes the bindings of one realm, or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
