//! `calling.stream` ([§1.13](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): handed to the media driver or simulated, its status webhooks,
//! and how it ends.

use super::{control_id_of, ActionKind};
use crate::action::stream_options::HttpMethod;
use crate::ids::{CallId, ControlId};
use crate::sim::output::{MediaJob, SimOutput};
use crate::sim::relay::{FakeRelay, Timer};
use crate::sim::ConnId;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// Wire values of `track`: the `*_track` forms and the short forms some SDKs send.
const TRACKS: [&str; 6] = [
    "inbound_track",
    "outbound_track",
    "both_tracks",
    "inbound",
    "outbound",
    "both",
];

impl FakeRelay {
    // ----- commands from the media driver -----

    /// The driver's socket to the stream url is open: `streaming` (and its status webhook).
    pub fn media_started(&mut self, control_id: &ControlId, now: Instant) {
        if let Some(call_id) = self.find_stream(control_id) {
            self.stream_started(&call_id, control_id, now);
        }
    }

    /// `streaming`, once, for a stream whose call is known: no search over every call, which
    /// made 10,000 simulated streams quadratic.
    fn stream_started(&mut self, call_id: &CallId, control_id: &ControlId, now: Instant) {
        let call_id = call_id.clone();
        let started = self
            .calls
            .get_mut(&call_id)
            .and_then(|call| call.actions.get_mut(control_id))
            .map(|action| match &mut action.kind {
                ActionKind::Stream { streaming, .. } => !std::mem::replace(streaming, true),
                _ => false,
            })
            .unwrap_or(false);
        if started {
            self.stream_state(&call_id, control_id, "streaming", None, true, now);
        }
    }

    /// The driver sent all the audio (or the far end closed): `finished`.
    pub fn media_finished(&mut self, control_id: &ControlId, now: Instant) {
        if let Some(call_id) = self.find_stream(control_id) {
            self.end_stream(&call_id, control_id, None, false, true, now);
        }
    }

    /// The driver could not stream (e.g. `"connection_refused"`): `finished`, and the status
    /// webhook's params carry `error`.
    pub fn media_failed(&mut self, control_id: &ControlId, error: &str, now: Instant) {
        if let Some(call_id) = self.find_stream(control_id) {
            self.end_stream(&call_id, control_id, Some(error), false, true, now);
        }
    }

    // ----- requests -----

    pub(super) fn start_stream(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        call_id: &CallId,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let job = match stream_job(call_id, params) {
            Ok(job) => job,
            Err(message) => return self.reply_code(conn, id, "400", message, now),
        };
        if self.has_action(call_id, &job.control_id) {
            return self.reply_code(conn, id, "409", "Control id already in use", now);
        }
        let control_id = job.control_id.clone();
        let result = json!({"code": "200", "message": "Stream started",
                            "call_id": call_id.as_str(), "control_id": control_id.as_str()});
        self.reply(conn, id, result, now);
        let auto = self.config.auto_media;
        let kind = ActionKind::Stream {
            job: Box::new(job.clone()),
            streaming: false,
            driven: auto.is_none(),
        };
        let serial = self.insert_action(call_id, &control_id, kind);
        match auto {
            None => self.output(SimOutput::StartMedia(job)),
            Some(length) => {
                self.stream_started(call_id, &control_id, now);
                let timer = Timer::MediaFinished(call_id.clone(), control_id, serial);
                self.schedule(now + length, timer);
            }
        }
    }

