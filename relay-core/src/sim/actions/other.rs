//! The smaller actions: `calling.tap` ([§1.6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), `calling.pay` ([§1.8](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), `calling.transcribe`
//! ([§1.9](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), `calling.send_digits` ([§1.10](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), `calling.ai` with `ai_message`/`ai_hold`/
//! `ai_unhold` ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) and `calling.echo` ([§1.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).

use super::{object, seconds, secs, ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// [§1.10](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): `w` pauses 0.5 s, `W` 1 s; each tone is taken to last 0.1 s (not documented).
const TONE: Duration = Duration::from_millis(100);
/// Bytes per second of transcribed audio (G.711, 8 kHz): the size a transcription reports.
const AUDIO_BYTES_PER_SEC: f64 = 8_000.0;

impl FakeRelay {
    /// `tap` = `{type: "audio", params?}`, `device` = rtp `{addr, port}` or ws `{uri}`:
    /// `tapping` at once, `finished` on stop or call end (PY1 `CallTapState`).
    pub(super) fn start_tap(&mut self, req: &Request<'_>) {
        let (Ok(Some(tap)), Ok(Some(device))) =
            (object(req.params, "tap"), object(req.params, "device"))
        else {
            return self.bad_params(req, "Missing tap or device");
        };
        let direction = tap.get("params").and_then(|p| p.get("direction"));
        let tap_ok = tap.get("type").and_then(Value::as_str) == Some("audio")
            && direction.is_none_or(|d| matches!(d.as_str(), Some("listen" | "speak" | "both")));
        let device_params = device.get("params");
        let field = |key: &str| device_params.and_then(|p| p.get(key));
        let source = match device.get("type").and_then(Value::as_str) {
            Some("rtp")
                if field("addr").is_some_and(Value::is_string)
                    && field("port").is_some_and(Value::is_u64) =>
            {
                // TS-Gen `CallingTapResult`: where the service sends the audio from.
                let port = 40_000 + self.serial() % 20_000;
                Some(
                    json!({"type": "rtp", "params": {"addr": "192.0.2.10", "port": port,
                    "codec": field("codec").cloned().unwrap_or_else(|| "PCMU".into()),
                    "ptime": field("ptime").cloned().unwrap_or_else(|| 20.into())}}),
                )
            }
            Some("ws") if field("uri").is_some_and(Value::is_string) => None,
            _ => return self.bad_params(req, "Invalid device"),
        };
        if !tap_ok {
            return self.bad_params(req, "Invalid tap");
        }
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        let mut extra = Map::new();
        if let Some(source) = source {
            extra.insert("source_device".into(), source);
        }
        self.reply_started(req, &control_id, "Tapping", extra);
        let (tap, device) = (Value::Object(tap.clone()), Value::Object(device.clone()));
        let fields = json!({"state": "tapping", "tap": tap, "device": device});
        self.insert_action(req.call_id, &control_id, ActionKind::Tap { tap, device });
        self.action_event(
            req.call_id,
            &control_id,
            "calling.call.tap",
            fields,
            req.now,
        );
    }

    /// `payment_connector_url` is required. The caller pays for the scripted time, then one
    /// `calling.call.pay`: `finished` with the scripted fields, or `error`. Nothing is sent at
    /// the start: only `state` is documented, and no state before the end.
    pub(super) fn start_pay(&mut self, req: &Request<'_>) {
        let url = req
            .params
            .get("payment_connector_url")
            .and_then(Value::as_str);
        if url.is_none_or(str::is_empty) {
            return self.bad_params(req, "Missing payment_connector_url");
        }
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Payment started", Map::new());
        let serial = self.insert_action(req.call_id, &control_id, ActionKind::Pay);
        let at = req.now + self.config.caller.pay.duration;
        self.schedule_step(req.call_id, &control_id, serial, Step::PayDone, at);
    }

    /// One transcription per call (G: a second gets `409`); it runs until stopped or the call
    /// ends, then `finished` with `url`, `recording_id`, `duration` and `size`.
    pub(super) fn start_transcribe(&mut self, req: &Request<'_>) {
        let running = self.calls.get(req.call_id).is_some_and(|call| {
            call.actions
                .values()
                .any(|a| matches!(a.kind, ActionKind::Transcribe { .. }))
        });
        if running {
            let message = "A transcription is already running";
            return self.reply_code(req.conn, req.id, "409", message, req.now);
        }
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Transcribing", Map::new());
        let kind = ActionKind::Transcribe { since: req.now };
        self.insert_action(req.call_id, &control_id, kind);
    }

    /// `digits` from `0-9 # * A-D w W` ([§1.10](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): one `finished` once they are all sent.
    pub(super) fn start_send_digits(&mut self, req: &Request<'_>) {
        let digits = req.params.get("digits").and_then(Value::as_str);
        let valid = |c: char| c.is_ascii_digit() || "#*ABCDwW".contains(c);
        let Some(digits) = digits.filter(|d| !d.is_empty() && d.chars().all(valid)) else {
            return self.bad_params(req, "Invalid digits");
        };
        let length: Duration = digits
            .chars()
            .map(|c| match c {
                'w' => Duration::from_millis(500),
                'W' => Duration::from_secs(1),
                _ => TONE,
            })
            .sum();
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Sending digits", Map::new());
        let serial = self.insert_action(req.call_id, &control_id, ActionKind::SendDigits);
        let at = req.now + length;
        self.schedule_step(req.call_id, &control_id, serial, Step::DigitsSent, at);
    }

    /// The agent runs until stopped or the call ends; the service documents no event, so the
    /// sim sends none while it runs ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    pub(super) fn start_ai(&mut self, req: &Request<'_>) {
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "AI started", Map::new());
        self.insert_action(req.call_id, &control_id, ActionKind::Ai);
    }

    /// `calling.ai_message` / `ai_hold` / `ai_unhold`: no control id, they act on the call's
    /// running agent; `409` with none (a refusal of the call's state: G keeps `404` for a
    /// call that does not exist, which clients take for the call's end).
    pub(super) fn ai_command(&mut self, req: &Request<'_>, method: &str) {
        let role = req.params.get("role");
        let role_ok =
            role.is_none_or(|r| matches!(r.as_str(), Some("system" | "user" | "assistant")));
        if !role_ok
            || object(req.params, "reset").is_err()
            || seconds(req.params, "timeout").is_err()
        {
            return self.bad_params(req, "Invalid params");
        }
        let running = self.calls.get(req.call_id).is_some_and(|call| {
            call.actions
                .values()
                .any(|a| matches!(a.kind, ActionKind::Ai))
        });
        if !running {
            return self.reply_code(req.conn, req.id, "409", "No AI running", req.now);
        }
        let message = match method {
            "calling.ai_message" => "Message sent",
            "calling.ai_hold" => "AI held",
            _ => "AI unheld",
        };
        self.reply_code(req.conn, req.id, "200", message, req.now);
    }

    /// A simple command ([§1.12](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): "Echo started"); the echo event's states are undocumented,
    /// so the sim sends none.
    pub(super) fn echo(&mut self, req: &Request<'_>) {
        if seconds(req.params, "timeout").is_err() {
            return self.bad_params(req, "Invalid timeout");
        }
        self.reply_code(req.conn, req.id, "200", "Echo started", req.now);
    }

    pub(super) fn other_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        step: Step,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        match step {
            Step::PayDone => {
                let pay = self.config.caller.pay.clone();
                let mut fields = Map::new();
                if pay.error {
                    fields.insert("state".into(), "error".into());
                } else {
                    fields.extend(pay.fields);
                    fields.insert("state".into(), "finished".into());
                }
                let fields = Value::Object(fields);
                self.action_event(call_id, control_id, "calling.call.pay", fields, now);
            }
            Step::DigitsSent => {
                let fields = json!({"state": "finished"});
                self.action_event(call_id, control_id, "calling.call.send_digits", fields, now);
            }
            _ => {}
        }
    }

    /// Stop or call end of the smaller actions: each its `finished`.
    pub(super) fn halt_other(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        kind: ActionKind,
        events: bool,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        if !events {
            return;
        }
        let (event_type, fields) = match kind {
            ActionKind::Tap { tap, device } => (
                "calling.call.tap",
                json!({"state": "finished", "tap": tap, "device": device}),
            ),
            ActionKind::Pay => ("calling.call.pay", json!({"state": "finished"})),
            ActionKind::Transcribe { since } => {
                let length = now - since;
                let size = (length.as_secs_f64() * AUDIO_BYTES_PER_SEC).round() as u64;
                let recording_id = self.new_id();
                let url = format!(
                    "https://files.sim.example/transcriptions/{}.json",
                    control_id.as_str()
                );
                let fields = json!({"state": "finished", "url": url,
                    "recording_id": recording_id, "duration": secs(length), "size": size});
                ("calling.call.transcribe", fields)
            }
            ActionKind::SendDigits => ("calling.call.send_digits", json!({"state": "finished"})),
            // §1.11: the SDKs end an agent on a `calling.call.ai` finished "if any"; the sim
            // sends one so that a stop is observable.
            ActionKind::Ai => ("calling.call.ai", json!({"state": "finished"})),
            _ => return,
        };
        self.action_event(call_id, control_id, event_type, fields, now);
    }
}
