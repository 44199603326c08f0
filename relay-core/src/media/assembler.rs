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
    /// The format's rate or channel count is out of range (the rate must be 1 Hz to
    /// [`MAX_SAMPLE_RATE`], the channels 1 to [`MAX_CHANNELS`]), so no sane timeline exists.
    UnsupportedFormat {
        /// The format's sample rate.
        sample_rate: u32,
        /// The format's channel count.
        channels: u16,
    },
}

/// The highest sample rate the assembler accepts: it bounds memory whatever the peer claims.
pub const MAX_SAMPLE_RATE: u32 = 192_000;
/// The most channels the assembler accepts.
pub const MAX_CHANNELS: u16 = 8;

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
            AssembleError::UnsupportedFormat {
                sample_rate,
                channels,
            } => write!(
                f,
                "cannot place audio at {sample_rate} Hz with {channels} channels"
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
    /// Writes `pcm` at `offset`; returns whether the holes changed.
    fn place(&mut self, offset: usize, pcm: &[i16]) -> bool {
        let end = offset + pcm.len();
        let mut holes_changed = false;
        if offset > self.samples.len() {
            self.holes.push((self.samples.len(), offset));
            holes_changed = true;
        }
        if end > self.samples.len() {
            self.samples.resize(end, 0);
        }
        self.samples[offset..end].copy_from_slice(pcm);
        self.chunks += 1;
        // A late chunk fills (part of) an earlier hole; the common in-order case touches none.
        let overlaps = |&(start, stop): &(usize, usize)| start < end && stop > offset;
        if pcm.is_empty() || !self.holes.iter().any(overlaps) {
            return holes_changed;
        }
        let mut holes = Vec::with_capacity(self.holes.len() + 1);
        for &(start, stop) in &self.holes {
            if !overlaps(&(start, stop)) {
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
        true
    }
}

/// The audio of one stream, per track.
///
/// Samples are placed at `timestamp_ms × sample_rate / 1000` (times the channel count, for
/// interleaved audio). A chunk past the current end leaves a gap of silence, recorded as a
/// [`Gap`]; a chunk over audio already written (late, duplicate, out of order) overwrites it,
/// and shrinks or removes any gap it fills.
#[derive(Debug, Clone)]
pub struct StreamAssembler {
    format: MediaFormat,
    max_ms: u64,
    tracks: BTreeMap<MediaTrack, Timeline>,
    gaps: Vec<Gap>,
}

impl StreamAssembler {
    /// An empty assembler for audio in `format`, limited to one hour a track.
    pub fn new(format: MediaFormat) -> Self {
        Self {
            format,
            max_ms: 3600 * 1000,
            tracks: BTreeMap::new(),
            gaps: Vec::new(),
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

    /// Interleaved samples per second, once the format is known to be sane.
    fn samples_per_second(&self) -> Result<u64, AssembleError> {
        let MediaFormat {
            sample_rate,
            channels,
            ..
        } = self.format;
        if !(1..=MAX_SAMPLE_RATE).contains(&sample_rate) || !(1..=MAX_CHANNELS).contains(&channels)
        {
            return Err(AssembleError::UnsupportedFormat {
                sample_rate,
                channels,
            });
        }
        Ok(u64::from(sample_rate) * u64::from(channels))
    }

    /// Decodes a chunk and places it at its timestamp.
    pub fn push(&mut self, chunk: &MediaChunk) -> Result<(), AssembleError> {
        let per_second = u128::from(self.samples_per_second()?);
        let pcm = self.format.encoding.decode(&chunk.payload);
        let too_long = AssembleError::TooLong {
            timestamp_ms: chunk.timestamp_ms,
            max_ms: self.max_ms,
        };
        // u128: no product of a u64 timestamp and the rate can overflow it.
        let offset = u128::from(chunk.timestamp_ms) * per_second / 1000;
        let limit = u128::from(self.max_ms) * per_second / 1000;
        if offset + pcm.len() as u128 > limit {
            return Err(too_long);
        }
        let offset = usize::try_from(offset).map_err(|_| too_long)?;
        let holes_changed = self
            .tracks
            .entry(chunk.track)
            .or_default()
            .place(offset, &pcm);
        if holes_changed {
            self.gaps = self.collect_gaps(per_second as u64);
        }
        Ok(())
    }

    fn collect_gaps(&self, per_second: u64) -> Vec<Gap> {
        let ms = |samples: usize| (samples as u128 * 1000 / u128::from(per_second)) as u64;
        self.tracks
            .iter()
            .flat_map(|(track, timeline)| {
                timeline.holes.iter().map(move |&(start, stop)| Gap {
                    track: *track,
                    at_ms: ms(start),
                    missing_ms: ms(stop - start),
                })
            })
            .collect()
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
        let per_second = self.samples_per_second().unwrap_or(1);
        (self.samples(track).len() as u128 * 1000 / u128::from(per_second)) as u64
    }

    /// Every hole still open, per track (inbound first) in time order.
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    /// Both tracks summed (with saturation) into one timeline, for a mono file.
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
    fn a_late_chunk_shrinks_the_gap_it_partly_fills() {
        let mut a = assembler();
        a.push(&chunk(MediaTrack::Inbound, 1, 1)).unwrap();
        a.push(&chunk(MediaTrack::Inbound, 4, 4)).unwrap();
        assert_eq!(
            a.gaps(),
            [Gap {
                track: MediaTrack::Inbound,
                at_ms: 20,
                missing_ms: 40
            }]
        );
        a.push(&chunk(MediaTrack::Inbound, 2, 2)).unwrap();
        assert_eq!(
            a.gaps(),
            [Gap {
                track: MediaTrack::Inbound,
                at_ms: 40,
                missing_ms: 20
            }]
        );
        a.push(&chunk(MediaTrack::Inbound, 3, 3)).unwrap();
        assert!(a.gaps().is_empty());
        let samples = a.samples(MediaTrack::Inbound);
        assert_eq!(
            [samples[0], samples[160], samples[320], samples[480]],
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn a_duplicate_overwrites_without_a_gap() {
        let mut a = assembler();
        a.push(&chunk(MediaTrack::Inbound, 1, 1)).unwrap();
        a.push(&chunk(MediaTrack::Inbound, 2, 2)).unwrap();
        a.push(&chunk(MediaTrack::Inbound, 2, 9)).unwrap();
        assert!(a.gaps().is_empty());
        assert_eq!(a.samples(MediaTrack::Inbound).len(), 320);
        assert_eq!(a.samples(MediaTrack::Inbound)[160], 9);
    }

    #[test]
    fn a_hostile_format_is_refused_without_allocating() {
        for (sample_rate, channels) in [(4_000_000_000, 1), (0, 1), (8000, 0), (8000, 9)] {
            let format = MediaFormat {
                sample_rate,
                channels,
                ..MediaFormat::pcmu()
            };
            let mut a = StreamAssembler::new(format);
            let mut late = chunk(MediaTrack::Inbound, 1, 1);
            late.timestamp_ms = 3_000_000;
            assert_eq!(
                a.push(&late),
                Err(AssembleError::UnsupportedFormat {
                    sample_rate,
                    channels
                })
            );
            assert_eq!(a.duration_ms(MediaTrack::Inbound), 0);
        }
    }

    #[test]
    fn no_limit_still_cannot_overflow() {
        let mut a = assembler().with_max_ms(u64::MAX);
        let mut far = chunk(MediaTrack::Inbound, 1, 1);
        far.timestamp_ms = u64::MAX;
        // The offset does not fit in memory's address space: refused, not a panic.
        assert!(matches!(a.push(&far), Err(AssembleError::TooLong { .. })));
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
