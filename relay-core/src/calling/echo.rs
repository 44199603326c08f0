//! `calling.echo` ([§1.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the caller hears themselves (a command, not an action).

use super::params::{check_status_url, Params};
use crate::error::CommandError;
use serde_json::{Map, Value};
use std::time::Duration;

/// `calling.echo`: the caller hears themselves (a command, not an action).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EchoOptions {
    /// How long; until the call ends when unset or zero.
    pub timeout: Option<Duration>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
}

impl EchoOptions {
    /// Until the call ends.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// The `calling.echo` params (without ids).
    pub fn to_params(&self) -> Result<Map<String, Value>, CommandError> {
        check_status_url(&self.status_url)?;
        Ok(Params::new()
            .secs("timeout", self.timeout)
            .opt("status_url", &self.status_url)
            .done())
    }
}
