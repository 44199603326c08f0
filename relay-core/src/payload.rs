//! An event's data as the server sent it: its JSON text, kept once and read on demand.
//!
//! Events and outcomes carry a [`Payload`] instead of a parsed tree, so that the data costs
//! one copy of its text until someone asks for a typed value or a `serde_json::Value`.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;

/// The raw JSON of an event's params (or a result), exactly as received.
///
/// Read it with [`Payload::parse`] into your own type (borrowing from the text where the
/// type allows), with [`Payload::to_value`] for a `serde_json::Value`, or take the text
/// itself with [`Payload::as_str`]. Cloning shares the text.
///
/// Two payloads are equal when their texts are: compare with a `Value` (`payload ==
/// json!(…)`) to compare the JSON regardless of spacing and key order.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Payload(Arc<str>);

impl Payload {
    /// The JSON text, or an error when `text` is not JSON.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Ok(Self::from_raw(raw))
    }

    /// The text of a value (what a test or a simulator builds).
    pub fn from_value(value: &Value) -> Self {
        Self(Arc::from(value.to_string()))
    }

    /// `null`: an event that came without params.
    pub fn null() -> Self {
        Self(Arc::from("null"))
    }

    /// Already validated JSON text (borrowed from a frame).
    pub(crate) fn from_raw(raw: &RawValue) -> Self {
        Self::from_text(raw.get())
    }

    /// JSON text the caller has already validated (an event's params read from a frame).
    pub(crate) fn from_text(text: &str) -> Self {
        Self(Arc::from(text))
    }

    /// The JSON text as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads the payload as `T`; `T` may borrow from the text (`&str`, `Cow<str>`).
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The payload as a `serde_json::Value` tree (built on each call).
    pub fn to_value(&self) -> Value {
        // The text was JSON when the payload was made, so this cannot fail; `Null` keeps
        // the function total rather than panicking on an impossible case.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The member `key` of an object payload, as a `Value` (`None` when absent or when the
    /// payload is not an object).
    pub fn get(&self, key: &str) -> Option<Value> {
        match self.to_value() {
            Value::Object(mut map) => map.remove(key),
            _ => None,
        }
    }
}

impl Default for Payload {
    fn default() -> Self {
        Self::null()
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Self {
        Self::from_value(&value)
    }
}

impl From<&Value> for Payload {
    fn from(value: &Value) -> Self {
        Self::from_value(value)
    }
}

impl PartialEq<Value> for Payload {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({})", self.0)
    }
}

impl std::fmt::Display for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Payload {
    /// Writes the JSON as received (not as a string holding it).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_exact_text_and_reads_it_on_demand() {
        let text = r#"{"b": 1,  "a":"x\u0041"}"#;
        let payload = Payload::from_json(text).expect("json");
        assert_eq!(payload.as_str(), text);
        assert_eq!(payload.to_string(), text);
        assert_eq!(format!("{payload:?}"), format!("Payload({text})"));
        assert_eq!(payload, json!({"a": "xA", "b": 1}));
        assert_eq!(payload.get("b"), Some(json!(1)));
        #[derive(Deserialize, PartialEq, Debug)]
        struct B {
            b: u8,
        }
        assert_eq!(payload.parse::<B>().expect("typed"), B { b: 1 });
        assert_eq!(
            serde_json::to_string(&json!({"p": payload})).expect("json"),
            r#"{"p":{"a":"xA","b":1}}"#
        );
        assert!(Payload::from_json("{").is_err());
        assert_eq!(Payload::default().get("a"), None);
    }
}
