//! Puts a stream's audio together: each `media` chunk is decoded and placed on its track's
//! timeline by `timestamp` (not by arrival), and holes are reported as gaps.

use super::encoding::MediaFormat;
use super::message::{MediaChunk, MediaTrack};
use std::collections::BTreeMap;
use std::fmt;

/// Audio missing from a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The track.
    pub track: MediaTrack,
    /// Where the hole starts, in ms since the stream started.
    pub at_ms: u64,
    /// How long it is, in ms.
    pub missing_ms: u64,
}

/// Why a chunk could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssembleError {
    /// The chunk would put the timeline past the limit (a hostile or broken timestamp).
    TooLong {
        /// The chunk's timestamp.
        timestamp_ms: u64,
        /// The limit.
        max_ms: u64,
    },
}

impl fmt::Display for AssembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssembleError::TooLong {
                timestamp_ms,
                max_ms,
            } => write!(
                f,
                "timestamp {timestamp_ms} ms is past the {max_ms} ms limit"
            ),
        }
    }
}

impl std::error::Error for AssembleError {}

#[derive(Debug, Default, Clone)]
struct Timeline {
    samples: Vec<i16>,
    /// Holes as half-open sample ranges, kept sorted and disjoint.
    holes: Vec<(usize, usize)>,
    chunks: u64,
}

impl Timeline {
    fn place(&mut self, offset: usize, pcm: &[i16]) {
        let end = offset + pcm.len();
        if offset > self.samples.len() {
            self.holes.push((self.samples.len(), offset));
        }
        if end > self.samples.len() {
            self.samples.resize(end, 0);
        }
        self.samples[offset..end].copy_from_slice(pcm);
        // A late chunk fills (part of) an earlier hole.
        let mut holes = Vec::with_capacity(self.holes.len() + 1);
        for &(start, stop) in &self.holes {
            if stop <= offset || start >= end {
                holes.push((start, stop));
                continue;
            }
            if start < offset {
                holes.push((start, offset));
            }
            if stop > end {
                holes.push((end, stop));
            }
        }
        self.holes = holes;
        self.chunks += 1;
    }
}

/// The audio of one stream, per track.
#[derive(Debug, Clone)]
pub struct StreamAssembler {
    format: MediaFormat,
    max_ms: u64,
    tracks: BTreeMap<MediaTrack, Timeline>,
}

impl StreamAssembler {
    /// An empty assembler for audio in `format`, limited to one hour a track.
    pub fn new(format: MediaFormat) -> Self {
        Self {
            format,
            max_ms: 3600 * 1000,
            tracks: BTreeMap::new(),
        }
    }

    /// Changes the length limit.
    pub fn with_max_ms(mut self, max_ms: u64) -> Self {
        self.max_ms = max_ms;
        self
    }

    /// The format the chunks are decoded with.
    pub fn format(&self) -> &MediaFormat {
        &self.format
    }

    /// Decodes a chunk and places it at its timestamp.
    pub fn push(&mut self, chunk: &MediaChunk) -> Result<(), AssembleError> {
        let pcm = self.format.encoding.decode(&chunk.payload);
        let rate = u64::from(self.format.sample_rate);
        let chunk_ms = pcm.len() as u64 * 1000 / rate.max(1);
        if chunk.timestamp_ms.saturating_add(chunk_ms) > self.max_ms {
            return Err(AssembleError::TooLong {
                timestamp_ms: chunk.timestamp_ms,
                max_ms: self.max_ms,
            });
        }
        let offset = (chunk.timestamp_ms * rate / 1000) as usize;
        self.tracks
            .entry(chunk.track)
            .or_default()
            .place(offset, &pcm);
        Ok(())
    }

    /// The tracks that received audio.
    pub fn tracks(&self) -> Vec<MediaTrack> {
        self.tracks.keys().copied().collect()
    }

    /// A track's samples, silence in the gaps.
    pub fn samples(&self, track: MediaTrack) -> &[i16] {
        self.tracks
            .get(&track)
            .map(|t| t.samples.as_slice())
            .unwrap_or_default()
    }

