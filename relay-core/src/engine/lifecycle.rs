//! What the session's changes mean for the engine: opening, authenticating, losing and
//! closing the socket, pings and the server's own requests, routed between the `Session`
//! and the other parts (a lost socket fails what was sent on it, a fresh session forgets the
//! old one's calls, a close ends everything).

use super::requests::{Method, PendingKind};
use super::session::{Contexts, SessionState};
use super::{later, log, Engine};
use crate::error::{CommandError, ProtocolError, SessionError};
use crate::event::Event;
use crate::frame;
use crate::ids::RequestId;
use crate::payload::Payload;
use serde_json::Value;
use std::borrow::Cow;
use std::time::Instant;

impl Engine {
    /// Starts the session: emits `Transmit::Open`. Later calls do nothing.
    pub fn open(&mut self, _now: Instant) {
        if self.session.state() == SessionState::Idle {
            self.session.start_opening(&mut self.out);
        }
    }

    /// The socket asked for by `Transmit::Open` is open: authenticate.
    pub fn handle_connected(&mut self, now: Instant) {
        let Some(params) = self.session.authenticate(&self.config) else {
            return;
        };
        let resuming = params.protocol.is_some();
        let id = self.rng.next_id::<RequestId>();
        let kind = PendingKind::Connect { resuming };
        let deadline = Some(later(now, self.config.request_timeout));
        let sent = self.requests.send_now(
            id,
            "signalwire.connect",
            &params,
            kind,
            deadline,
            &mut self.out,
        );
        if let Err(_error) = sent {
            // Strings, numbers and booleans cannot fail to serialise; were they to, the
            // socket goes and the reconnect tries again.
            log::warning!(%_error, "signalwire.connect could not be written");
            self.lose_connection(now, true);
        }
    }

    /// The socket closed, or `Transmit::Open` failed. Schedules a reconnect.
    pub fn handle_disconnected(&mut self, now: Instant) {
        if self.session.has_socket() {
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
        let id = self.submit_contexts("signalwire.receive", contexts, now)?;
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
        let id = self.submit_contexts("signalwire.unreceive", contexts, now)?;
        self.config.contexts.retain(|c| !contexts.contains(c));
        Ok(id)
    }

    /// The one request of `receive` and `unreceive`: `{contexts}`, no ids.
    fn submit_contexts(
        &mut self,
        method: &'static str,
        contexts: &[String],
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let params = Contexts { contexts };
        let ids = frame::Ids::default();
        self.submit_typed(None, method, &ids, &params, PendingKind::User, now)
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
        self.submit(Method::text(method), params, PendingKind::User, now)
    }

    pub(super) fn handle_connect_result(
        &mut self,
        outcome: Result<Payload, (i64, String)>,
        resuming: bool,
        now: Instant,
    ) {
        match outcome {
            Ok(result) => {
                let ping_interval = self.config.ping_interval;
                let accepted = self.session.accept(&result, resuming, now, ping_interval);
                if !accepted.resumed {
                    // A fresh session: the server has forgotten the old one's calls.
                    self.forget_calls_of_old_session();
                    self.messages.forget_old_session(&mut self.out);
                }
                if accepted.no_protocol {
                    self.protocol_error(ProtocolError::InvalidFrame(
                        "signalwire.connect result has no protocol".into(),
                    ));
                }
                self.requests.flush(&mut self.out);
                self.out.event(Event::Ready {
                    protocol: self.session.protocol().unwrap_or_default().to_owned(),
                    resumed: accepted.resumed,
                });
            }
            Err((code, message)) => {
                let max = self.config.max_auth_failures;
                match self
                    .session
                    .reject(code, message, resuming, max, &mut self.out)
                {
                    Some(error) => self.close(error),
                    None => self.lose_connection(now, true),
                }
            }
        }
    }

    /// Sends a ping, or declares the socket dead when too many went unanswered.
    pub(super) fn ping(&mut self, now: Instant) {
        if !self.session.ping(now, &self.config) {
            self.lose_connection(now, true);
            return;
        }
        // Both SDKs send empty params; `()` cannot fail to serialise.
        let id = self.rng.next_id::<RequestId>();
        let kind = PendingKind::Ping;
        let _ = self
            .requests
            .send_now(id, "signalwire.ping", &(), kind, None, &mut self.out);
    }

    /// Drops the current socket (emitting `Close` when we are the one closing) and
    /// schedules the reconnect; what was sent on it fails first.
    pub(super) fn lose_connection(&mut self, now: Instant, close: bool) {
        self.fail_sent_requests();
        let ping_interval = self.config.ping_interval;
        self.session
            .lose(now, close, ping_interval, &mut self.rng, &mut self.out);
    }

    /// Ends the session for good.
    pub(super) fn close(&mut self, reason: SessionError) {
        if !self.session.close(&mut self.out) {
            return;
        }
        log::info!(%reason, "session closed");
        // Actions first, so an action whose start is in flight ends as `SessionClosed`;
        // dials next, so each completes once with its own reason.
        self.close_all_calls();
        self.close_all_dials();
        self.messages.close_all(&mut self.out);
        self.fail_all_requests();
        self.out.event(Event::Closed(reason));
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
            self.out.send(reply);
        }
        match method {
            "signalwire.event" => match params.event_type {
                Some(event_type) => self.handle_event(
                    &event_type,
                    params.params.as_deref(),
                    params.view,
                    params.authorization_state,
                    now,
                ),
                None => self.protocol_error(ProtocolError::InvalidFrame(
                    "signalwire.event without event_type".into(),
                )),
            },
            "signalwire.ping" => {}
            "signalwire.disconnect" => {
                let restart = params.restart == Some(true);
                let grace = self.config.disconnect_grace;
                if self.session.server_disconnect(restart, now, grace) {
                    self.lose_connection(now, true);
                }
            }
            other => self.protocol_error(ProtocolError::UnknownMethod(other.to_owned())),
        }
    }

    /// `signalwire.authorization.state`: the state is in the event's data, or beside it.
    pub(super) fn store_authorization_state(&mut self, state: Option<&str>) {
        if let Err(error) = self.session.store_authorization_state(state) {
            self.protocol_error(error);
        }
    }
}
