//! The session: opening the socket, authenticating, resuming, pings, server requests, reconnect
//! and the final close.

use super::requests::PendingKind;
use super::{later, log, Engine, SessionState};
use crate::error::{CommandError, ProtocolError, SessionError};
use crate::event::{Event, Transmit};
use crate::frame;
use crate::ids::RequestId;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::time::Instant;

impl Engine {
    /// Starts the session: emits `Transmit::Open`. Later calls do nothing.
    pub fn open(&mut self, _now: Instant) {
        if self.state == SessionState::Idle {
            self.start_opening();
        }
    }

    pub(super) fn start_opening(&mut self) {
        // Debug: the driver logs each failed attempt once, with its cause.
        log::debug!(
            resume = self.protocol.is_some(),
            "opening the socket (signalwire.connect follows once it is open)"
        );
        self.state = SessionState::Opening;
        self.transmits.push_back(Transmit::Open);
    }

    /// The socket asked for by `Transmit::Open` is open: authenticate.
    pub fn handle_connected(&mut self, now: Instant) {
        if self.state != SessionState::Opening {
            return;
        }
        self.state = SessionState::Authenticating;
        let mut params = Map::new();
        params.insert(
            "version".into(),
            json!({"major": 2, "minor": 0, "revision": 0}),
        );
        params.insert("agent".into(), self.config.agent.clone().into());
        params.insert("event_acks".into(), true.into());
        params.insert("authentication".into(), self.config.credentials.to_wire());
        if !self.config.contexts.is_empty() {
            params.insert("contexts".into(), json!(self.config.contexts));
        }
        let resuming = self.protocol.is_some();
        if let Some(protocol) = &self.protocol {
            params.insert("protocol".into(), protocol.clone().into());
        }
        if let Some(state) = &self.authorization_state {
            params.insert("authorization_state".into(), state.clone().into());
        }
        let deadline = later(now, self.config.request_timeout);
        self.send_now(
            "signalwire.connect",
            params,
            PendingKind::Connect { resuming },
            Some(deadline),
        );
    }

    /// The socket closed, or `Transmit::Open` failed. Schedules a reconnect.
    pub fn handle_disconnected(&mut self, now: Instant) {
        if matches!(
            self.state,
            SessionState::Opening
                | SessionState::Authenticating
                | SessionState::Ready
                | SessionState::Draining { .. }
        ) {
            self.lose_connection(now, false);
        }
    }

    /// Ends the session: closes the socket and resolves every request and action.
    pub fn shutdown(&mut self, _now: Instant) {
        self.close(SessionError::Shutdown);
    }

    /// Subscribes to more contexts (`signalwire.receive`); they are kept for reconnects.
    pub fn receive(
        &mut self,
        contexts: &[String],
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let id = self.submit(
            "signalwire.receive",
            contexts_params(contexts),
            PendingKind::User,
            now,
        )?;
        for context in contexts {
            if !self.config.contexts.contains(context) {
                self.config.contexts.push(context.clone());
            }
        }
        Ok(id)
    }

    /// Unsubscribes from contexts (`signalwire.unreceive`).
    pub fn unreceive(
        &mut self,
        contexts: &[String],
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let id = self.submit(
            "signalwire.unreceive",
            contexts_params(contexts),
            PendingKind::User,
            now,
        )?;
        self.config.contexts.retain(|c| !contexts.contains(c));
        Ok(id)
    }

    /// Sends any request (`execute(method, params)`), as the official SDKs allow.
    pub fn execute(
        &mut self,
        method: &str,
        params: Value,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let Value::Object(params) = params else {
            return Err(CommandError::ParamsNotAnObject);
        };
        self.submit(method, params, PendingKind::User, now)
    }

    pub(super) fn handle_connect_result(
        &mut self,
        outcome: Result<Value, (i64, String)>,
        resuming: bool,
        now: Instant,
    ) {
        match outcome {
            Ok(result) => {
                let protocol = result
                    .get("protocol")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let resumed = resuming && protocol.is_some() && protocol == self.protocol;
                if !resumed {
                    // A fresh session: the server has forgotten the old one's calls.
                    self.forget_calls_of_old_session();
                    self.forget_messages_of_old_session();
                }
                if protocol.is_some() {
                    self.protocol = protocol;
                } else {
                    self.protocol_error(ProtocolError::InvalidFrame(
                        "signalwire.connect result has no protocol".into(),
                    ));
                }
                self.identity = result
                    .get("identity")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                log::info!(resumed, "authenticated");
                self.auth_failures = 0;
                self.had_session = true;
                // The backoff is reset only once the session has lasted (see
                // `lose_connection`): a server that drops every session at once must not
                // be hammered once a second.
                self.ready_since = Some(now);
                self.missed_pings = 0;
                self.state = SessionState::Ready;
                self.next_ping = Some(later(now, self.config.ping_interval));
                self.flush_queue();
                self.events.push_back(Event::Ready {
                    protocol: self.protocol.clone().unwrap_or_default(),
                    resumed,
                });
            }
            Err((code, message)) => {
                self.auth_failures = self.auth_failures.saturating_add(1);
                log::warning!(
                    code,
                    %message,
                    attempts = self.auth_failures,
                    resuming,
                    "authentication rejected"
                );
                self.events.push_back(Event::AuthRejected {
                    code,
                    message: message.clone(),
                    attempts: self.auth_failures,
                });
                if resuming {
                    // The server may have refused the resume only: try a fresh session next.
                    self.protocol = None;
                    self.authorization_state = None;
                }
                // Rejections are final only for a client that never had a session: after
                // one, the cause is more likely the service than the credentials.
                if !self.had_session && self.auth_failures >= self.config.max_auth_failures {
                    self.close(SessionError::AuthRejected {
                        attempts: self.auth_failures,
                        message,
                    });
                } else {
                    self.lose_connection(now, true);
                }
            }
        }
    }

