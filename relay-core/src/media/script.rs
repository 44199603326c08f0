//! The sender's side of a stream, sans-IO: the exact messages a stream connection carries
//! (`connected`, `start`, paced `media`, `stop`) and when each is due.

use super::message::{MediaChunk, MediaTrack, StartInfo, StreamMessage};
use super::signal::Packetizer;

/// The messages of one stream, each with the millisecond (since the start) it is due.
///
/// `connected` and `start` (sequence 1) are due at 0; then one `media` per track and packet,
/// the tracks interleaved in the order of `start.tracks`, `chunk` counting per track from 1
/// and each due at its `timestamp`; `stop` is due one packet time after the last packet.
/// Sequence numbers rise by one across all messages. With both tracks the inbound track carries the samples and the outbound track the same
/// audio at a quarter of the level, so the two are told apart in a recording.
#[derive(Debug, Clone)]
pub struct MediaScript {
    messages: Vec<(u64, StreamMessage)>,
}

impl MediaScript {
    /// The script for `samples` (at the start message's rate) in packets of `ptime_ms`
    /// (at least 1 ms).
    pub fn new(start: StartInfo, samples: &[i16], ptime_ms: u32) -> Self {
        let packetizer = Packetizer::new(start.media_format.clone(), ptime_ms);
        let ptime_ms = packetizer.ptime_ms();
        let quieter: Vec<i16> = samples.iter().map(|s| s / 4).collect();
        let mut per_track = Vec::new();
        for track in &start.tracks {
            let audio = match track {
                MediaTrack::Inbound => samples,
                MediaTrack::Outbound if start.tracks.len() > 1 => &quieter,
                MediaTrack::Outbound => samples,
            };
            per_track.push((*track, packetizer.packets(audio)));
        }
        let mut messages = vec![(
            0,
            StreamMessage::Connected {
                protocol: "Call".into(),
                version: "0.2.0".into(),
            },
        )];
        messages.push((
            0,
            StreamMessage::Start {
                sequence_number: 1,
                start,
            },
        ));
        let mut sequence = 1;
        let packets = per_track.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
        let mut last_ms = 0;
        for index in 0..packets {
            let timestamp_ms = index as u64 * u64::from(ptime_ms);
            for (track, packets) in &per_track {
                let Some(payload) = packets.get(index) else {
                    continue;
                };
                sequence += 1;
                messages.push((
                    timestamp_ms,
                    StreamMessage::Media {
                        sequence_number: sequence,
                        media: MediaChunk {
                            track: *track,
                            chunk: index as u64 + 1,
                            timestamp_ms,
                            payload: payload.clone(),
                        },
                    },
                ));
            }
            last_ms = timestamp_ms + u64::from(ptime_ms);
        }
        sequence += 1;
        messages.push((
            last_ms,
            StreamMessage::Stop {
                sequence_number: sequence,
            },
        ));
        Self { messages }
    }

    /// Every message in order, with the ms it is due at.
    pub fn messages(&self) -> &[(u64, StreamMessage)] {
        &self.messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaFormat;
    use serde_json::Map;

    #[test]
    fn both_tracks_interleave_with_per_track_chunks() {
        let start = StartInfo {
            stream_sid: "s".into(),
            account_sid: "a".into(),
            call_sid: "c".into(),
            tracks: vec![MediaTrack::Inbound, MediaTrack::Outbound],
            custom_parameters: Map::new(),
            media_format: MediaFormat::pcmu(),
        };
        let script = MediaScript::new(start, &[1000; 480], 20);
        let summary: Vec<(u64, String)> = script
            .messages()
            .iter()
            .map(|(at, m)| {
                let label = match m {
                    StreamMessage::Connected { .. } => "connected".to_owned(),
                    StreamMessage::Start {
                        sequence_number, ..
                    } => format!("start#{sequence_number}"),
                    StreamMessage::Media {
                        sequence_number,
                        media,
                    } => format!(
                        "{}:{}@{}#{sequence_number}",
                        media.track.as_wire(),
                        media.chunk,
                        media.timestamp_ms
                    ),
                    StreamMessage::Stop { sequence_number } => format!("stop#{sequence_number}"),
                    other => format!("{other:?}"),
                };
                (*at, label)
            })
            .collect();
        let expected = [
            (0, "connected"),
            (0, "start#1"),
            (0, "inbound:1@0#2"),
            (0, "outbound:1@0#3"),
            (20, "inbound:2@20#4"),
            (20, "outbound:2@20#5"),
            (40, "inbound:3@40#6"),
            (40, "outbound:3@40#7"),
            (60, "stop#8"),
        ];
        let expected: Vec<(u64, String)> = expected
            .iter()
            .map(|(a, l)| (*a, (*l).to_owned()))
            .collect();
        assert_eq!(summary, expected);
    }
}
