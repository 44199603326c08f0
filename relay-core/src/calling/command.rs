//! Call control (§2 of `docs/CALLING-API.md`): the trait every command that is not an action
//! is sent through. Each command puts exactly the spec's params on the wire (only the options
//! that are set) and is refused locally when invalid.

use crate::error::CommandError;
use serde_json::{Map, Value};

/// A call command of §2: one request, a `{code, message}` result, no action object.
pub trait CallCommand {
    /// The RELAY method (`calling.transfer`, …).
    fn method(&self) -> &'static str;

    /// The params without `node_id` and `call_id` (the engine adds them), or why the
    /// options cannot be sent.
    fn to_params(&self) -> Result<Map<String, Value>, CommandError>;
}

/// `Err(InvalidOption)` with `what`.
pub(crate) fn invalid<T>(what: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError::InvalidOption(what.into()))
}

/// A text read from an event field that may be a string or a number (SIP codes).
pub(crate) fn text_of(params: &Value, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
