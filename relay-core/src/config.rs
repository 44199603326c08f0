//! Engine configuration: credentials, contexts, timers and limits.
//!
//! Credentials never appear in `Debug` output.

use std::fmt;
use std::time::Duration;

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A project id with an API token.
    Token {
        /// The project id.
        project: String,
        /// The API token (secret).
        token: String,
    },
    /// A JWT (secret).
    Jwt {
        /// The JWT.
        jwt: String,
    },
}

impl Credentials {
    /// Project + API token.
    pub fn token(project: impl Into<String>, token: impl Into<String>) -> Self {
        Credentials::Token {
            project: project.into(),
            token: token.into(),
        }
    }

    /// A JWT.
    pub fn jwt(jwt: impl Into<String>) -> Self {
        Credentials::Jwt { jwt: jwt.into() }
    }

    /// Checks that nothing is empty; names the missing part.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            Credentials::Token { project, .. } if project.trim().is_empty() => {
                Err(ConfigError::Missing("project"))
            }
            Credentials::Token { token, .. } if token.trim().is_empty() => {
                Err(ConfigError::Missing("token"))
            }
            Credentials::Jwt { jwt } if jwt.trim().is_empty() => Err(ConfigError::Missing("jwt")),
            _ => Ok(()),
        }
    }

    pub(crate) fn to_wire(&self) -> serde_json::Value {
        match self {
            Credentials::Token { project, token } => {
                serde_json::json!({"project": project, "token": token})
            }
            Credentials::Jwt { jwt } => serde_json::json!({"jwt_token": jwt}),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Token { project, .. } => f
                .debug_struct("Token")
                .field("project", project)
                .field("token", &"<redacted>")
                .finish(),
            Credentials::Jwt { .. } => f.debug_struct("Jwt").field("jwt", &"<redacted>").finish(),
        }
    }
}

/// A configuration value is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value is missing or empty; names it.
    Missing(&'static str),
    /// A value is invalid.
    Invalid {
        /// Which value.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(name) => write!(f, "missing {name}"),
            ConfigError::Invalid { name, reason } => write!(f, "invalid {name}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Reconnect delays: `initial`, doubling, capped at `max`, each with up to `jitter` of itself
/// added at random so that many clients do not reconnect in step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// The first delay.
    pub initial: Duration,
    /// The cap.
    pub max: Duration,
    /// Fraction of the delay added at random, 0.0 to 1.0.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            jitter: 0.2,
        }
    }
}

/// Everything the engine needs to run a session.
#[derive(Clone)]
pub struct EngineConfig {
    /// Project + token, or JWT.
    pub credentials: Credentials,
    /// Contexts to receive inbound calls on (sent in `signalwire.connect`).
    pub contexts: Vec<String>,
    /// The `agent` string.
    pub agent: String,
    /// How often to ping the server.
    pub ping_interval: Duration,
    /// Unanswered pings after which the socket counts as dead.
    pub max_missed_pings: u32,
    /// Deadline of each request.
    pub request_timeout: Duration,
    /// Reconnect delays.
    pub backoff: BackoffConfig,
    /// Auth rejections, with no success in between, after which the session ends.
    pub max_auth_failures: u32,
    /// Requests that may wait for a connection.
    pub max_queued_requests: usize,
    /// Cap on active calls (inbound beyond it are declined as busy); `None` for no cap.
    pub max_active_calls: Option<usize>,
    /// Largest frame accepted from the server, in bytes.
    pub max_frame_size: usize,
    /// Seed of the id and jitter generator.
    pub seed: u64,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("credentials", &self.credentials)
            .field("contexts", &self.contexts)
            .field("agent", &self.agent)
            .field("ping_interval", &self.ping_interval)
            .field("max_missed_pings", &self.max_missed_pings)
            .field("request_timeout", &self.request_timeout)
            .field("backoff", &self.backoff)
            .field("max_auth_failures", &self.max_auth_failures)
            .field("max_queued_requests", &self.max_queued_requests)
            .field("max_active_calls", &self.max_active_calls)
            .field("max_frame_size", &self.max_frame_size)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// A configuration with the SDKs' defaults: 30 s pings, 3 missed pings, 30 s request
    /// deadline, 1 s → 30 s backoff, 3 auth rejections, 1024 queued requests, 1 MiB frames.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            contexts: Vec::new(),
            agent: concat!("relay-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            ping_interval: Duration::from_secs(30),
            max_missed_pings: 3,
            request_timeout: Duration::from_secs(30),
            backoff: BackoffConfig::default(),
            max_auth_failures: 3,
            max_queued_requests: 1024,
            max_active_calls: None,
            max_frame_size: 1 << 20,
            seed: 0x5EED,
        }
    }

    /// Adds contexts to receive calls on.
    pub fn contexts<I, S>(mut self, contexts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.contexts.extend(contexts.into_iter().map(Into::into));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let config = EngineConfig::new(Credentials::token("proj", "s3cret-token"));
        let text = format!("{config:?}");
        assert!(text.contains("proj"));
        assert!(!text.contains("s3cret"));
        assert!(!format!("{:?}", Credentials::jwt("eyJ.secret")).contains("secret"));
    }

    #[test]
    fn empty_credentials_name_the_missing_part() {
        assert_eq!(
            Credentials::token("", "t").validate(),
            Err(ConfigError::Missing("project"))
        );
        assert_eq!(
            Credentials::token("p", " ").validate(),
            Err(ConfigError::Missing("token"))
        );
        assert_eq!(
            Credentials::jwt("").validate(),
            Err(ConfigError::Missing("jwt"))
        );
    }
}
