//! The simulated caller of a two-way stream (`calling.connect` to a `stream` device): speaks
//! the bidirectional protocol as the service does over any WebSocket, plays what the app sends
//! back at real-time pace (virtual time in memory), and records what the caller heard.
//!
//! Every 20 ms tick sends one frame of the caller's scripted audio (digits as `dtmf`) and plays
//! one frame of the playback queue. A `mark` is acknowledged once the audio queued before it
//! has played (at once when nothing is queued); `clear` flushes the queue and returns its
//! pending marks.

use crate::driver::Runtime;
use crate::media::{
    write_wav, MediaChunk, MediaFormat, MediaTrack, OutgoingMessage, StartInfo, StreamMessage,
    FRAME_MS,
};
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::future::{self, Either};
use futures_util::io::{AsyncRead, AsyncWrite};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// One step of what the caller does.
#[derive(Debug, Clone, PartialEq)]
pub enum TwoWayStep {
    /// Speaks (a voiced test sound) for this long.
    Speak(Duration),
    /// Says nothing for this long.
    Silence(Duration),
    /// Presses a key (a `dtmf` message, 100 ms long), then 100 ms of silence.
    Digit(char),
}

/// What the caller says, step by step, then how long it listens before hanging up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TwoWayScript {
    /// The steps, in order.
    pub steps: Vec<TwoWayStep>,
    /// Listening after the last step, before `stop`.
    pub tail: Duration,
}

impl TwoWayScript {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Speaks for `ms` milliseconds.
    pub fn speak(mut self, ms: u64) -> Self {
        self.steps
            .push(TwoWayStep::Speak(Duration::from_millis(ms)));
        self
    }

    /// Stays silent for `ms` milliseconds.
    pub fn silence(mut self, ms: u64) -> Self {
        self.steps
            .push(TwoWayStep::Silence(Duration::from_millis(ms)));
        self
    }

    /// Presses a key.
    pub fn digit(mut self, digit: char) -> Self {
        self.steps.push(TwoWayStep::Digit(digit));
        self
    }

    /// Listens this long after the last step.
    pub fn tail(mut self, ms: u64) -> Self {
        self.tail = Duration::from_millis(ms);
        self
    }

    /// Reads the command-line form: comma-separated `speak:MS`, `silence:MS`, `digit:D` and
    /// `tail:MS`, e.g. `silence:500,speak:1200,silence:1500,digit:5,tail:1000`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut script = Self::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (what, value) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?}: give WHAT:VALUE"))?;
            let ms = || {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms <= 3_600_000)
                    .ok_or_else(|| format!("{part:?}: give milliseconds, 0 to 3600000"))
            };
            script = match what {
                "speak" => script.speak(ms()?),
                "silence" => script.silence(ms()?),
                "tail" => script.tail(ms()?),
                "digit" => match value.chars().collect::<Vec<_>>()[..] {
                    [d] if d.is_ascii_digit() || "*#ABCD".contains(d) => script.digit(d),
                    _ => return Err(format!("{part:?}: give one of 0-9 * # A-D")),
                },
                _ => return Err(format!("{part:?}: speak, silence, digit or tail")),
            };
        }
        Ok(script)
    }

    /// The caller's audio at `rate`, the digits with their sample index, and where each
    /// utterance ends (sample index).
    fn render(&self, rate: u32) -> (Vec<i16>, Vec<(usize, char)>, Vec<usize>) {
        let per_ms = |d: Duration| (u128::from(rate) * d.as_millis() / 1000) as usize;
        let mut pcm = Vec::new();
        let mut digits = Vec::new();
        let mut ends = Vec::new();
        for step in &self.steps {
            match step {
                TwoWayStep::Speak(d) => {
                    let start = pcm.len();
                    pcm.extend((0..per_ms(*d)).map(|i| voice(start + i, rate)));
                    ends.push(pcm.len());
                }
                TwoWayStep::Silence(d) => pcm.resize(pcm.len() + per_ms(*d), 0),
                TwoWayStep::Digit(c) => {
                    digits.push((pcm.len(), *c));
                    pcm.resize(pcm.len() + per_ms(Duration::from_millis(200)), 0);
                }
            }
        }
        pcm.resize(pcm.len() + per_ms(self.tail), 0);
        (pcm, digits, ends)
    }
}

