//! Puts a stream's audio together: each `media` chunk is decoded and placed on its track's
//! timeline by `timestamp` (not by arrival), and holes are reported as gaps. Holes live in an
//! ordered map, so each chunk costs O(log holes + holes it fills), never a scan of them all.

use super::budget::MemoryBudget;
use super::encoding::MediaFormat;
use super::message::{MediaChunk, MediaTrack};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Audio missing from a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The chunk starts further past the track's end than the forward-gap bound allows: it
    /// would make the assembler allocate that much silence at once.
    GapTooLong {
        /// The track.
        track: MediaTrack,
        /// Where the track ended, in ms.
        end_ms: u64,
        /// The chunk's timestamp.
        timestamp_ms: u64,
        /// The bound.
        max_gap_ms: u64,
    },
    /// The chunk would open more silence than the stream's allowance: the silence filled in
    /// so far may not pass the audio received plus the allowance, so what a stream costs
    /// stays bounded by what it sent.
    SilenceOverAllowance {
        /// The track.
        track: MediaTrack,
        /// Silence filled in so far, over all tracks, in ms.
        silence_ms: u64,
        /// Silence the chunk would add, in ms.
        adding_ms: u64,
        /// The allowance beyond the audio received, in ms.
        allowance_ms: u64,
    },
    /// Placing the chunk needs memory the shared budget no longer has.
    OverBudget {
        /// Bytes the chunk needed.
        needed: u64,
        /// The budget's limit in bytes.
        limit: u64,
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
/// The default bound on the silence one chunk may open before itself.
pub const DEFAULT_MAX_GAP_MS: u64 = 30_000;
/// The default silence a stream may have filled in beyond the audio it sent (over all its
/// tracks): 30 s, about 2.9 MB of 48 kHz L16.
pub const DEFAULT_SILENCE_ALLOWANCE_MS: u64 = 30_000;

impl AssembleError {
    /// Whether the error means the stream has used up a bound (silence allowance, memory
    /// budget) rather than that one chunk was bad: a receiver ends such a stream.
    pub fn is_exhaustion(&self) -> bool {
        matches!(
            self,
            AssembleError::SilenceOverAllowance { .. } | AssembleError::OverBudget { .. }
        )
    }
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
            AssembleError::GapTooLong {
                track,
                end_ms,
                timestamp_ms,
                max_gap_ms,
            } => write!(
                f,
                "{} chunk at {timestamp_ms} ms leaves a gap after {end_ms} ms longer than {max_gap_ms} ms",
                track.as_wire()
            ),
            AssembleError::SilenceOverAllowance {
                track,
                silence_ms,
                adding_ms,
                allowance_ms,
            } => write!(
                f,
                "{} chunk would add {adding_ms} ms of silence to {silence_ms} ms, more than the audio received plus {allowance_ms} ms",
                track.as_wire()
            ),
            AssembleError::OverBudget { needed, limit } => write!(
                f,
                "{needed} more bytes of audio would pass the {limit}-byte memory budget"
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
    /// Holes as half-open sample ranges `start -> stop`, disjoint.
    holes: BTreeMap<usize, usize>,
    chunks: u64,
    /// Holes visited while placing chunks: the work the complexity test bounds.
    hole_visits: u64,
}

impl Timeline {
    /// Writes `pcm` at `offset`.
    fn place(&mut self, offset: usize, pcm: &[i16]) {
        let end = offset + pcm.len();
        let old_len = self.samples.len();
        if end > old_len {
            self.samples.resize(end, 0);
        }
        self.samples[offset..end].copy_from_slice(pcm);
        self.chunks += 1;
        if offset > old_len {
            // Past the end: a new hole, after every other one.
            self.holes.insert(old_len, offset);
            self.hole_visits += 1;
            return;
        }
        if pcm.is_empty() || offset >= old_len {
            return;
        }
        // A late chunk fills (part of) earlier holes: only those starting before `end` and
        // stopping after `offset`; holes are disjoint, so walk back from `end` until one
        // stops at or before `offset`.
        let mut filled = Vec::new();
        for (&start, &stop) in self.holes.range(..end).rev() {
            self.hole_visits += 1;
            if stop <= offset {
                break;
            }
            filled.push((start, stop));
        }
        for (start, stop) in filled {
            self.holes.remove(&start);
            if start < offset {
                self.holes.insert(start, offset);
            }
            if stop > end {
                self.holes.insert(end, stop);
            }
        }
    }
}

/// The audio of one stream, per track.
///
/// Samples are placed at `timestamp_ms × sample_rate / 1000` (times the channel count, for
/// interleaved audio). A chunk past the current end leaves a gap of silence, recorded as a
/// [`Gap`]; a chunk over audio already written (late, duplicate, out of order) overwrites it,
/// and shrinks or removes any gap it fills. A chunk that would open a gap longer than the
/// forward-gap bound ([`DEFAULT_MAX_GAP_MS`] unless changed) or pass the length limit is
/// refused and changes nothing.
///
/// What it holds is bounded by what the stream sent: the silence filled in (over all
/// tracks) may not pass the audio received plus an allowance
/// ([`DEFAULT_SILENCE_ALLOWANCE_MS`] unless changed), and with a shared [`MemoryBudget`]
/// every allocation is charged to it first and given back when the assembler is dropped.
#[derive(Debug)]
pub struct StreamAssembler {
    format: MediaFormat,
    max_ms: u64,
    max_gap_ms: u64,
    silence_allowance_ms: u64,
    tracks: BTreeMap<MediaTrack, Timeline>,
    /// Samples received and silence samples filled in, over all tracks.
    audio_samples: u64,
    silence_samples: u64,
    budget: Option<Arc<MemoryBudget>>,
    charged: u64,
}

impl Clone for StreamAssembler {
    /// A copy outside any budget (it is the caller's memory, not the receiver's).
    fn clone(&self) -> Self {
        Self {
            format: self.format.clone(),
            max_ms: self.max_ms,
            max_gap_ms: self.max_gap_ms,
            silence_allowance_ms: self.silence_allowance_ms,
            tracks: self.tracks.clone(),
            audio_samples: self.audio_samples,
            silence_samples: self.silence_samples,
            budget: None,
            charged: 0,
        }
    }
}

impl Drop for StreamAssembler {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.release(self.charged);
        }
    }
}

