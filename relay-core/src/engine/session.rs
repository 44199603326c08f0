//! The session's state: where the socket is (opening, authenticating, ready, draining,
//! backing off, closed), what a resume needs, the pings and the reconnect backoff, and the
//! params of its own requests.

use super::backoff::Backoff;
use super::deadline::later;
use super::log;
use super::output::Output;
use crate::calling::params::lenient_text;
use crate::config::{Credentials, EngineConfig};
use crate::error::{CommandError, ProtocolError, SessionError};
use crate::event::{Event, Transmit};
use crate::ids::IdGenerator;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::time::Instant;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SessionState {
    /// Before [`Engine::open`].
    Idle,
    /// `Transmit::Open` was emitted; waiting for the socket.
    Opening,
    /// `signalwire.connect` sent; waiting for its answer.
    Authenticating,
    /// Authenticated: requests flow.
    Ready,
    /// The server said `signalwire.disconnect`: new requests wait in the queue while the
    /// socket is read until the server closes it, or until `close_at` when it never does.
    Draining { close_at: Instant },
    /// Waiting to reconnect.
    Backoff { until: Instant },
    /// Over for good.
    Closed,
}

/// The session's state: the socket's lifecycle, what a resume needs, the pings and the
/// reconnect backoff.
#[derive(Debug)]
pub(super) struct Session {
    state: SessionState,
    protocol: Option<String>,
    identity: Option<String>,
    /// A secret: shown by the engine's `Debug` only as present or not.
    authorization_state: Option<String>,
    auth_failures: u32,
    /// Whether any session was ever authenticated: rejections are final only before that.
    had_session: bool,
    /// When the current session became ready; a session that lasted resets the backoff.
    ready_since: Option<Instant>,
    backoff: Backoff,
    next_ping: Option<Instant>,
    missed_pings: u32,
}

/// The params of `signalwire.connect`.
#[derive(Serialize)]
pub(super) struct ConnectParams<'a> {
    version: Version,
    agent: &'a str,
    event_acks: bool,
    authentication: Authentication<'a>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    contexts: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) protocol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_state: Option<&'a str>,
}

/// The protocol version this client speaks.
#[derive(Serialize)]
struct Version {
    major: u32,
    minor: u32,
    revision: u32,
}

/// The credentials as `signalwire.connect` carries them.
#[derive(Serialize)]
#[serde(untagged)]
enum Authentication<'a> {
    Token { project: &'a str, token: &'a str },
    Jwt { jwt_token: &'a str },
}

impl<'a> From<&'a Credentials> for Authentication<'a> {
    fn from(credentials: &'a Credentials) -> Self {
        match credentials {
            Credentials::Token { project, token } => Authentication::Token { project, token },
            Credentials::Jwt { jwt } => Authentication::Jwt { jwt_token: jwt },
        }
    }
}

/// The params of `signalwire.receive` and `signalwire.unreceive`.
#[derive(Serialize)]
pub(super) struct Contexts<'a> {
    pub(super) contexts: &'a [String],
}

/// What an accepted `signalwire.connect` means for the rest of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Accepted {
    /// The old session goes on: its calls and messages stay.
    pub(super) resumed: bool,
    /// The answer named no protocol (the old one, if any, is kept).
    pub(super) no_protocol: bool,
}

impl Session {
    pub(super) fn new(backoff: Backoff) -> Self {
        Self {
            state: SessionState::Idle,
            protocol: None,
            identity: None,
            authorization_state: None,
            auth_failures: 0,
            had_session: false,
            ready_since: None,
            backoff,
            next_ping: None,
            missed_pings: 0,
        }
    }

    pub(super) fn state(&self) -> SessionState {
        self.state
    }

    pub(super) fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    pub(super) fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    pub(super) fn has_authorization_state(&self) -> bool {
        self.authorization_state.is_some()
    }

    pub(super) fn is_ready(&self) -> bool {
        self.state == SessionState::Ready
    }

