//! `calling.echo` ([§1.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the caller hears themselves (a command, not an action).

use super::params::{check_status_url, secs, setters};
use super::CallCommand;
use crate::error::CommandError;
use serde::Serialize;
use std::time::Duration;

/// `calling.echo`: the caller hears themselves (a command, not an action).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EchoOptions {
    /// How long; until the call ends when unset or zero.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub timeout: Option<Duration>,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

impl EchoOptions {
    /// Until the call ends.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// How long.
        timeout: Duration;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
    }
}

impl CallCommand for EchoOptions {
    fn method(&self) -> &'static str {
        "calling.echo"
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.status_url)
    }
}
