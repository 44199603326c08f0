//! The simulator's media sender: opens a WebSocket to a stream's url (with the bearer
//! header), and plays `connected`, `start`, paced `media` and `stop` into it.

use crate::action::stream_options::is_loopback_host;
use crate::driver::{connect_websocket, split_url, ConnectOptions, Runtime};
use crate::media::{test_signal, MediaFormat, MediaScript, MediaTrack, StartInfo, StreamMessage};
use crate::sim::MediaJob;
use async_tungstenite::tungstenite::Message;
use futures_channel::oneshot;
use futures_util::future::{self, Either};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packet time of the media messages.
const PTIME_MS: u32 = 20;

/// The audio the simulator streams.
#[derive(Debug, Clone)]
pub enum AudioSource {
    /// The built-in test signal (a tone with a beep each second), this long.
    TestSignal {
        /// Length in milliseconds.
        duration_ms: u32,
    },
    /// Mono 16-bit samples at `sample_rate` (e.g. read from a WAV file); resampled as needed.
    Samples {
        /// Their rate.
        sample_rate: u32,
        /// The samples.
        samples: Arc<Vec<i16>>,
    },
}

impl AudioSource {
    /// The samples at `rate`.
    pub fn samples_at(&self, rate: u32) -> Vec<i16> {
        match self {
            AudioSource::TestSignal { duration_ms } => test_signal(rate, *duration_ms),
            AudioSource::Samples {
                sample_rate,
                samples,
            } => resample(samples, *sample_rate, rate),
        }
    }
}

/// Linear-interpolation resampling: good enough for a simulator's test audio.
fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() || from == 0 {
        return samples.to_vec();
    }
    let out_len = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * f64::from(from) / f64::from(to);
            let left = pos.floor() as usize;
            let right = (left + 1).min(samples.len() - 1);
            let frac = pos - left as f64;
            let value = f64::from(samples[left.min(samples.len() - 1)]) * (1.0 - frac)
                + f64::from(samples[right]) * frac;
            value.round() as i16
        })
        .collect()
}

/// How fast media goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// One 20 ms packet every 20 ms, as the real service does.
    RealTime,
    /// As fast as the socket takes it (tests, load).
    Fast,
}

/// Shared settings of every media sender of one simulator.
#[derive(Debug, Clone)]
pub(crate) struct MediaSettings {
    pub(crate) audio: AudioSource,
    pub(crate) pacing: Pacing,
    pub(crate) extra_ca_pem: Option<Vec<u8>>,
    pub(crate) account_sid: String,
    /// The callers of connects to stream devices (two-way).
    pub(crate) two_way: super::two_way_sim::TwoWayCallers,
}

/// How a media job ended, for the fake service.
#[derive(Debug)]
pub(crate) enum MediaEnd {
    /// All audio sent, or stopped.
    Finished,
    /// Never connected, or an unusable job; the status-callback error name.
    Failed(&'static str),
}

/// The media format for a `codec` option: the call's default is PCMU.
pub(crate) fn format_for(codec: Option<&str>) -> Result<MediaFormat, &'static str> {
    let codec = codec.unwrap_or("PCMU");
    let (name, rate) = match codec.split_once('@') {
        Some((name, rest)) => {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let rate = if rest.ends_with('h') {
                digits.parse().map_err(|_| "codec_error")?
            } else {
                0
            };
            (name, rate)
        }
        None => (codec, 0),
    };
    match name.to_ascii_uppercase().as_str() {
        "PCMU" => Ok(MediaFormat::pcmu()),
        "PCMA" => Ok(MediaFormat::pcma()),
        "L16" => Ok(MediaFormat::l16(if rate == 0 { 16_000 } else { rate })),
        _ => Err("codec_error"),
    }
}

/// The tracks for a `track` option as on the wire (either form).
pub(crate) fn tracks_for(track: &str) -> Result<Vec<MediaTrack>, &'static str> {
    match track {
        "inbound_track" | "inbound" => Ok(vec![MediaTrack::Inbound]),
        "outbound_track" | "outbound" => Ok(vec![MediaTrack::Outbound]),
        "both_tracks" | "both" => Ok(vec![MediaTrack::Inbound, MediaTrack::Outbound]),
        _ => Err("invalid_track"),
    }
}