    pub(super) fn is_closed(&self) -> bool {
        self.state == SessionState::Closed
    }

    /// Whether a socket is open or being opened.
    pub(super) fn has_socket(&self) -> bool {
        matches!(
            self.state,
            SessionState::Opening
                | SessionState::Authenticating
                | SessionState::Ready
                | SessionState::Draining { .. }
        )
    }

    /// Whether frames from the socket are read (once `signalwire.connect` went out).
    pub(super) fn reads_frames(&self) -> bool {
        matches!(
            self.state,
            SessionState::Authenticating | SessionState::Ready | SessionState::Draining { .. }
        )
    }

    /// `Ok(true)` when a request goes out now, `Ok(false)` when it waits in the queue.
    pub(super) fn accepts_requests(&self) -> Result<bool, CommandError> {
        match self.state {
            SessionState::Closed => Err(CommandError::Closed),
            state => Ok(state == SessionState::Ready),
        }
    }

    /// When the session's own timer (reconnect, drain, ping) is next due.
    pub(super) fn next_timeout(&self) -> Option<Instant> {
        match self.state {
            SessionState::Backoff { until } => Some(until),
            SessionState::Draining { close_at } => Some(close_at),
            SessionState::Ready => self.next_ping,
            _ => None,
        }
    }

    /// Whether the reconnect delay is over.
    pub(super) fn reconnect_due(&self, now: Instant) -> bool {
        matches!(self.state, SessionState::Backoff { until } if now >= until)
    }

    /// Whether a drain outlasted its grace.
    pub(super) fn drain_overdue(&self, now: Instant) -> bool {
        matches!(self.state, SessionState::Draining { close_at } if now >= close_at)
    }

    pub(super) fn ping_due(&self, now: Instant) -> bool {
        self.state == SessionState::Ready && self.next_ping.is_some_and(|at| now >= at)
    }

    /// Asks for a socket.
    pub(super) fn start_opening(&mut self, out: &mut Output) {
        // Debug: the driver logs each failed attempt once, with its cause.
        log::debug!(
            resume = self.protocol.is_some(),
            "opening the socket (signalwire.connect follows once it is open)"
        );
        self.state = SessionState::Opening;
        out.transmits.push_back(Transmit::Open);
    }

