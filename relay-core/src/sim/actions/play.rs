//! `calling.play` ([§1.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `calling.call.play` `playing` → `finished` after the play duration
//! (times `loop`; `loop: 0` plays until stopped), `paused`/`playing` on pause and resume,
//! `error` at once for a media list with an item it cannot play.

use super::{one_of, volume, ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// A play's clock: what is left of it, and since when it plays.
#[derive(Debug, Clone)]
pub(in crate::sim) struct Play {
    /// What is left to play; `None` for `loop: 0`, which plays until stopped.
    left: Option<Duration>,
    /// Since when it plays; `None` while paused.
    since: Option<Instant>,
}

impl FakeRelay {
    pub(super) fn start_play(&mut self, req: &Request<'_>) {
        let list = req.params.get("play").or_else(|| req.params.get("media"));
        let Some(list) = list.and_then(Value::as_array).filter(|l| !l.is_empty()) else {
            return self.bad_params(req, "Nothing to play");
        };
        let loops = match req.params.get("loop") {
            None | Some(Value::Null) => Some(1),
            Some(value) => value.as_u64(),
        };
        let (Some(loops), Ok(()), Ok(())) = (
            loops,
            volume(req.params, "volume"),
            one_of(req.params, "direction", &["listen", "speak", "both"]),
        ) else {
            return self.bad_params(req, "Invalid params");
        };
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Playing", Map::new());
        if !list.iter().all(playable) {
            // §1.1: `error` is a terminal state; the service fails a media it cannot fetch or
            // render, and the request itself was well formed.
            return self.play_event(req.call_id, &control_id, "error", req.now);
        }
        let length = self.config.play_duration;
        let left = (loops > 0).then(|| length.saturating_mul(loops.min(10_000) as u32));
        let play = Play {
            left,
            since: Some(req.now),
        };
        let serial = self.insert_action(req.call_id, &control_id, ActionKind::Play(play));
        self.play_event(req.call_id, &control_id, "playing", req.now);
        if let Some(left) = left {
            let at = req.now + left;
            self.schedule_step(req.call_id, &control_id, serial, Step::PlayDone, at);
        }
    }

    /// `calling.play.pause` / `calling.play.resume`: `paused` / `playing`; a pause of a paused
    /// play (or a resume of a playing one) changes nothing and sends nothing.
    pub(super) fn pause_play(&mut self, req: &Request<'_>, pause: bool) {
        let fits = |kind: &ActionKind| matches!(kind, ActionKind::Play(_));
        let Some(control_id) = self.control_of(req, fits) else {
            return;
        };
        let message = if pause { "Play paused" } else { "Play resumed" };
        self.reply_code(req.conn, req.id, "200", message, req.now);
        let now = req.now;
        let Some(ActionKind::Play(play)) = self
            .action_mut(req.call_id, &control_id)
            .map(|action| &mut action.kind)
        else {
            return;
        };
        match (pause, play.since) {
            (true, Some(since)) => {
                play.left = play.left.map(|left| left.saturating_sub(now - since));
                play.since = None;
                self.reserial(req.call_id, &control_id);
                self.play_event(req.call_id, &control_id, "paused", now);
            }
            (false, None) => {
                play.since = Some(now);
                let left = play.left;
                let serial = self.reserial(req.call_id, &control_id);
                self.play_event(req.call_id, &control_id, "playing", now);
                if let Some(left) = left {
                    self.schedule_step(
                        req.call_id,
                        &control_id,
                        serial,
                        Step::PlayDone,
                        now + left,
                    );
                }
            }
            _ => {}
        }
    }

    /// `calling.play.volume` and `calling.play_and_collect.volume`: `volume` (dB, -40…+40) is
    /// required; no event.
    pub(super) fn set_volume(&mut self, req: &Request<'_>, method: &str) {
        let given = matches!(req.params.get("volume"), Some(Value::Number(_)));
        if !given || volume(req.params, "volume").is_err() {
            return self.bad_params(req, "Invalid volume");
        }
        let prompt = method == "calling.play_and_collect.volume";
        let fits = |kind: &ActionKind| match kind {
            ActionKind::Play(_) => !prompt,
            ActionKind::Collect(collect) => prompt && collect.is_prompt(),
            _ => false,
        };
        if self.control_of(req, fits).is_some() {
            self.reply_code(req.conn, req.id, "200", "Volume set", req.now);
        }
    }

    pub(super) fn play_done(&mut self, call_id: &CallId, control_id: &ControlId, now: Instant) {
        self.remove_action(call_id, control_id);
        self.play_event(call_id, control_id, "finished", now);
    }

    /// A stopped play, or one on a call that ends: `finished`.
    pub(super) fn halt_play(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        events: bool,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        if events {
            self.play_event(call_id, control_id, "finished", now);
        }
    }

    /// `calling.call.play` with `state`.
    pub(super) fn play_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        state: &str,
        now: Instant,
    ) {
        let fields = json!({ "state": state });
        self.action_event(call_id, control_id, "calling.call.play", fields, now);
    }
}

/// Whether the service can play one media object ([§1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Media object"): the nested
/// `{type, params}` form with its required param. A media list is playable when each item is.
pub(in crate::sim) fn playable(media: &Value) -> bool {
    let kind = media.get("type").and_then(Value::as_str);
    let params = media.get("params");
    let text = |key: &str| {
        params
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let number = |key: &str| {
        params
            .and_then(|p| p.get(key))
            .and_then(Value::as_f64)
            .is_some_and(|n| n >= 0.0)
    };
    match kind {
        Some("audio") => text("url"),
        Some("tts") => text("text"),
        Some("silence") => number("duration"),
        Some("ringtone") => text("name"),
        _ => false,
    }
}
