//! Engine configuration: credentials, contexts, timers and limits.
//!
//! Credentials never appear in `Debug` output.

use std::fmt;
use std::time::Duration;

const LONGEST_DAYS: u64 = 365;

/// The longest time-out or interval the engine accepts (a year): anything longer is a
/// mistake, and `Duration::MAX`-like values would overflow `Instant + d`.
pub const LONGEST_DURATION: Duration = Duration::from_secs(LONGEST_DAYS * 24 * 3600);

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
    /// A duration or count that must be positive is zero; names it.
    Zero(&'static str),
    /// A duration beyond [`LONGEST_DURATION`]: adding it to a clock would overflow or it
    /// can never be meant; names it.
    TooLong(&'static str),
    /// The backoff jitter is NaN or outside `0.0..=1.0`.
    InvalidJitter,
    /// The backoff's first delay is longer than its cap.
    BackoffInitialAboveMax,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(name) => write!(f, "missing {name}"),
            ConfigError::Invalid { name, reason } => write!(f, "invalid {name}: {reason}"),
            ConfigError::Zero(name) => write!(f, "{name} must not be zero"),
            ConfigError::TooLong(name) => {
                write!(f, "{name} is longer than {} days", LONGEST_DAYS)
            }
            ConfigError::InvalidJitter => f.write_str("backoff jitter must be within 0.0..=1.0"),
            ConfigError::BackoffInitialAboveMax => {
                f.write_str("the first backoff delay is longer than the cap")
            }
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
    /// Auth rejections after which the session ends, counted only while no session was
    /// ever authenticated: after a first success the engine retries for ever with backoff.
    pub max_auth_failures: u32,
    /// Requests that may wait for a connection.
    pub max_queued_requests: usize,
    /// Cap on active calls and pending dials; inbound offers beyond it are handed back with
    /// `calling.pass` so another consumer can take them. `None` for no cap.
    pub max_active_calls: Option<usize>,
    /// Hard bound on every call the engine tracks: inbound offers, the legs of dials and
    /// connects, and bridged peers. Unlike `max_active_calls` it cannot be switched off:
    /// beyond it offers are passed and legs are not tracked. Default 100,000 (a few hundred
    /// MiB at most, well within a 2-core, 24 GB machine).
    pub max_tracked_calls: usize,
    /// Longest `id` of a server request (`signalwire.event`, `signalwire.ping`) that is
    /// answered, in bytes as written in the frame (a string's quotes included); a longer one is refused unanswered, so the server cannot make the client
    /// echo megabytes. Default 1 KiB (real ids are 36-byte uuids).
    pub max_server_id_len: usize,
    /// Repeated warnings of one kind (refused input, an event dropped for a slow
    /// subscriber, …) are written once per this interval, with the count held back.
    /// Default 10 s.
    pub log_interval: Duration,
    /// How long a dial may wait for `calling.call.dial` to say answered or failed, unless
    /// its plan sets its own ([`DialPlan::timeout`](crate::DialPlan::timeout)).
    pub dial_timeout: Duration,
    /// After `signalwire.disconnect`, how long to wait for the server to close the socket
    /// before closing it ourselves.
    pub disconnect_grace: Duration,
    /// Largest frame accepted from the server, in bytes.
    pub max_frame_size: usize,
    /// Seed of the id and jitter generator.
    pub seed: u64,
    /// Deliver every `calling.call.*` event of a tracked call as an `Event::CallEvent`,
    /// also those already reported as call state or action progress. Off by default:
    /// each such event is copied for it. `Engine::watch_call_events` does the same for one
    /// call (the async client asks it for the calls that have an event subscriber).
    pub every_call_event: bool,
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
            .field("max_tracked_calls", &self.max_tracked_calls)
            .field("max_server_id_len", &self.max_server_id_len)
            .field("log_interval", &self.log_interval)
            .field("max_frame_size", &self.max_frame_size)
            .field("dial_timeout", &self.dial_timeout)
            .field("disconnect_grace", &self.disconnect_grace)
            .field("every_call_event", &self.every_call_event)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// A configuration with the SDKs' defaults: 30 s pings, 3 missed pings, 30 s request
    /// deadline, 1 s → 30 s backoff, 3 auth rejections before a first session, 1024 queued
    /// requests, 1,000 active calls, 120 s dials, 10 s disconnect grace, 10 MiB frames; and
    /// the bounds of this client: 100,000 tracked calls, 1 KiB server request ids, warnings
    /// of one kind once per 10 s.
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
            max_active_calls: Some(1000),
            max_tracked_calls: 100_000,
            max_server_id_len: 1024,
            log_interval: Duration::from_secs(10),
            dial_timeout: Duration::from_secs(120),
            disconnect_grace: Duration::from_secs(10),
            max_frame_size: 10 << 20,
            seed: 0x5EED,
            every_call_event: false,
        }
    }

    /// Sets [`EngineConfig::every_call_event`].
    pub fn every_call_event(mut self, on: bool) -> Self {
        self.every_call_event = on;
        self
    }

    /// Adds contexts to receive calls on: a second call adds to the first.
    pub fn contexts<I, S>(mut self, contexts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.contexts.extend(contexts.into_iter().map(Into::into));
        self
    }

    /// Refuses values that would make the engine panic, spin or never fire a timer.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.credentials.validate()?;
        for (name, value) in self.durations() {
            if value.is_zero() {
                return Err(ConfigError::Zero(name));
            }
            if value > LONGEST_DURATION {
                return Err(ConfigError::TooLong(name));
            }
        }
        let jitter = self.backoff.jitter;
        if !(0.0..=1.0).contains(&jitter) {
            return Err(ConfigError::InvalidJitter);
        }
        if self.backoff.initial > self.backoff.max {
            return Err(ConfigError::BackoffInitialAboveMax);
        }
        for (name, value) in [
            ("max_missed_pings", self.max_missed_pings as usize),
            ("max_auth_failures", self.max_auth_failures as usize),
            ("max_frame_size", self.max_frame_size),
            ("max_active_calls", self.max_active_calls.unwrap_or(1)),
            ("max_tracked_calls", self.max_tracked_calls),
            ("max_server_id_len", self.max_server_id_len),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        Ok(())
    }

    /// The same configuration with every value that `validate` would refuse brought into
    /// range, so that the engine never panics whatever it is given.
    pub(crate) fn clamped(mut self) -> Self {
        let clamp = |d: Duration| d.clamp(Duration::from_millis(1), LONGEST_DURATION);
        self.ping_interval = clamp(self.ping_interval);
        self.request_timeout = clamp(self.request_timeout);
        self.dial_timeout = clamp(self.dial_timeout);
        self.disconnect_grace = clamp(self.disconnect_grace);
        self.backoff.initial = clamp(self.backoff.initial);
        self.backoff.max = clamp(self.backoff.max).max(self.backoff.initial);
        let jitter = self.backoff.jitter;
        self.backoff.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self.max_missed_pings = self.max_missed_pings.max(1);
        self.max_auth_failures = self.max_auth_failures.max(1);
        self.max_frame_size = self.max_frame_size.max(1);
        self.max_active_calls = self.max_active_calls.map(|cap| cap.max(1));
        self.max_tracked_calls = self.max_tracked_calls.max(1);
        self.max_server_id_len = self.max_server_id_len.max(1);
        self.log_interval = clamp(self.log_interval);
        self
    }

    fn durations(&self) -> [(&'static str, Duration); 7] {
        [
            ("log_interval", self.log_interval),
            ("ping_interval", self.ping_interval),
            ("request_timeout", self.request_timeout),
            ("dial_timeout", self.dial_timeout),
            ("disconnect_grace", self.disconnect_grace),
            ("backoff.initial", self.backoff.initial),
            ("backoff.max", self.backoff.max),
        ]
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
    fn defaults_are_valid_and_the_sdks_own() {
        let config = EngineConfig::new(Credentials::token("p", "t"));
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.max_active_calls, Some(1000));
        assert_eq!(config.max_frame_size, 10 * 1024 * 1024);
        assert_eq!(config.dial_timeout, Duration::from_secs(120));
    }

    #[test]
    fn validate_names_what_would_panic_or_spin() {
        let base = || EngineConfig::new(Credentials::token("p", "t"));
        let check = |change: &dyn Fn(&mut EngineConfig), expected: ConfigError| {
            let mut config = base();
            change(&mut config);
            assert_eq!(config.validate(), Err(expected.clone()), "{expected}");
            // Whatever validate refuses, the clamped form is valid.
            assert_eq!(config.clamped().validate(), Ok(()), "{expected}");
        };
        check(&|c| c.backoff.jitter = f64::NAN, ConfigError::InvalidJitter);
        check(&|c| c.backoff.jitter = -0.1, ConfigError::InvalidJitter);
        check(&|c| c.backoff.jitter = 1.5, ConfigError::InvalidJitter);
        check(
            &|c| c.backoff.jitter = f64::INFINITY,
            ConfigError::InvalidJitter,
        );
        check(
            &|c| c.ping_interval = Duration::ZERO,
            ConfigError::Zero("ping_interval"),
        );
        check(
            &|c| c.request_timeout = Duration::MAX,
            ConfigError::TooLong("request_timeout"),
        );
        check(
            &|c| c.dial_timeout = Duration::ZERO,
            ConfigError::Zero("dial_timeout"),
        );
        check(
            &|c| c.disconnect_grace = Duration::MAX,
            ConfigError::TooLong("disconnect_grace"),
        );
        check(
            &|c| c.backoff.max = Duration::MAX,
            ConfigError::TooLong("backoff.max"),
        );
        check(
            &|c| c.backoff.initial = Duration::ZERO,
            ConfigError::Zero("backoff.initial"),
        );
        check(
            &|c| c.backoff.initial = Duration::from_secs(60),
            ConfigError::BackoffInitialAboveMax,
        );
        check(
            &|c| c.max_frame_size = 0,
            ConfigError::Zero("max_frame_size"),
        );
        check(
            &|c| c.max_missed_pings = 0,
            ConfigError::Zero("max_missed_pings"),
        );
        check(
            &|c| c.max_auth_failures = 0,
            ConfigError::Zero("max_auth_failures"),
        );
        check(
            &|c| c.max_active_calls = Some(0),
            ConfigError::Zero("max_active_calls"),
        );
        let mut config = base();
        config.credentials = Credentials::jwt(" ");
        assert_eq!(config.validate(), Err(ConfigError::Missing("jwt")));
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