/// A voiced test sound: 180 Hz and its second harmonic, at about -14 dBFS.
fn voice(i: usize, rate: u32) -> i16 {
    let t = i as f64 / f64::from(rate.max(1));
    let s = (std::f64::consts::TAU * 180.0 * t).sin() * 0.6
        + (std::f64::consts::TAU * 360.0 * t).sin() * 0.4;
    (s * 6000.0) as i16
}

/// What happened on the caller's side of one two-way stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallerRecording {
    /// Samples per second of both tracks.
    pub sample_rate: u32,
    /// What the caller said, tick by tick.
    pub caller: Vec<i16>,
    /// What the caller heard (the app's audio as played), aligned with `caller`.
    pub heard: Vec<i16>,
    /// Where each utterance ended, in ms from the start.
    pub utterance_ends_ms: Vec<f64>,
    /// Where each stretch of played audio began after the queue had run dry, in ms.
    pub reply_onsets_ms: Vec<f64>,
    /// Marks acknowledged as played, in order.
    pub marks_played: Vec<String>,
    /// Marks returned by a `clear`, in order.
    pub marks_cleared: Vec<String>,
    /// `clear` messages received.
    pub clears: u32,
    /// Messages from the app that could not be read (typed errors, logged).
    pub bad_messages: u32,
    /// Whether the app closed the connection before the script ended.
    pub closed_early: bool,
    /// Media messages dropped because the playback queue already held
    /// [`MAX_QUEUED_MS`] of audio (an app sending far ahead of real time).
    pub dropped_media: u32,
}

/// The most audio the caller queues for playing: what an app sends beyond this (more than a
/// minute ahead of real time) is dropped and counted, so the simulator's memory stays bounded.
pub const MAX_QUEUED_MS: u32 = 60_000;

impl CallerRecording {
    /// Per utterance, ms from its end to the first reply sample the caller heard after it
    /// (before the next utterance ended); utterances with no reply are skipped.
    pub fn reply_latencies_ms(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for (i, end) in self.utterance_ends_ms.iter().enumerate() {
            let next = self
                .utterance_ends_ms
                .get(i + 1)
                .copied()
                .unwrap_or(f64::INFINITY);
            if let Some(onset) = self
                .reply_onsets_ms
                .iter()
                .find(|o| **o >= *end && **o < next)
            {
                out.push(onset - end);
            }
        }
        out
    }

    /// Root-mean-square of what the caller heard between two times (ms).
    pub fn heard_rms(&self, from_ms: f64, to_ms: f64) -> f64 {
        let at = |ms: f64| (ms.max(0.0) * f64::from(self.sample_rate) / 1000.0) as usize;
        let slice = &self.heard[at(from_ms).min(self.heard.len())..at(to_ms).min(self.heard.len())];
        if slice.is_empty() {
            return 0.0;
        }
        let sum: f64 = slice.iter().map(|s| f64::from(*s).powi(2)).sum();
        (sum / slice.len() as f64).sqrt()
    }

    /// A stereo WAV: left what the caller said, right what the caller heard.
    pub fn stereo_wav(&self) -> Vec<u8> {
        let len = self.caller.len().max(self.heard.len());
        let mut interleaved = Vec::with_capacity(len * 2);
        for i in 0..len {
            interleaved.push(self.caller.get(i).copied().unwrap_or(0));
            interleaved.push(self.heard.get(i).copied().unwrap_or(0));
        }
        let mut out = Vec::new();
        // Writing into a Vec fails only for a recording too long for a WAV header.
        if let Err(error) = write_wav(&mut out, self.sample_rate, 2, &interleaved) {
            tracing::warn!(%error, "the caller's recording does not fit a WAV file");
        }
        out
    }
}

enum Queued {
    Audio(Vec<i16>),
    Mark(String),
}

/// The playback side: what the app sent, played 20 ms a tick.
struct Playback {
    queue: VecDeque<Queued>,
    /// Samples of audio in `queue`.
    queued_samples: usize,
    was_playing: bool,
}

impl Playback {
    fn has_audio(&self) -> bool {
        self.queue.iter().any(|q| matches!(q, Queued::Audio(_)))
    }