impl StreamAssembler {
    /// An empty assembler for audio in `format`, limited to one hour a track.
    pub fn new(format: MediaFormat) -> Self {
        Self {
            format,
            max_ms: 3600 * 1000,
            max_gap_ms: DEFAULT_MAX_GAP_MS,
            silence_allowance_ms: DEFAULT_SILENCE_ALLOWANCE_MS,
            tracks: BTreeMap::new(),
            audio_samples: 0,
            silence_samples: 0,
            budget: None,
            charged: 0,
        }
    }

    /// Changes the silence allowance: the silence the stream may have filled in beyond the
    /// audio it sent.
    pub fn with_silence_allowance_ms(mut self, allowance_ms: u64) -> Self {
        self.silence_allowance_ms = allowance_ms;
        self
    }

    /// Charges every allocation to `budget` first (refusing the chunk when it is spent) and
    /// gives it back on drop.
    pub fn with_budget(mut self, budget: Arc<MemoryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Bytes of samples this assembler holds room for (its allocations).
    pub fn allocated_bytes(&self) -> u64 {
        self.tracks
            .values()
            .map(|t| t.samples.capacity() as u64 * 2)
            .sum()
    }

    /// Changes the length limit.
    pub fn with_max_ms(mut self, max_ms: u64) -> Self {
        self.max_ms = max_ms;
        self
    }

    /// Changes the forward-gap bound: the most silence one chunk may open before itself.
    pub fn with_max_gap_ms(mut self, max_gap_ms: u64) -> Self {
        self.max_gap_ms = max_gap_ms;
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
        // Checked before decoding, so a refused format costs nothing.
        self.samples_per_second()?;
        let pcm = self.format.encoding.decode(&chunk.payload);
        self.push_pcm(chunk.track, chunk.timestamp_ms, &pcm)
    }

    /// Places samples already decoded (so a receiver that also hands them on decodes once).
    pub fn push_pcm(
        &mut self,
        track: MediaTrack,
        timestamp_ms: u64,
        pcm: &[i16],
    ) -> Result<(), AssembleError> {
        let per_second = u128::from(self.samples_per_second()?);
        let too_long = AssembleError::TooLong {
            timestamp_ms,
            max_ms: self.max_ms,
        };
        // u128: no product of a u64 timestamp and the rate can overflow it.
        let offset = u128::from(timestamp_ms) * per_second / 1000;
        let limit = u128::from(self.max_ms) * per_second / 1000;
        if offset + pcm.len() as u128 > limit {
            return Err(too_long);
        }
        let offset = usize::try_from(offset).map_err(|_| too_long)?;
        let current_end = self.tracks.get(&track).map_or(0, |t| t.samples.len());
        let max_gap = u128::from(self.max_gap_ms) * per_second / 1000;
        if offset > current_end && (offset - current_end) as u128 > max_gap {
            return Err(AssembleError::GapTooLong {
                track,
                end_ms: (current_end as u128 * 1000 / per_second) as u64,
                timestamp_ms,
                max_gap_ms: self.max_gap_ms,
            });
        }
        let opens = offset.saturating_sub(current_end) as u64;
        if opens > 0 {
            let allowance = u128::from(self.silence_allowance_ms) * per_second / 1000;
            let allowed = u128::from(self.audio_samples) + pcm.len() as u128 + allowance;
            if u128::from(self.silence_samples) + u128::from(opens) > allowed {
                return Err(AssembleError::SilenceOverAllowance {
                    track,
                    silence_ms: (u128::from(self.silence_samples) * 1000 / per_second) as u64,
                    adding_ms: (u128::from(opens) * 1000 / per_second) as u64,
                    allowance_ms: self.silence_allowance_ms,
                });
            }
        }
        let end = offset + pcm.len();
        self.make_room(track, end, usize::try_from(limit).unwrap_or(usize::MAX))?;
        self.audio_samples += pcm.len() as u64;
        self.silence_samples += opens;
        self.tracks.entry(track).or_default().place(offset, pcm);
        Ok(())
    }

    /// Grows a track's room to `end` samples (doubling, up to the length limit), charging
    /// the budget first.
    fn make_room(
        &mut self,
        track: MediaTrack,
        end: usize,
        limit: usize,
    ) -> Result<(), AssembleError> {
        let (len, capacity) = self
            .tracks
            .get(&track)
            .map_or((0, 0), |t| (t.samples.len(), t.samples.capacity()));
        if end <= capacity {
            return Ok(());
        }
        let mut target = end.max(capacity.saturating_mul(2).min(limit));
        if let Some(budget) = &self.budget {
            let doubled = (target - capacity) as u64 * 2;
            let exact = (end - capacity) as u64 * 2;
            if budget.try_charge(doubled) {
                self.charged += doubled;
            } else if budget.try_charge(exact) {
                self.charged += exact;
                target = end;
            } else {
                return Err(AssembleError::OverBudget {
                    needed: exact,
                    limit: budget.limit(),
                });
            }
        }
        self.tracks
            .entry(track)
            .or_default()
            .samples
            .reserve_exact(target - len);
        Ok(())
    }

    fn ms(&self, samples: usize) -> u64 {
        let per_second = self.samples_per_second().unwrap_or(1);
        (samples as u128 * 1000 / u128::from(per_second)) as u64
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
        self.ms(self.samples(track).len())
    }

    /// How many holes are still open, over all tracks (without building the list).
    pub fn gap_count(&self) -> usize {
        self.tracks.values().map(|t| t.holes.len()).sum()
    }

    /// Every hole still open, per track (inbound first) in time order. Built on each call.
    pub fn gaps(&self) -> Vec<Gap> {
        self.tracks
            .iter()
            .flat_map(|(track, timeline)| {
                timeline.holes.iter().map(move |(&start, &stop)| Gap {
                    track: *track,
                    at_ms: self.ms(start),
                    missing_ms: self.ms(stop - start),
                })
            })
            .collect()
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

    fn one_ms(timestamp_ms: u64) -> MediaChunk {
        MediaChunk {
            track: MediaTrack::Inbound,
            chunk: 1,
            timestamp_ms,
            payload: Bytes::from(Encoding::L16.encode(&[3; 8])),
        }
    }

    #[test]
    fn a_chunk_far_ahead_is_refused_without_allocating() {
        let mut a = assembler();
        a.push(&chunk(MediaTrack::Inbound, 1, 1)).unwrap();
        let mut far = chunk(MediaTrack::Inbound, 2, 1);
        far.timestamp_ms = 3_599_000;
        assert_eq!(
            a.push(&far),
            Err(AssembleError::GapTooLong {
                track: MediaTrack::Inbound,
                end_ms: 20,
                timestamp_ms: 3_599_000,
                max_gap_ms: DEFAULT_MAX_GAP_MS,
            })
        );
        assert_eq!(a.samples(MediaTrack::Inbound).len(), 160);
        // Exactly at the bound is still a gap, not a refusal.
        let mut a = assembler().with_max_gap_ms(100);
        let mut edge = chunk(MediaTrack::Inbound, 1, 1);
        edge.timestamp_ms = 100;
        a.push(&edge).unwrap();
        assert_eq!(a.gap_count(), 1);
        edge.timestamp_ms = 221;
        assert!(matches!(
            a.push(&edge),
            Err(AssembleError::GapTooLong { end_ms: 120, .. })
        ));
    }

    /// A stream of jumps: each chunk opens silence far longer than itself, until the silence
    /// would pass the audio received plus the allowance; the refused chunk changes nothing.
    #[test]
    fn silence_is_bounded_by_the_audio_received_plus_the_allowance() {
        let mut a = assembler().with_silence_allowance_ms(1000);
        let mut jump = chunk(MediaTrack::Inbound, 1, 1);
        // 20 ms of audio at 0, then 20 ms at 1020: 1,000 ms of silence, within the 40 ms
        // received plus the allowance.
        a.push(&jump).unwrap();
        jump.timestamp_ms = 1020;
        a.push(&jump).unwrap();
        assert_eq!(a.duration_ms(MediaTrack::Inbound), 1040);
        // At 1200: 160 ms more would make 1,160 ms of silence for 60 ms of audio.
        jump.timestamp_ms = 1200;
        assert_eq!(
            a.push(&jump),
            Err(AssembleError::SilenceOverAllowance {
                track: MediaTrack::Inbound,
                silence_ms: 1000,
                adding_ms: 160,
                allowance_ms: 1000,
            })
        );
        assert!(a.push(&jump).unwrap_err().is_exhaustion());
        assert_eq!(a.duration_ms(MediaTrack::Inbound), 1040, "nothing placed");
        // Audio that follows on goes on being placed.
        jump.timestamp_ms = 1040;
        a.push(&jump).unwrap();
        assert_eq!(a.duration_ms(MediaTrack::Inbound), 1060);
    }

    #[test]
    fn a_shared_budget_is_charged_before_allocating_and_given_back_on_drop() {
        let budget = Arc::new(MemoryBudget::new(1000));
        let mut a = assembler().with_budget(budget.clone());
        // 160 samples = 320 bytes, then doubling to 640.
        a.push(&chunk(MediaTrack::Inbound, 1, 1)).unwrap();
        a.push(&chunk(MediaTrack::Inbound, 2, 1)).unwrap();
        assert_eq!(budget.used(), 640);
        assert_eq!(a.allocated_bytes(), budget.used());
        let mut b = assembler().with_budget(budget.clone());
        b.push(&chunk(MediaTrack::Inbound, 1, 1)).unwrap();
        assert_eq!(
            b.push(&chunk(MediaTrack::Outbound, 1, 1)),
            Err(AssembleError::OverBudget {
                needed: 320,
                limit: 1000
            })
        );
        assert!(b.tracks().len() == 1, "the refused track holds nothing");
        drop(a);
        assert_eq!(budget.used(), 320);
        let copy = b.clone();
        drop(b);
        assert_eq!(budget.used(), 0, "a clone is outside the budget");
        assert_eq!(copy.samples(MediaTrack::Inbound).len(), 160);
    }

    /// 200,000 holes opened then filled one by one (last first, the costliest order for a
    /// list scanned from the front): each chunk visits a bounded number of holes, so the
    /// whole run is linear in the number of gaps.
    #[test]
    fn two_hundred_thousand_holes_cost_linear_work() {
        const HOLES: u64 = 200_000;
        let mut a = assembler().with_max_ms(u64::MAX);
        for n in 0..=HOLES {
            a.push(&one_ms(2 * n)).unwrap();
        }
        assert_eq!(a.gap_count(), HOLES as usize);
        let opened = a.tracks[&MediaTrack::Inbound].hole_visits;
        assert_eq!(opened, HOLES, "one visit per hole opened");
        for n in (0..HOLES).rev() {
            a.push(&one_ms(2 * n + 1)).unwrap();
        }
        assert_eq!(a.gap_count(), 0);
        let filled = a.tracks[&MediaTrack::Inbound].hole_visits - opened;
        assert!(filled <= 2 * HOLES, "{filled} visits to fill {HOLES} holes");
        assert!(a.samples(MediaTrack::Inbound).iter().all(|&s| s == 3));
    }
}
