//! What the families' options share: serde helpers that write durations and numbers as the
//! wire wants them, the builder setters, and the checks every action's options run.

use crate::error::CommandError;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::Value;
use std::borrow::Cow;
use std::time::Duration;

/// A status url must be HTTP(S).
pub(crate) fn check_status_url(url: &Option<String>) -> Result<(), CommandError> {
    if let Some(url) = url {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(CommandError::InvalidStatusUrl(url.clone()));
        }
    }
    Ok(())
}

/// A volume must be within -40…+40 dB.
pub(crate) fn check_volume(volume: Option<f64>) -> Result<(), CommandError> {
    match volume {
        Some(v) if !(-40.0..=40.0).contains(&v) => Err(CommandError::InvalidOption(format!(
            "volume {v} dB is outside -40…+40"
        ))),
        _ => Ok(()),
    }
}

/// A required text must not be empty.
pub(crate) fn check_nonempty(what: &str, value: &str) -> Result<(), CommandError> {
    if value.trim().is_empty() {
        return Err(CommandError::InvalidOption(format!("{what} is empty")));
    }
    Ok(())
}

/// Which audio of the call an action hears or plays into. Exhaustive: a call has two
/// directions, and `both` covers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaDirection {
    /// What the caller hears.
    Listen,
    /// What the caller says.
    Speak,
    /// Both.
    Both,
}

impl MediaDirection {
    /// The wire form.
    pub fn as_wire(self) -> &'static str {
        match self {
            MediaDirection::Listen => "listen",
            MediaDirection::Speak => "speak",
            MediaDirection::Both => "both",
        }
    }
}

impl From<MediaDirection> for Value {
    fn from(direction: MediaDirection) -> Self {
        direction.as_wire().into()
    }
}

/// Defines the options of an action whose only setting is a status webhook (plus the control
/// id every action has): one definition for `receive_fax` and `transcribe` alike.
macro_rules! status_url_options {
    ($(#[$doc:meta])* $name:ident => $kind:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
        #[non_exhaustive]
        pub struct $name {
            /// HTTP(S) URL for status webhooks.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub status_url: Option<String>,
            /// The control id; generated when unset.
            #[serde(skip)]
            pub control_id: Option<ControlId>,
        }

        impl $name {
            /// Service defaults.
            pub fn new() -> Self {
                Self::default()
            }

            $crate::calling::params::setters! {
                /// HTTP(S) URL for status webhooks.
                status_url: impl String;
                /// A control id of your own.
                control_id: impl ControlId;
            }
        }

        impl ActionRequest for $name {
            fn kind(&self) -> ActionKind {
                ActionKind::$kind
            }

            fn control_id(&self) -> Option<&ControlId> {
                self.control_id.as_ref()
            }

            fn check(&self) -> Result<(), CommandError> {
                check_status_url(&self.status_url)
            }
        }
    };
}
pub(super) use status_url_options;

/// Reads a member that should be a string; any other JSON type reads as absent, never as
/// an error (peer input). Borrows when the text has no escapes.
pub(crate) fn lenient_text<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    d.deserialize_any(Lenient(|v| match v {
        Scalar::Borrowed(s) => Some(Cow::Borrowed(s)),
        Scalar::Owned(s) => Some(Cow::Owned(s)),
        _ => None,
    }))
}

/// Reads a number that may come as a JSON string; anything else reads as absent.
pub(crate) fn lenient_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(Lenient(|v| match v {
        Scalar::Number(n) => Some(n),
        Scalar::Int(n) => Some(n as f64),
        Scalar::UInt(n) => Some(n as f64),
        Scalar::Borrowed(s) => s.parse().ok(),
        Scalar::Owned(s) => s.parse().ok(),
        _ => None,
    }))
}

/// Reads a whole, non-negative number that may come as a JSON string; anything else reads
/// as absent.
pub(crate) fn lenient_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(Lenient(|v| match v {
        Scalar::UInt(n) => Some(n),
        Scalar::Int(n) => u64::try_from(n).ok(),
        Scalar::Number(n) if n >= 0.0 && n.fract() == 0.0 && n <= u64::MAX as f64 => Some(n as u64),
        Scalar::Borrowed(s) => s.trim().parse().ok(),
        Scalar::Owned(s) => s.trim().parse().ok(),
        _ => None,
    }))
}