    /// The socket is open: the params of the `signalwire.connect` to send, resuming the
    /// last session when there was one. `None` when no socket was asked for.
    pub(super) fn authenticate<'a>(
        &'a mut self,
        config: &'a EngineConfig,
    ) -> Option<ConnectParams<'a>> {
        if self.state != SessionState::Opening {
            return None;
        }
        self.state = SessionState::Authenticating;
        Some(ConnectParams {
            version: Version {
                major: 2,
                minor: 0,
                revision: 0,
            },
            agent: &config.agent,
            event_acks: true,
            authentication: (&config.credentials).into(),
            contexts: &config.contexts,
            protocol: self.protocol.as_deref(),
            authorization_state: self.authorization_state.as_deref(),
        })
    }

    /// `signalwire.connect` succeeded with `result`: the session is ready.
    ///
    /// A result that is not an object, or members that are not strings, read as absent.
    pub(super) fn accept(
        &mut self,
        result: &Payload,
        resuming: bool,
        now: Instant,
        ping_interval: std::time::Duration,
    ) -> Accepted {
        let result: Authenticated<'_> = result.parse().unwrap_or_default();
        let protocol = result.protocol.map(Cow::into_owned);
        let resumed = resuming && protocol.is_some() && protocol == self.protocol;
        let no_protocol = protocol.is_none();
        if protocol.is_some() {
            self.protocol = protocol;
        }
        self.identity = result.identity.map(Cow::into_owned);
        log::info!(resumed, "authenticated");
        self.auth_failures = 0;
        self.had_session = true;
        // The backoff is reset only once the session has lasted (see `lose`): a server
        // that drops every session at once must not be hammered once a second.
        self.ready_since = Some(now);
        self.missed_pings = 0;
        self.state = SessionState::Ready;
        self.next_ping = Some(later(now, ping_interval));
        Accepted {
            resumed,
            no_protocol,
        }
    }

    /// `signalwire.connect` was refused: reports it, and returns the error that ends the
    /// session when the rejection is final (`None`: try again after the backoff).
    pub(super) fn reject(
        &mut self,
        code: i64,
        message: String,
        resuming: bool,
        max_auth_failures: u32,
        out: &mut Output,
    ) -> Option<SessionError> {
        self.auth_failures = self.auth_failures.saturating_add(1);
        log::warning!(
            code,
            %message,
            attempts = self.auth_failures,
            resuming,
            "authentication rejected"
        );
        out.event(Event::AuthRejected {
            code,
            message: message.clone(),
            attempts: self.auth_failures,
        });
        if resuming {
            // The server may have refused the resume only: try a fresh session next.
            self.forget_resume();
        }
        // Rejections are final only for a client that never had a session: after one,
        // the cause is more likely the service than the credentials.
        (!self.had_session && self.auth_failures >= max_auth_failures).then_some(
            SessionError::AuthRejected {
                attempts: self.auth_failures,
                message,
            },
        )
    }

    fn forget_resume(&mut self) {
        self.protocol = None;
        self.authorization_state = None;
    }

    /// A ping is due: `true` when one is to be sent, `false` when too many went unanswered
    /// and the socket is to be taken as dead.
    pub(super) fn ping(&mut self, now: Instant, config: &EngineConfig) -> bool {
        if self.missed_pings >= config.max_missed_pings {
            return false;
        }
        self.missed_pings += 1;
        self.next_ping = Some(later(now, config.ping_interval));
        true
    }

    /// A ping was answered.
    pub(super) fn pong(&mut self) {
        self.missed_pings = 0;
    }

    /// The socket is gone (emitting `Close` when we are the one closing): schedules the
    /// reconnect after the backoff.
    pub(super) fn lose(
        &mut self,
        now: Instant,
        close: bool,
        ping_interval: std::time::Duration,
        rng: &mut IdGenerator,
        out: &mut Output,
    ) {
        if close {
            out.transmits.push_back(Transmit::Close);
        }
        self.missed_pings = 0;
        self.next_ping = None;
        // A session that lasted a ping interval was healthy: start the backoff over.
        if let Some(since) = self.ready_since.take() {
            if now.saturating_duration_since(since) >= ping_interval {
                self.backoff.reset();
            }
        }
        let delay = self.backoff.next_delay(rng);
        log::debug!(
            delay_ms = delay.as_millis() as u64,
            resume = self.protocol.is_some(),
            closed_by_us = close,
            "disconnected; reconnecting after the delay"
        );
        self.state = SessionState::Backoff {
            until: later(now, delay),
        };
        out.event(Event::Disconnected {
            reconnect_in: delay,
        });
    }

    /// Ends the session for good, closing its socket; `false` when it was over already.
    pub(super) fn close(&mut self, out: &mut Output) -> bool {
        if self.state == SessionState::Closed {
            return false;
        }
        if self.has_socket() {
            out.transmits.push_back(Transmit::Close);
        }
        self.state = SessionState::Closed;
        self.next_ping = None;
        true
    }

    /// `signalwire.disconnect`: drain a ready session until the server closes the socket
    /// (or the grace is over). `true` when there is nothing to drain and the socket is to
    /// go at once.
    pub(super) fn server_disconnect(
        &mut self,
        restart: bool,
        now: Instant,
        grace: std::time::Duration,
    ) -> bool {
        if restart {
            self.forget_resume();
        }
        match self.state {
            SessionState::Ready => {
                log::info!(
                    restart,
                    "server asked to disconnect: draining until it closes"
                );
                self.next_ping = None;
                self.state = SessionState::Draining {
                    close_at: later(now, grace),
                };
                false
            }
            // Already draining: a repeat changes nothing, least of all the deadline.
            SessionState::Draining { .. } => false,
            // Not authenticated yet: there is nothing to drain.
            _ => true,
        }
    }

    /// `signalwire.authorization.state`: the state the event carried (in its data or beside
    /// it), when it was a string.
    pub(super) fn store_authorization_state(
        &mut self,
        state: Option<&str>,
    ) -> Result<(), ProtocolError> {
        match state {
            Some(state) => {
                self.authorization_state = Some(state.to_owned());
                Ok(())
            }
            None => Err(ProtocolError::InvalidEvent {
                event_type: "signalwire.authorization.state".into(),
                reason: "no authorization_state string".into(),
            }),
        }
    }
}