/// Runs one stream to its end; `started` runs once the socket is open (in this task, so
/// it is always reported before the end).
pub(crate) async fn send_media(
    runtime: Arc<dyn Runtime>,
    settings: Arc<MediaSettings>,
    job: MediaJob,
    stream_sid: String,
    started: Box<dyn FnOnce() + Send>,
    mut stop: oneshot::Receiver<()>,
) -> MediaEnd {
    if job.two_way {
        let callers = settings.two_way.clone();
        callers
            .run_over_socket(runtime, settings, job, started, stop)
            .await;
        return MediaEnd::Finished;
    }
    let format = match format_for(job.codec.as_deref()) {
        Ok(format) => format,
        Err(error) => return MediaEnd::Failed(error),
    };
    let tracks = match tracks_for(&job.track) {
        Ok(tracks) => tracks,
        Err(error) => return MediaEnd::Failed(error),
    };
    let loopback = split_url(&job.url).is_ok_and(|(_, host, _)| is_loopback_host(&host));
    let options = ConnectOptions {
        url: job.url.clone(),
        allow_insecure: loopback,
        extra_ca_pem: settings.extra_ca_pem.clone(),
        max_frame_size: 1 << 20,
    };
    let bearer = job.bearer_token.as_ref().map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|value| vec![("Authorization", value)])
        .unwrap_or_default();
    let mut ws = match connect_websocket(runtime.as_ref(), &options, &headers).await {
        Ok(ws) => ws,
        Err(_) => return MediaEnd::Failed("connection_refused"),
    };
    started();
    let start = StartInfo::new(
        stream_sid,
        settings.account_sid.clone(),
        job.call_id.as_str().to_owned(),
        tracks,
        format.clone(),
    )
    .with_custom_parameters(job.custom_parameters.clone());
    let samples = settings.audio.samples_at(format.sample_rate);
    let script = MediaScript::new(start, &samples, PTIME_MS);
    let began = Instant::now();
    let mut last_sequence = 0;
    for (at_ms, message) in script.messages() {
        if matches!(message, StreamMessage::Stop { .. }) {
            // The script's own stop goes out below, after the loop, either way.
            break;
        }
        if !matches!(stop.try_recv(), Ok(None)) {
            break;
        }
        if settings.pacing == Pacing::RealTime {
            let due = began + Duration::from_millis(*at_ms);
            let wait = due.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                if let Either::Right(_) = future::select(runtime.sleep(wait), &mut stop).await {
                    break;
                }
            }
        }
        last_sequence = sequence_of(message).unwrap_or(last_sequence);
        if ws.send(Message::text(message.to_json())).await.is_err() {
            return MediaEnd::Finished;
        }
    }
    let stop_message = StreamMessage::Stop {
        sequence_number: last_sequence + 1,
    };
    let _ = ws.send(Message::text(stop_message.to_json())).await;
    let _ = ws.close(None).await;
    MediaEnd::Finished
}

fn sequence_of(message: &StreamMessage) -> Option<u64> {
    match message {
        StreamMessage::Start {
            sequence_number, ..
        }
        | StreamMessage::Media {
            sequence_number, ..
        }
        | StreamMessage::Dtmf {
            sequence_number, ..
        }
        | StreamMessage::Stop { sequence_number }
        | StreamMessage::Mark {
            sequence_number, ..
        } => Some(*sequence_number),
        StreamMessage::Connected { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Encoding;

    #[test]
    fn codecs_map_to_formats() {
        assert_eq!(format_for(None).map(|f| f.encoding), Ok(Encoding::Mulaw));
        assert_eq!(
            format_for(Some("PCMA")).map(|f| f.encoding),
            Ok(Encoding::Alaw)
        );
        let l16 = format_for(Some("L16@24000h")).expect("l16");
        assert_eq!((l16.encoding, l16.sample_rate), (Encoding::L16, 24_000));
        assert_eq!(
            format_for(Some("PCMU@40i")).map(|f| f.sample_rate),
            Ok(8000)
        );
        assert_eq!(format_for(Some("OPUS")), Err("codec_error"));
    }

    #[test]
    fn tracks_read_both_forms() {
        assert_eq!(tracks_for("inbound"), Ok(vec![MediaTrack::Inbound]));
        assert_eq!(tracks_for("both_tracks").map(|t| t.len()), Ok(2));
        assert_eq!(tracks_for("sideways"), Err("invalid_track"));
    }

    #[test]
    fn resampling_keeps_length_ratio() {
        let samples: Vec<i16> = (0..160).map(|i| i * 10).collect();
        let up = resample(&samples, 8000, 16_000);
        assert_eq!(up.len(), 320);
        assert_eq!(up[0], 0);
        assert_eq!(up[2], 10);
        assert_eq!(up[1], 5);
    }
}
