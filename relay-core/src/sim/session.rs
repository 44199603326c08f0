//! Sessions: request dispatch, `signalwire.connect` (fresh or resumed), contexts, the
//! service's own events and pings, `signalwire.disconnect`, and what a closing socket leaves.

use super::methods;
use super::relay::{FakeRelay, ServerRequest, Session, Timer, DISCONNECT_GRACE};
use super::ConnId;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

impl FakeRelay {
    /// Routes one client request; `params` is already known to be an object.
    pub(super) fn handle_request(
        &mut self,
        conn: ConnId,
        id: Option<Value>,
        method: &str,
        params: Map<String, Value>,
        now: Instant,
    ) {
        if self.take_drop_fault(method) {
            self.output(super::SimOutput::Close { conn });
            self.close_conn(conn, now);
            return;
        }
        if let Some((code, message)) = self.take_reply_fault(method) {
            return self.reply_code(conn, &id, &code, &message, now);
        }
        match method {
            "signalwire.connect" => return self.connect(conn, &id, &params, now),
            "signalwire.ping" => return self.reply(conn, &id, json!({}), now),
            _ => {}
        }
        let Some(protocol) = self.session_of(conn).map(str::to_owned) else {
            return self.rpc_error(conn, &id, -32001, "Not authenticated", now);
        };
        match method {
            "signalwire.receive" => self.receive(conn, &id, &protocol, &params, true, now),
            "signalwire.unreceive" => self.receive(conn, &id, &protocol, &params, false, now),
            "calling.dial" => self.dial(conn, &id, &protocol, &params, now),
            "messaging.send" => self.messaging_send(conn, &id, &protocol, &params, now),
            m if methods::is_modelled(m) => {
                self.call_command(conn, &id, &protocol, method, &params, now)
            }
            _ => self.rpc_error(conn, &id, -32601, "Method not found", now),
        }
    }

    fn connect(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let major = params
            .get("version")
            .and_then(|v| v.get("major"))
            .and_then(Value::as_u64);
        if major != Some(2) {
            return self.rpc_error(conn, id, -32602, "Unsupported protocol version", now);
        }
        let Some(project) = self.authenticate(params.get("authentication")) else {
            return self.rpc_error(conn, id, -32002, "Authentication failed", now);
        };
        // A second connect on the same socket starts over.
        self.unbind(conn);
        let wanted = params.get("protocol").and_then(Value::as_str);
        let protocol = match wanted {
            Some(p) if self.sessions.get(p).is_some_and(|s| s.project == project) => p.to_owned(),
            _ => {
                let protocol = format!("signalwire_{}", self.new_id());
                let session = Session {
                    project: project.clone(),
                    ..Session::default()
                };
                self.sessions.insert(protocol.clone(), session);
                protocol
            }
        };
        // Resuming steals the session from a socket that still holds it.
        if let Some(old) = self.sessions.get(&protocol).and_then(|s| s.conn) {
            if let Some(old_conn) = self.conns.get_mut(&old) {
                old_conn.session = None;
            }
        }
        let contexts = string_list(params.get("contexts"));
        if let Some(session) = self.sessions.get_mut(&protocol) {
            session.conn = Some(conn);
            session.contexts.extend(contexts);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.session = Some(protocol.clone());
        }
        let result = json!({
            "identity": format!("{project}@{protocol}"),
            "authorization": {"project": project, "expires_at": null, "scope": "calling"},
            "protocol": protocol,
            "ice_servers": [],
        });
        self.reply(conn, id, result, now);
        let state = format!("sim-authorization-{}", self.new_id());
        self.event_to_conn(
            conn,
            "signalwire.authorization.state",
            json!({"authorization_state": state}),
            now,
        );
        self.flush_queued(&protocol, now);
        self.start_pinging(conn, now);
    }

    /// The project of valid credentials.
    fn authenticate(&self, auth: Option<&Value>) -> Option<String> {
        if self.rejects_auth() {
            return None;
        }
        let auth = auth?;
        let text = |key: &str| auth.get(key).and_then(Value::as_str);
        if let (Some(project), Some(token)) = (text("project"), text("token")) {
            return (project == self.config.project && token == self.config.token)
                .then(|| project.to_owned());
        }
        let jwt = text("jwt_token")?;
        (self.config.jwt.as_deref() == Some(jwt)).then(|| self.config.project_id.clone())
    }

    fn receive(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        protocol: &str,
        params: &Map<String, Value>,
        add: bool,
        now: Instant,
    ) {
        let Some(Value::Array(list)) = params.get("contexts") else {
            return self.reply_code(conn, id, "400", "Missing contexts", now);
        };
        if list.is_empty() || !list.iter().all(Value::is_string) {
            return self.reply_code(conn, id, "400", "Invalid contexts", now);
        }
        let contexts = string_list(params.get("contexts"));
        if let Some(session) = self.sessions.get_mut(protocol) {
            for context in contexts {
                if add {
                    session.contexts.insert(context);
                } else {
                    session.contexts.remove(&context);
                }
            }
        }
        let message = if add {
            "Receiving all inbound related to the requested relay contexts and available scopes"
        } else {
            "No longer receiving inbound related to the requested relay contexts"
        };
        self.reply_code(conn, id, "200", message, now);
    }

    /// Unbinds a socket from its session, leaving the session to wait for a resume.
    fn unbind(&mut self, conn: ConnId) {
        let Some(protocol) = self.conns.get_mut(&conn).and_then(|c| c.session.take()) else {
            return;
        };
        if let Some(session) = self.sessions.get_mut(&protocol) {
            if session.conn == Some(conn) {
                session.conn = None;
            }
        }
    }