/// The members of a `signalwire.connect` result the session keeps, read from its text.
#[derive(Default, Deserialize)]
struct Authenticated<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    protocol: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    identity: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::super::log::Warnings;
    use super::*;
    use crate::config::BackoffConfig;
    use crate::frame;
    use serde_json::json;
    use std::time::Duration;

    fn config() -> EngineConfig {
        let mut config = EngineConfig::new(Credentials::token("p", "t"));
        config.backoff = BackoffConfig {
            jitter: 0.0,
            ..BackoffConfig::default()
        };
        config
    }

    fn sink() -> Output {
        Output::new(Warnings::new(Duration::from_secs(1)))
    }

    /// Opens, authenticates at `at` and loses the socket `lasted` later; the reconnect delay.
    fn session_lasting(
        session: &mut Session,
        at: Instant,
        lasted: Duration,
        config: &EngineConfig,
        rng: &mut IdGenerator,
    ) -> Duration {
        let mut out = sink();
        session.start_opening(&mut out);
        assert!(session.authenticate(config).is_some());
        let accepted = session.accept(
            &Payload::from(json!({"protocol": "p1"})),
            false,
            at,
            config.ping_interval,
        );
        assert!(!accepted.no_protocol);
        assert!(session.is_ready());
        session.lose(at + lasted, false, config.ping_interval, rng, &mut out);
        match out.events.pop_back() {
            Some(Event::Disconnected { reconnect_in }) => reconnect_in,
            other => panic!("not a disconnect: {other:?}"),
        }
    }

    #[test]
    fn the_backoff_resets_only_after_a_session_that_lasted() {
        let config = config();
        let mut rng = IdGenerator::new(1);
        let mut session = Session::new(Backoff::new(config.backoff));
        let t0 = Instant::now();
        let short = Duration::from_secs(1);
        let delays: Vec<u64> = (0..3)
            .map(|i| session_lasting(&mut session, t0 + short * i, short, &config, &mut rng))
            .map(|delay| delay.as_secs())
            .collect();
        assert_eq!(
            delays,
            [1, 2, 4],
            "sessions dropped at once keep backing off"
        );
        let lasted = session_lasting(&mut session, t0, config.ping_interval, &config, &mut rng);
        assert_eq!(
            lasted,
            Duration::from_secs(1),
            "a healthy session starts over"
        );
    }

    #[test]
    fn a_resume_names_the_old_session_and_only_the_first_sessions_rejections_are_final() {
        let config = config();
        let mut out = sink();
        let mut session = Session::new(Backoff::new(config.backoff));
        let t0 = Instant::now();
        for attempt in 1..=2 {
            session.start_opening(&mut out);
            session.authenticate(&config).expect("opening");
            let error = session.reject(-32002, "no".into(), false, 2, &mut out);
            assert_eq!(error.is_some(), attempt == 2, "attempt {attempt}");
        }
        let mut session = Session::new(Backoff::new(config.backoff));
        session.start_opening(&mut out);
        let params = session.authenticate(&config).expect("opening");
        assert!(params.protocol.is_none());
        session.accept(
            &Payload::from(json!({"protocol": "p1"})),
            false,
            t0,
            config.ping_interval,
        );
        assert_eq!(session.store_authorization_state(Some("secret")), Ok(()));
        session.lose(
            t0,
            true,
            config.ping_interval,
            &mut IdGenerator::new(1),
            &mut out,
        );
        session.start_opening(&mut out);
        let params = session.authenticate(&config).expect("opening");
        assert_eq!(
            (params.protocol, params.authorization_state),
            (Some("p1"), Some("secret"))
        );
        // A refused resume falls back to a fresh session, and is never final after a session.
        for _ in 0..3 {
            let error = session.reject(-32002, "no".into(), true, 2, &mut out);
            assert!(error.is_none());
            assert!(session.protocol().is_none() && !session.has_authorization_state());
            session.lose(
                t0,
                true,
                config.ping_interval,
                &mut IdGenerator::new(1),
                &mut out,
            );
            session.start_opening(&mut out);
            session.authenticate(&config).expect("opening");
        }
    }

    #[test]
    fn the_session_requests_are_written_from_their_types() {
        let mut config = config().contexts(["office"]);
        config.agent = "relay-rs/test".into();
        let mut session = Session::new(Backoff::new(config.backoff));
        session.start_opening(&mut sink());
        let params = session.authenticate(&config).expect("opening");
        let text = frame::request("r1", "signalwire.connect", &frame::Ids::default(), &params);
        assert_eq!(
            text.expect("written"),
            concat!(
                r#"{"jsonrpc":"2.0","id":"r1","method":"signalwire.connect","params":{"#,
                r#""version":{"major":2,"minor":0,"revision":0},"agent":"relay-rs/test","#,
                r#""event_acks":true,"authentication":{"project":"p","token":"t"},"#,
                r#""contexts":["office"]}}"#
            )
        );
        let jwt = EngineConfig::new(Credentials::jwt("j"));
        let mut session = Session::new(Backoff::new(jwt.backoff));
        session.start_opening(&mut sink());
        session.authenticate(&jwt);
        session.accept(
            &Payload::from(json!({"protocol": "p1"})),
            false,
            Instant::now(),
            jwt.ping_interval,
        );
        assert_eq!(session.store_authorization_state(Some("s")), Ok(()));
        session.lose(
            Instant::now(),
            true,
            jwt.ping_interval,
            &mut IdGenerator::new(1),
            &mut sink(),
        );
        session.start_opening(&mut sink());
        let params = session.authenticate(&jwt).expect("opening");
        let params = serde_json::to_string(&params).expect("written");
        assert!(
            params.ends_with(
                r#""authentication":{"jwt_token":"j"},"protocol":"p1","authorization_state":"s"}"#
            ),
            "{params}"
        );
        let contexts = ["a".to_owned(), "b".to_owned()];
        let text = frame::request(
            "r2",
            "signalwire.receive",
            &frame::Ids::default(),
            &Contexts {
                contexts: &contexts,
            },
        );
        assert_eq!(
            text.expect("written"),
            r#"{"jsonrpc":"2.0","id":"r2","method":"signalwire.receive","params":{"contexts":["a","b"]}}"#
        );
    }

    #[test]
    fn pings_go_out_until_too_many_are_missed() {
        let config = config();
        let mut session = Session::new(Backoff::new(config.backoff));
        let t0 = Instant::now();
        assert!(!session.ping_due(t0), "no pings before a session");
        session.start_opening(&mut sink());
        session.authenticate(&config);
        session.accept(
            &Payload::from(json!({"protocol": "p1"})),
            false,
            t0,
            config.ping_interval,
        );
        let mut at = t0;
        for _ in 0..config.max_missed_pings {
            at += config.ping_interval;
            assert_eq!(session.next_timeout(), Some(at));
            assert!(session.ping_due(at));
            assert!(session.ping(at, &config), "a ping goes out");
        }
        assert!(
            !session.ping(at + config.ping_interval, &config),
            "the socket is dead"
        );
        session.pong();
        assert!(
            session.ping(at + config.ping_interval, &config),
            "an answer counts"
        );
    }
}