    /// Fills `frame` from the queue; the samples played, and the marks whose audio has now
    /// played (those passed on the way, and those left at the head).
    fn play(&mut self, frame: &mut [i16]) -> (usize, Vec<String>) {
        let mut filled = 0;
        let mut due = Vec::new();
        loop {
            match self.queue.front_mut() {
                Some(Queued::Mark(_)) => {
                    if let Some(Queued::Mark(name)) = self.queue.pop_front() {
                        due.push(name);
                    }
                }
                Some(Queued::Audio(samples)) if filled < frame.len() => {
                    let n = samples.len().min(frame.len() - filled);
                    frame[filled..filled + n].copy_from_slice(&samples[..n]);
                    samples.drain(..n);
                    filled += n;
                    self.queued_samples -= n;
                    if samples.is_empty() {
                        self.queue.pop_front();
                    }
                }
                _ => break,
            }
        }
        (filled, due)
    }
}

/// Plays `script` as the caller into a two-way stream whose `start` is `start`, over `ws`
/// (already connected, the service's side), paced by `runtime`. Returns when the script and
/// its tail are over (after `stop`), or when the app closes the connection.
pub async fn run_two_way_caller<S>(
    ws: WebSocketStream<S>,
    runtime: Arc<dyn Runtime>,
    start: StartInfo,
    script: &TwoWayScript,
) -> CallerRecording
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    run_two_way_caller_until(ws, runtime, start, script, Box::pin(future::pending())).await
}

/// Like [`run_two_way_caller`], but hangs up (`stop`) early once `hang_up` resolves: the
/// simulator's call ended.
pub async fn run_two_way_caller_until<S>(
    ws: WebSocketStream<S>,
    runtime: Arc<dyn Runtime>,
    start: StartInfo,
    script: &TwoWayScript,
    mut hang_up: Pin<Box<dyn Future<Output = ()> + Send>>,
) -> CallerRecording
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let format: MediaFormat = start.media_format.clone();
    let rate = format.sample_rate;
    let per_frame = format.samples_for(FRAME_MS).max(1);
    let (caller, digits, ends) = script.render(rate);
    let frames = caller.len().div_ceil(per_frame);
    let ms_of = |sample: usize| sample as f64 * 1000.0 / f64::from(rate.max(1));
    let mut rec = CallerRecording {
        sample_rate: rate,
        utterance_ends_ms: ends.iter().map(|e| ms_of(*e)).collect(),
        ..CallerRecording::default()
    };
    let (mut sink, mut incoming) = ws.split();
    let mut sequence = 0u64;
    let mut next_seq = || {
        sequence += 1;
        sequence
    };
    let hello = [
        StreamMessage::Connected {
            protocol: "Call".into(),
            version: "1.0.0".into(),
        },
        StreamMessage::Start {
            sequence_number: next_seq(),
            start,
        },
    ];
    for message in hello {
        if sink.send(Message::text(message.to_json())).await.is_err() {
            rec.closed_early = true;
            return rec;
        }
    }
    let mut playback = Playback {
        queue: VecDeque::new(),
        queued_samples: 0,
        was_playing: false,
    };
    let began = runtime.now();
    let mut out: Vec<String> = Vec::new();
    'ticks: for tick in 0..frames {
        let due = began + Duration::from_millis(u64::from(FRAME_MS) * tick as u64);
        // Read what the app sends until this tick is due.
        loop {
            let wait = due.saturating_duration_since(runtime.now());
            if wait.is_zero() {
                break;
            }
            let read_or_tick = future::select(incoming.next(), runtime.sleep(wait));
            let next = match future::select(read_or_tick, hang_up.as_mut()).await {
                Either::Left((next, _)) => next,
                Either::Right(_) => break 'ticks,
            };
            match next {
                Either::Right(_) => break,
                Either::Left((None, _)) | Either::Left((Some(Err(_)), _)) => {
                    rec.closed_early = true;
                    break 'ticks;
                }
                Either::Left((Some(Ok(message)), _)) => {
                    handle(message, &format, &mut playback, &mut rec, &mut out);
                    for name in out.drain(..) {
                        let mark = mark_message(next_seq(), name);
                        if sink.send(Message::text(mark)).await.is_err() {
                            rec.closed_early = true;
                            break 'ticks;
                        }
                    }
                }
            }
        }
        // The caller's frame (and any key pressed in it) goes out.
        let from = tick * per_frame;
        let to = (from + per_frame).min(caller.len());
        let mut frame = caller[from..to].to_vec();
        frame.resize(per_frame, 0);
        rec.caller.extend_from_slice(&frame);
        let media = StreamMessage::Media {
            sequence_number: next_seq(),
            media: MediaChunk {
                track: MediaTrack::Inbound,
                chunk: tick as u64 + 1,
                timestamp_ms: u64::from(FRAME_MS) * tick as u64,
                payload: Bytes::from(format.encoding.encode(&frame)),
            },
        };
        let mut messages = vec![media.to_json()];
        for (_, digit) in digits
            .iter()
            .filter(|(at, _)| (from..from + per_frame).contains(at))
        {
            let dtmf = StreamMessage::Dtmf {
                sequence_number: next_seq(),
                digit: digit.to_string(),
                duration_ms: 100,
            };
            messages.push(dtmf.to_json());
        }
        // One frame of the app's audio plays; marks whose audio is done are acknowledged.
        let mut played = vec![0i16; per_frame];
        let (filled, due) = playback.play(&mut played);
        if filled > 0 && !playback.was_playing {
            let first = played[..filled].iter().position(|s| *s != 0).unwrap_or(0);
            rec.reply_onsets_ms.push(ms_of(from + first));
        }
        playback.was_playing = filled > 0 && playback.has_audio();
        rec.heard.extend_from_slice(&played);
        for name in due {
            rec.marks_played.push(name.clone());
            messages.push(mark_message(next_seq(), name));
        }
        for text in messages {
            if sink.send(Message::text(text)).await.is_err() {
                rec.closed_early = true;
                break 'ticks;
            }
        }
    }
    let stop = StreamMessage::Stop {
        sequence_number: next_seq(),
    };
    let _ = sink.send(Message::text(stop.to_json())).await;
    let _ = sink.close(None).await;
    rec
}

