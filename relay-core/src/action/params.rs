//! A small builder for wire params: only set options are written, and checks shared by
//! every action's options.

use crate::error::CommandError;
use serde_json::{Map, Value};
use std::time::Duration;

/// Params under construction.
#[derive(Debug, Default)]
pub(crate) struct Params(pub(crate) Map<String, Value>);

impl Params {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub(crate) fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `key` when `value` is set.
    pub(crate) fn opt<V: Into<Value> + Clone>(
        &mut self,
        key: &str,
        value: &Option<V>,
    ) -> &mut Self {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value.clone().into());
        }
        self
    }

    /// Sets `key` to the seconds of `value` when set.
    pub(crate) fn secs(&mut self, key: &str, value: Option<Duration>) -> &mut Self {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), seconds(value));
        }
        self
    }

    pub(crate) fn done(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.0)
    }
}

/// A duration as JSON seconds: whole seconds as an integer, else a float.
pub(crate) fn seconds(value: Duration) -> Value {
    if value.subsec_nanos() == 0 {
        Value::from(value.as_secs())
    } else {
        Value::from(value.as_secs_f64())
    }
}

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

/// Which audio of the call an action hears or plays into.
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
