//! `calling.record` ([§1.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `calling.call.record` `recording` → `finished` with `url`,
//! `duration` (s) and `size` (bytes) when the scripted caller stops speaking, or `no_input`
//! when the script says the caller is silent; `paused`/`recording` on pause and resume.

use super::{object, one_of, seconds, secs, ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use crate::sim::script::RecordingScript;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// A recording in progress.
#[derive(Debug, Clone)]
pub(in crate::sim) struct Record {
    /// The request's `record` object, echoed in every event (JS-Types
    /// `CallingCallRecordEventParams`).
    echo: Value,
    url: String,
    script: RecordingScript,
    /// Caller speech recorded before the current stretch.
    spoken: Duration,
    /// Silence put in for pauses with `behavior: silence`.
    filled: Duration,
    /// Since when it records; `None` while paused.
    since: Option<Instant>,
    /// While paused: since when, and whether the pause is filled with silence.
    paused: Option<(Instant, bool)>,
}

impl Record {
    fn spoken_at(&self, now: Instant) -> Duration {
        self.spoken + self.since.map(|s| now - s).unwrap_or_default()
    }
}

impl FakeRelay {
    pub(super) fn start_record(&mut self, req: &Request<'_>) {
        let Ok(Some(record)) = object(req.params, "record") else {
            return self.bad_params(req, "Missing record");
        };
        let audio = match object(record, "audio") {
            Ok(audio) => audio.cloned().unwrap_or_default(),
            Err(()) => return self.bad_params(req, "Invalid record"),
        };
        let checks = [
            one_of(&audio, "format", &["mp3", "wav"]),
            one_of(&audio, "direction", &["listen", "speak", "both"]),
            seconds(&audio, "initial_timeout").map(|_| ()),
            seconds(&audio, "end_silence_timeout").map(|_| ()),
        ];
        if checks.iter().any(Result::is_err) {
            return self.bad_params(req, "Invalid record");
        }
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        let script = self.config.caller.recording.clone();
        let format = audio.get("format").and_then(Value::as_str).unwrap_or("mp3");
        let url = script.url.clone().unwrap_or_else(|| {
            format!(
                "https://files.sim.example/recordings/{}.{format}",
                control_id.as_str()
            )
        });
        // TS-Gen `CallingRecordResult`: the start result may already carry the url.
        let mut extra = Map::new();
        extra.insert("url".into(), url.as_str().into());
        self.reply_started(req, &control_id, "Recording started", extra);
        let (step, after) = if script.no_input {
            // G: `initial_timeout` 5 s by default, `0` disables it (then it records until
            // stopped).
            let wait = seconds(&audio, "initial_timeout").ok().flatten();
            (Step::RecordNoInput, wait.or(Some(Duration::from_secs(5))))
        } else {
            (Step::RecordDone, Some(script.duration))
        };
        let record = Record {
            echo: Value::Object(record.clone()),
            url,
            script,
            spoken: Duration::ZERO,
            filled: Duration::ZERO,
            since: Some(req.now),
            paused: None,
        };
        let kind = ActionKind::Record(Box::new(record.clone()));
        let serial = self.insert_action(req.call_id, &control_id, kind);
        self.record_event(
            req.call_id,
            &control_id,
            "recording",
            &record,
            false,
            req.now,
        );
        if let Some(after) = after.filter(|a| !a.is_zero() || step == Step::RecordDone) {
            self.schedule_step(req.call_id, &control_id, serial, step, req.now + after);
        }
    }

    /// `calling.record.pause` (optional `behavior`: `skip` cuts the paused span, `silence`
    /// fills it) / `calling.record.resume`: `paused` / `recording`.
    pub(super) fn pause_record(&mut self, req: &Request<'_>, pause: bool) {
        if one_of(req.params, "behavior", &["skip", "silence"]).is_err() {
            return self.bad_params(req, "Invalid behavior");
        }
        let fits = |kind: &ActionKind| matches!(kind, ActionKind::Record(_));
        let Some(control_id) = self.control_of(req, fits) else {
            return;
        };
        let message = if pause {
            "Record paused"
        } else {
            "Record resumed"
        };
        self.reply_code(req.conn, req.id, "200", message, req.now);
        let silence = req.params.get("behavior").and_then(Value::as_str) == Some("silence");
        let now = req.now;
        let Some(ActionKind::Record(record)) = self
            .action_mut(req.call_id, &control_id)
            .map(|action| &mut action.kind)
        else {
            return;
        };
        let no_input = record.script.no_input;
        match (pause, record.paused) {
            (true, None) => {
                record.spoken = record.spoken_at(now);
                record.since = None;
                record.paused = Some((now, silence));
                let record = (**record).clone();
                self.reserial(req.call_id, &control_id);
                self.record_event(req.call_id, &control_id, "paused", &record, false, now);
            }
            (false, Some((at, filled))) => {
                if filled {
                    record.filled += now - at;
                }
                record.paused = None;
                record.since = Some(now);
                let left = record.script.duration.saturating_sub(record.spoken);
                let record = (**record).clone();
                let serial = self.reserial(req.call_id, &control_id);
                self.record_event(req.call_id, &control_id, "recording", &record, false, now);
                // A silent caller stays silent: only a speaking one brings the end nearer.
                if !no_input {
                    let step = Step::RecordDone;
                    self.schedule_step(req.call_id, &control_id, serial, step, now + left);
                }
            }
            _ => {}
        }
    }

    pub(super) fn record_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        step: Step,
        now: Instant,
    ) {
        let Some(ActionKind::Record(record)) = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .map(|action| action.kind.clone())
        else {
            return;
        };
        self.remove_action(call_id, control_id);
        if step == Step::RecordNoInput {
            self.record_event(call_id, control_id, "no_input", &record, false, now);
        } else {
            self.record_event(call_id, control_id, "finished", &record, true, now);
        }
    }

    /// A stopped recording, or one on a call that ends: `finished` with what it holds.
    pub(super) fn halt_record(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        record: Record,
        events: bool,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        if events {
            self.record_event(call_id, control_id, "finished", &record, true, now);
        }
    }

    /// `calling.call.record` with `state` and `record`; a finished one also carries `url`,
    /// `duration` and `size` at the top level, where JS-Types puts them ([§1.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) tells clients
    /// to look in `record` first, then there).
    fn record_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        state: &str,
        record: &Record,
        finished: bool,
        now: Instant,
    ) {
        let mut fields = Map::new();
        fields.insert("state".into(), state.into());
        fields.insert("record".into(), record.echo.clone());
        if finished {
            let mut filled = record.filled;
            if let Some((since, true)) = record.paused {
                filled += now - since;
            }
            let duration = record.spoken_at(now) + filled;
            let full = record.script.duration.as_secs_f64();
            let size = if full > 0.0 {
                (record.script.size as f64 * (duration.as_secs_f64() / full)).round() as u64
            } else {
                record.script.size
            };
            fields.insert("url".into(), record.url.as_str().into());
            fields.insert("duration".into(), secs(duration));
            fields.insert("size".into(), size.into());
        }
        let fields = Value::Object(fields);
        self.action_event(call_id, control_id, "calling.call.record", fields, now);
    }
}