    /// Sends a ping, or declares the socket dead when too many went unanswered.
    pub(super) fn ping(&mut self, now: Instant) {
        if self.missed_pings >= self.config.max_missed_pings {
            self.lose_connection(now, true);
            return;
        }
        self.missed_pings += 1;
        // Both SDKs send empty params.
        self.send_now("signalwire.ping", Map::new(), PendingKind::Ping, None);
        self.next_ping = Some(later(now, self.config.ping_interval));
    }

    /// Drops the current socket (emitting `Close` when we are the one closing) and
    /// schedules the reconnect.
    pub(super) fn lose_connection(&mut self, now: Instant, close: bool) {
        if close {
            self.transmits.push_back(Transmit::Close);
        }
        // Pings of the dead socket can never be answered now.
        self.pending.retain(|_, p| p.kind != PendingKind::Ping);
        self.fail_sent_requests();
        self.missed_pings = 0;
        self.next_ping = None;
        // A session that lasted a ping interval was healthy: start the backoff over.
        if let Some(since) = self.ready_since.take() {
            if now.saturating_duration_since(since) >= self.config.ping_interval {
                self.backoff.reset();
            }
        }
        let delay = self.backoff.next_delay(&mut self.rng);
        log::debug!(
            delay_ms = delay.as_millis() as u64,
            resume = self.protocol.is_some(),
            closed_by_us = close,
            "disconnected; reconnecting after the delay"
        );
        self.state = SessionState::Backoff {
            until: later(now, delay),
        };
        self.events.push_back(Event::Disconnected {
            reconnect_in: delay,
        });
    }

    /// Ends the session for good.
    pub(super) fn close(&mut self, reason: SessionError) {
        if self.state == SessionState::Closed {
            return;
        }
        if matches!(
            self.state,
            SessionState::Opening
                | SessionState::Authenticating
                | SessionState::Ready
                | SessionState::Draining { .. }
        ) {
            self.transmits.push_back(Transmit::Close);
        }
        log::info!(%reason, "session closed");
        self.state = SessionState::Closed;
        self.next_ping = None;
        // Actions first, so an action whose start is in flight ends as `SessionClosed`;
        // dials next, so each completes once with its own reason.
        self.close_all_calls();
        self.close_all_dials();
        self.close_all_messages();
        self.fail_all_requests();
        self.events.push_back(Event::Closed(reason));
    }

    pub(super) fn handle_server_request(
        &mut self,
        id: Option<Cow<'_, str>>,
        method: &str,
        params: frame::Params<'_>,
        now: Instant,
    ) {
        let known = matches!(
            method,
            "signalwire.event" | "signalwire.ping" | "signalwire.disconnect"
        );
        // An absurd id is not echoed (a megabyte ping id would make us write a megabyte per
        // ping): the request is refused unanswered, and an event in it is not processed, so
        // that a server that meant it sends it again.
        if let Some(len) = id.as_deref().map(str::len) {
            let limit = self.config.max_server_id_len;
            if len > limit {
                self.protocol_error(ProtocolError::ServerIdTooLong { len, limit });
                return;
            }
        }
        // Ack first, then process: the server must not resend what we already have.
        if let Some(id) = id.as_deref() {
            let reply = if known {
                frame::ack(id)
            } else {
                log::debug!(method, "unknown server method answered with -32601");
                frame::error_reply(id, -32601, "Method not found")
            };
            self.transmits.push_back(Transmit::Send(reply));
        }
        match method {
            "signalwire.event" => match params.event_type {
                Some(event_type) => {
                    self.handle_event(&event_type, params.params, params.authorization_state, now)
                }
                None => self.protocol_error(ProtocolError::InvalidFrame(
                    "signalwire.event without event_type".into(),
                )),
            },
            "signalwire.ping" => {}
            "signalwire.disconnect" => {
                let restart = params.restart.and_then(|r| r.as_bool()) == Some(true);
                self.server_disconnect(restart, now)
            }
            other => self.protocol_error(ProtocolError::UnknownMethod(other.to_owned())),
        }
    }

    /// `signalwire.disconnect`: keep reading (answers to what is in flight still arrive) but
    /// send nothing new until the server closes the socket; then reconnect with the usual
    /// jittered backoff, so that a rolling deploy does not reconnect every client at once.
    fn server_disconnect(&mut self, restart: bool, now: Instant) {
        if restart {
            self.protocol = None;
            self.authorization_state = None;
        }
        match self.state {
            SessionState::Ready => {
                log::info!(
                    restart,
                    "server asked to disconnect: draining until it closes"
                );
                self.next_ping = None;
                self.state = SessionState::Draining {
                    close_at: later(now, self.config.disconnect_grace),
                };
            }
            // Already draining: a repeat changes nothing, least of all the deadline.
            SessionState::Draining { .. } => {}
            // Not authenticated yet: there is nothing to drain.
            _ => self.lose_connection(now, true),
        }
    }

    /// `signalwire.authorization.state`: the state is in the event's data, or beside it.
    pub(super) fn store_authorization_state(&mut self, data: &Value, beside: Option<&Value>) {
        let state = data
            .get("authorization_state")
            .or(beside)
            .and_then(Value::as_str);
        match state {
            Some(state) => self.authorization_state = Some(state.to_owned()),
            None => self.protocol_error(ProtocolError::InvalidEvent {
                event_type: "signalwire.authorization.state".into(),
                reason: "no authorization_state string".into(),
            }),
        }
    }
}

fn contexts_params(contexts: &[String]) -> Map<String, Value> {
    let mut params = Map::new();
    params.insert("contexts".into(), json!(contexts));
    params
}