/// Reads a string, or a number as its text (SIP codes, queue ids); anything else reads as
/// absent.
pub(crate) fn lenient_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Lenient(|v| match v {
        Scalar::Borrowed(s) => Some(s.to_owned()),
        Scalar::Owned(s) => Some(s),
        // Integers keep their exact digits (an f64 would round those above 2^53).
        Scalar::Int(n) => Some(n.to_string()),
        Scalar::UInt(n) => Some(n.to_string()),
        Scalar::Number(n) => Some(n.to_string()),
        _ => None,
    }))
}

/// Reads a boolean; anything else reads as absent.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Lenient(|v| match v {
        Scalar::Bool(b) => Some(b),
        _ => None,
    }))
}

/// A scalar as a lenient reader sees it.
enum Scalar<'de> {
    Borrowed(&'de str),
    Owned(String),
    Number(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    Other,
}

/// A visitor that takes any JSON value, hands scalars to its function and skips the rest.
struct Lenient<F>(F);

impl<'de, T, F: FnOnce(Scalar<'de>) -> Option<T>> Visitor<'de> for Lenient<F> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Owned(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Number(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::UInt(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Bool(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok((self.0)(Scalar::Other))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok((self.0)(Scalar::Other))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok((self.0)(Scalar::Other))
    }
}

/// Enums written as their `as_wire` text.
macro_rules! serialize_as_wire {
    ($($name:ty),*) => {$(
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_wire())
            }
        }
    )*};
}
pub(crate) use serialize_as_wire;

serialize_as_wire!(MediaDirection);

/// Writes an optional duration as JSON seconds, straight to the writer: whole seconds as an
/// integer, else a float; with `skip_serializing_if = "Option::is_none"`.
pub(crate) fn secs<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) if value.subsec_nanos() == 0 => s.serialize_u64(value.as_secs()),
        Some(value) => s.serialize_f64(value.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Writes an optional duration as a string of whole seconds (pay's and ai_hold's `timeout`,
/// typed so by the server schema); with `skip_serializing_if = "Option::is_none"`.
pub(crate) fn secs_text<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.collect_str(&value.as_secs()),
        None => s.serialize_none(),
    }
}

/// Writes an optional value as its `Display` text (pay's numbers and flags, strings in the
/// server schema); with `skip_serializing_if = "Option::is_none"`.
pub(crate) fn as_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.collect_str(value),
        None => s.serialize_none(),
    }
}

/// Builder setters for `Option` fields, the ones every options type repeats (`status_url`,
/// `control_id`, time-outs, flags): `name: impl T;` takes anything `Into<T>`, `name: T;`
/// takes a `T` (numbers, where `Into` would defeat literal inference).
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $name:ident: impl $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$name = Some(value.into());
            self
        }
        $crate::calling::params::setters!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident: $ty:ty; $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
        $crate::calling::params::setters!($($rest)*);
    };
}
pub(crate) use setters;

#[cfg(test)]
mod lenient_tests {
    use super::{lenient_code, lenient_count, lenient_number};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Read {
        #[serde(default, deserialize_with = "lenient_code")]
        code: Option<String>,
        #[serde(default, deserialize_with = "lenient_count")]
        count: Option<u64>,
        #[serde(default, deserialize_with = "lenient_number")]
        number: Option<f64>,
    }

    fn read(text: &str) -> Read {
        serde_json::from_str(text).expect("json")
    }

    #[test]
    fn integers_keep_their_exact_digits() {
        let big = read(r#"{"code":9007199254740993,"count":18446744073709551615,"number":-3}"#);
        assert_eq!(big.code.as_deref(), Some("9007199254740993"));
        assert_eq!(big.count, Some(u64::MAX));
        assert_eq!(big.number, Some(-3.0));
        let signed = read(r#"{"code":-486,"count":-1}"#);
        assert_eq!(signed.code.as_deref(), Some("-486"));
        assert_eq!(signed.count, None);
        let text = read(r#"{"code":"486","count":" 7 ","number":"2.5"}"#);
        assert_eq!(text.code.as_deref(), Some("486"));
        assert_eq!(text.count, Some(7));
        assert_eq!(text.number, Some(2.5));
    }
}