    /// Chunks placed on a track.
    pub fn chunks(&self, track: MediaTrack) -> u64 {
        self.tracks.get(&track).map_or(0, |t| t.chunks)
    }

    /// Length of a track in ms.
    pub fn duration_ms(&self, track: MediaTrack) -> u64 {
        self.samples(track).len() as u64 * 1000 / u64::from(self.format.sample_rate.max(1))
    }

    /// Every hole, per track in time order.
    pub fn gaps(&self) -> Vec<Gap> {
        let rate = u64::from(self.format.sample_rate.max(1));
        self.tracks
            .iter()
            .flat_map(|(track, timeline)| {
                timeline.holes.iter().map(move |&(start, stop)| Gap {
                    track: *track,
                    at_ms: start as u64 * 1000 / rate,
                    missing_ms: (stop - start) as u64 * 1000 / rate,
                })
            })
            .collect()
    }

    /// Both tracks summed (with saturation) into one mono timeline.
    pub fn mixed(&self) -> Vec<i16> {
        let length = self
            .tracks
            .values()
            .map(|t| t.samples.len())
            .max()
            .unwrap_or(0);
        let mut mix = vec![0i16; length];
        for timeline in self.tracks.values() {
            for (out, &sample) in mix.iter_mut().zip(&timeline.samples) {
                *out = out.saturating_add(sample);
            }
        }
        mix
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Encoding;
    use bytes::Bytes;

    fn chunk(track: MediaTrack, n: u64, value: i16) -> MediaChunk {
        MediaChunk {
            track,
            chunk: n,
            timestamp_ms: (n - 1) * 20,
            payload: Bytes::from(Encoding::L16.encode(&[value; 160])),
        }
    }

    fn assembler() -> StreamAssembler {
        StreamAssembler::new(MediaFormat::l16(8000))
    }

    #[test]
    fn out_of_order_chunks_land_by_timestamp() {
        let mut a = assembler();
        for n in [2, 1, 3] {
            a.push(&chunk(MediaTrack::Inbound, n, n as i16)).unwrap();
        }
        let samples = a.samples(MediaTrack::Inbound);
        assert_eq!(samples.len(), 480);
        assert_eq!((samples[0], samples[160], samples[320]), (1, 2, 3));
        assert!(a.gaps().is_empty(), "the late chunk filled its hole");
    }

    #[test]
    fn a_missing_chunk_is_a_20_ms_gap_of_silence() {
        let mut a = assembler();
        a.push(&chunk(MediaTrack::Inbound, 1, 5)).unwrap();
        a.push(&chunk(MediaTrack::Inbound, 3, 5)).unwrap();
        assert_eq!(
            a.gaps(),
            vec![Gap {
                track: MediaTrack::Inbound,
                at_ms: 20,
                missing_ms: 20
            }]
        );
        assert_eq!(a.samples(MediaTrack::Inbound)[200], 0);
        assert_eq!(a.duration_ms(MediaTrack::Inbound), 60);
    }

    #[test]
    fn interleaved_tracks_stay_apart() {
        let mut a = assembler();
        for n in 1..=3 {
            a.push(&chunk(MediaTrack::Inbound, n, 100)).unwrap();
            a.push(&chunk(MediaTrack::Outbound, n, -7)).unwrap();
        }
        assert_eq!(a.tracks(), [MediaTrack::Inbound, MediaTrack::Outbound]);
        assert!(a.samples(MediaTrack::Inbound).iter().all(|&s| s == 100));
        assert!(a.samples(MediaTrack::Outbound).iter().all(|&s| s == -7));
        assert_eq!(a.chunks(MediaTrack::Outbound), 3);
        assert!(a.mixed().iter().all(|&s| s == 93));
    }

    #[test]
    fn an_absurd_timestamp_is_refused() {
        let mut a = assembler();
        let mut far = chunk(MediaTrack::Inbound, 1, 1);
        far.timestamp_ms = u64::MAX / 2;
        assert!(matches!(a.push(&far), Err(AssembleError::TooLong { .. })));
        assert!(a.samples(MediaTrack::Inbound).is_empty());
    }
}