fn mark_message(sequence_number: u64, name: String) -> String {
    StreamMessage::Mark {
        sequence_number,
        name,
    }
    .to_json()
}

/// One message from the app: audio queued, a mark queued (or due at once), a clear.
fn handle(
    message: Message,
    format: &MediaFormat,
    playback: &mut Playback,
    rec: &mut CallerRecording,
    due: &mut Vec<String>,
) {
    let Message::Text(text) = message else {
        return;
    };
    match OutgoingMessage::parse(text.as_str()) {
        Ok(OutgoingMessage::Media { payload, .. }) => {
            let limit = format.samples_for(MAX_QUEUED_MS);
            let samples = format.encoding.decode(&payload);
            if playback.queued_samples + samples.len() > limit {
                rec.dropped_media += 1;
                tracing::warn!("the simulated caller's playback queue is full; audio dropped");
                return;
            }
            playback.queued_samples += samples.len();
            playback.queue.push_back(Queued::Audio(samples));
        }
        Ok(OutgoingMessage::Mark { name, .. }) => {
            if playback.has_audio() {
                playback.queue.push_back(Queued::Mark(name));
            } else {
                rec.marks_played.push(name.clone());
                due.push(name);
            }
        }
        Ok(OutgoingMessage::Clear { .. }) => {
            rec.clears += 1;
            playback.queued_samples = 0;
            for queued in playback.queue.drain(..) {
                if let Queued::Mark(name) = queued {
                    rec.marks_cleared.push(name.clone());
                    due.push(name);
                }
            }
            playback.was_playing = false;
        }
        Err(error) => {
            rec.bad_messages += 1;
            tracing::warn!(%error, "the simulated caller could not read a message");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_form_reads_every_step_and_refuses_the_rest() {
        let script = TwoWayScript::parse("silence:500, speak:1200,digit:#,tail:900").unwrap();
        assert_eq!(
            script,
            TwoWayScript::new()
                .silence(500)
                .speak(1200)
                .digit('#')
                .tail(900)
        );
        for bad in ["speak", "speak:x", "digit:12", "shout:5", "silence:-1"] {
            assert!(TwoWayScript::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rendering_places_utterance_ends_and_digits() {
        let script = TwoWayScript::new()
            .speak(100)
            .digit('5')
            .silence(50)
            .tail(10);
        let (pcm, digits, ends) = script.render(8000);
        assert_eq!(ends, [800]);
        assert_eq!(digits, [(800, '5')]);
        assert_eq!(pcm.len(), 800 + 1600 + 400 + 80);
        assert!(pcm[800..].iter().all(|s| *s == 0));
    }
}