    /// A simulated stream's media ran out.
    pub(in crate::sim) fn media_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        serial: u64,
        now: Instant,
    ) {
        let live = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .is_some_and(|action| action.serial == serial);
        if live {
            self.end_stream(call_id, control_id, None, false, true, now);
        }
    }

    /// Removes a stream: `StopMedia` when asked and the driver runs it, the `finished` event
    /// when asked, and the status webhook always.
    pub(super) fn end_stream(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        error: Option<&str>,
        stop_media: bool,
        event: bool,
        now: Instant,
    ) {
        let Some(action) = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
        else {
            return;
        };
        let ActionKind::Stream { driven, .. } = action.kind else {
            return;
        };
        if stop_media && driven {
            self.output(SimOutput::StopMedia {
                call_id: call_id.clone(),
                control_id: control_id.clone(),
            });
        }
        self.stream_state(call_id, control_id, "finished", error, event, now);
        self.remove_action(call_id, control_id);
    }

    /// Sends `calling.call.stream` (when `event`) and the status webhook (when configured).
    fn stream_state(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        state: &str,
        error: Option<&str>,
        event: bool,
        now: Instant,
    ) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let Some(ActionKind::Stream { job, .. }) = call.actions.get(control_id).map(|a| &a.kind)
        else {
            return;
        };
        let mut params = Map::new();
        params.insert("call_id".into(), call_id.as_str().into());
        params.insert("node_id".into(), call.node_id.as_str().into());
        params.insert("control_id".into(), control_id.as_str().into());
        params.insert("state".into(), state.into());
        params.insert("url".into(), job.url.as_str().into());
        if let Some(name) = &job.name {
            params.insert("name".into(), name.as_str().into());
        }
        params.insert("segment_id".into(), call.segment_id.as_str().into());
        if let Some(tag) = &call.tag {
            params.insert("tag".into(), tag.as_str().into());
        }
        let callback = job
            .status_url
            .clone()
            .map(|url| (url, job.status_url_method));
        let protocol = call.session.clone();
        if let Some((url, method)) = callback {
            let mut webhook = params.clone();
            if let Some(error) = error {
                webhook.insert("error".into(), error.into());
            }
            let body = json!({
                "event_type": "calling.call.stream",
                "event_channel": protocol,
                "timestamp": self.timestamp(now),
                "project_id": self.config.project_id,
                "space_id": self.config.space_id,
                "params": webhook,
            });
            self.output(SimOutput::StatusCallback { url, method, body });
        }
        if event {
            self.emit_event(&protocol, "calling.call.stream", Value::Object(params), now);
        }
    }

    // ----- tables -----

    fn find_stream(&self, control_id: &ControlId) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, call)| {
                call.actions
                    .get(control_id)
                    .is_some_and(|a| matches!(a.kind, ActionKind::Stream { .. }))
            })
            .map(|(id, _)| id.clone())
    }
}

/// Reads and checks the params of `calling.stream`; the error is the `400` message.
fn stream_job(call_id: &CallId, params: &Map<String, Value>) -> Result<MediaJob, &'static str> {
    let text = |key: &str| -> Result<Option<String>, &'static str> {
        match params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err("Invalid params"),
        }
    };
    let control_id = control_id_of(params).ok_or("Missing control_id")?;
    let url = text("url")?.ok_or("Missing url")?;
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("wss://")
        .or_else(|| lower.strip_prefix("ws://"))
        .ok_or("Invalid url: the scheme must be ws:// or wss://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("Invalid url: no host");
    }
    let track = text("track")?.unwrap_or_else(|| "inbound_track".into());
    if !TRACKS.contains(&track.as_str()) {
        return Err("Invalid track");
    }
    let status_url_method = match text("status_url_method")?.as_deref() {
        None => HttpMethod::Post,
        Some(m) if m.eq_ignore_ascii_case("post") => HttpMethod::Post,
        Some(m) if m.eq_ignore_ascii_case("get") => HttpMethod::Get,
        Some(_) => return Err("Invalid status_url_method"),
    };
    let status_url = text("status_url")?;
    if let Some(status) = &status_url {
        let lower = status.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err("Invalid status_url");
        }
    }
    let custom_parameters = match params.get("custom_parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err("Invalid custom_parameters"),
    };
    Ok(MediaJob {
        call_id: call_id.clone(),
        control_id,
        url,
        name: text("name")?,
        codec: text("codec")?,
        track,
        bearer_token: text("authorization_bearer_token")?,
        custom_parameters,
        status_url,
        status_url_method,
        two_way: false,
    })
}
