//! A connect to a `stream` device (two-way audio, issue 19): once the stream leg is the
//! call's peer, the driver opens a WebSocket to the device's url and speaks the bidirectional
//! protocol as the caller ([`MediaJob::two_way`]); it stops when the bridge ends.
//!
//! Choices: the job's `call_id` is the original call (whose audio the stream carries), its
//! control id the stream leg's id; its end is not reported back (the leg stays up until the
//! call or the app ends it, as with the real service).

use super::output::{MediaJob, SimOutput};
use super::relay::FakeRelay;
use crate::action::stream_options::HttpMethod;
use crate::ids::{CallId, ControlId};
use serde_json::Value;

impl FakeRelay {
    /// The peer that answered a connect is a stream leg: its media job goes out.
    pub(super) fn start_two_way(&mut self, original: &CallId, peer: &CallId) {
        let Some(device) = self.calls.get(peer).map(|c| c.device.clone()) else {
            return;
        };
        if let Some(job) = two_way_job(original, peer, &device) {
            self.output(SimOutput::StartMedia(job));
        }
    }

    /// The bridge with a stream leg is over: the driver closes its WebSocket.
    pub(super) fn stop_two_way(&mut self, original: &CallId, peer: &CallId) {
        let is_stream = self
            .calls
            .get(peer)
            .is_some_and(|c| c.device.get("type").and_then(Value::as_str) == Some("stream"));
        if is_stream {
            self.output(SimOutput::StopMedia {
                call_id: original.clone(),
                control_id: ControlId::new(peer.as_str()),
            });
        }
    }
}

/// The job for a `stream` device (its params were checked when the connect was accepted).
fn two_way_job(original: &CallId, peer: &CallId, device: &Value) -> Option<MediaJob> {
    if device.get("type").and_then(Value::as_str) != Some("stream") {
        return None;
    }
    let params = device.get("params")?;
    let text = |key: &str| params.get(key).and_then(Value::as_str).map(str::to_owned);
    Some(MediaJob {
        call_id: original.clone(),
        control_id: ControlId::new(peer.as_str()),
        url: text("url")?,
        name: text("name"),
        codec: text("codec"),
        track: "inbound_track".into(),
        bearer_token: text("authorization_bearer_token"),
        custom_parameters: params
            .get("custom_parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        status_url: text("status_url"),
        status_url_method: match text("status_url_method").as_deref() {
            Some(m) if m.eq_ignore_ascii_case("get") => HttpMethod::Get,
            _ => HttpMethod::Post,
        },
        two_way: true,
    })
}