    /// The socket is gone: its session waits for a resume (or is forgotten after a restart
    /// disconnect), its unanswered requests are dropped.
    pub(super) fn close_conn(&mut self, conn: ConnId, now: Instant) {
        let Some(state) = self.conns.remove(&conn) else {
            return;
        };
        self.server_requests.retain(|_, r| r.conn() != conn);
        let Some(protocol) = state.session else {
            return;
        };
        if state.restart_on_close {
            self.forget_session(&protocol, now);
        } else if let Some(session) = self.sessions.get_mut(&protocol) {
            if session.conn == Some(conn) {
                session.conn = None;
            }
        }
    }

    /// Drops a session and ends its calls (nobody is left to tell).
    fn forget_session(&mut self, protocol: &str, now: Instant) {
        self.sessions.remove(protocol);
        let owned: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, call)| call.session == protocol)
            .map(|(id, _)| id.clone())
            .collect();
        for call_id in owned {
            self.drop_call(&call_id, now);
        }
    }

    /// Sends an event to a session, or queues it while the session has no socket.
    pub(super) fn emit_event(
        &mut self,
        protocol: &str,
        event_type: &str,
        params: Value,
        now: Instant,
    ) {
        let Some(conn) = self.sessions.get(protocol).map(|s| s.conn) else {
            return;
        };
        match conn {
            Some(conn) => self.event_to_conn(conn, event_type, params, now),
            None => {
                let id = self.new_id();
                let text = event_frame(&id, event_type, self.timestamp(now), protocol, params);
                let max = self.config.max_queued_events;
                if let Some(session) = self.sessions.get_mut(protocol) {
                    session.queued.push_back((id, text));
                    while session.queued.len() > max {
                        session.queued.pop_front();
                        session.dropped_events += 1;
                    }
                }
            }
        }
    }

    /// Sends an event on one socket, on the channel of its session.
    pub(super) fn event_to_conn(
        &mut self,
        conn: ConnId,
        event_type: &str,
        params: Value,
        now: Instant,
    ) {
        let channel = self.session_of(conn).unwrap_or_default().to_owned();
        let outer = json!({
            "event_type": event_type,
            "timestamp": self.timestamp(now),
            "event_channel": channel,
            "params": params,
        });
        self.server_request(
            conn,
            "signalwire.event",
            outer,
            ServerRequest::Event(conn),
            now,
        );
    }

    /// Delivers what a session missed while it had no socket.
    fn flush_queued(&mut self, protocol: &str, now: Instant) {
        let Some(session) = self.sessions.get_mut(protocol) else {
            return;
        };
        let Some(conn) = session.conn else {
            return;
        };
        let queued = std::mem::take(&mut session.queued);
        for (id, text) in queued {
            self.server_requests.insert(id, ServerRequest::Event(conn));
            self.send(conn, text, now);
        }
    }

    fn start_pinging(&mut self, conn: ConnId, now: Instant) {
        let Some(interval) = self.config.ping_interval else {
            return;
        };
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if !state.pinging {
            state.pinging = true;
            let timer = Timer::Ping(conn, state.generation);
            self.schedule(now + interval.max(Duration::from_millis(1)), timer);
        }
    }

    pub(super) fn ping_timer(&mut self, conn: ConnId, now: Instant) {
        let Some(interval) = self.config.ping_interval else {
            return;
        };
        let Some(generation) = self.generation_of(conn) else {
            return;
        };
        self.send_ping(conn, now);
        let timer = Timer::Ping(conn, generation);
        self.schedule(now + interval.max(Duration::from_millis(1)), timer);
    }

    // ----- commands -----

    /// Sends `signalwire.ping` on a socket.
    pub fn send_ping(&mut self, conn: ConnId, now: Instant) {
        let params = json!({"timestamp": self.timestamp(now)});
        self.server_request(
            conn,
            "signalwire.ping",
            params,
            ServerRequest::Ping(conn),
            now,
        );
    }

    /// Sends `signalwire.disconnect {restart}`; the socket closes when the client answers,
    /// or after 1 s of virtual time. With `restart`, the session is forgotten at that close
    /// and its calls end.
    pub fn send_disconnect(&mut self, conn: ConnId, restart: bool, now: Instant) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        state.restart_on_close |= restart;
        let generation = state.generation;
        self.server_request(
            conn,
            "signalwire.disconnect",
            json!({"restart": restart}),
            ServerRequest::Disconnect(conn),
            now,
        );
        self.schedule(
            now + DISCONNECT_GRACE,
            Timer::DisconnectClose(conn, generation),
        );
    }

    /// Sends any event (e.g. a `calling.call.*` the service does not model) on `conn`, on
    /// the channel of the session bound to it, as a `signalwire.event` the client must ack.
    pub fn send_event(&mut self, conn: ConnId, event_type: &str, params: Value, now: Instant) {
        self.event_to_conn(conn, event_type, params, now);
    }

    /// Sends a `signalwire.authorization.state` event with this opaque state.
    pub fn send_authorization_state(&mut self, conn: ConnId, state: &str, now: Instant) {
        self.event_to_conn(
            conn,
            "signalwire.authorization.state",
            json!({"authorization_state": state}),
            now,
        );
    }
}

/// A `signalwire.event` request frame.
fn event_frame(id: &str, event_type: &str, timestamp: f64, channel: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "signalwire.event", "params": {
        "event_type": event_type, "timestamp": timestamp, "event_channel": channel,
        "params": params,
    }})
    .to_string()
}

/// The strings of a JSON array; anything else is skipped.
fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
