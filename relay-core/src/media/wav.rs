//! WAV files: writing 16-bit PCM, reading 16-bit PCM and 8-bit G.711 (format tags 6 and 7),
//! with typed errors on anything else.

use super::g711;
use std::fmt;
use std::io::{self, Write};

/// Writes `samples` (interleaved if `channels` > 1) as a 16-bit PCM WAV. A header that cannot
/// hold the rate, channels or length is an `InvalidInput` error.
pub fn write_wav<W: Write>(
    mut out: W,
    sample_rate: u32,
    channels: u16,
    samples: &[i16],
) -> io::Result<()> {
    let invalid = |what| io::Error::new(io::ErrorKind::InvalidInput, what);
    let data_len = u32::try_from(samples.len() * 2)
        .ok()
        .filter(|len| *len <= u32::MAX - 36)
        .ok_or_else(|| invalid("too long for a WAV file"))?;
    let block_align = channels
        .checked_mul(2)
        .ok_or_else(|| invalid("too many channels for a WAV file"))?;
    let byte_rate = sample_rate
        .checked_mul(u32::from(block_align))
        .ok_or_else(|| invalid("sample rate too high for a WAV file"))?;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36 + data_len).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes());
    header.extend_from_slice(&channels.to_le_bytes());
    header.extend_from_slice(&sample_rate.to_le_bytes());
    header.extend_from_slice(&byte_rate.to_le_bytes());
    header.extend_from_slice(&block_align.to_le_bytes());
    header.extend_from_slice(&16u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_len.to_le_bytes());
    out.write_all(&header)?;
    // In pieces, so writing a long track costs a few kB, not a second copy of it.
    let mut piece = Vec::with_capacity(8192);
    for block in samples.chunks(4096) {
        piece.clear();
        piece.extend(block.iter().flat_map(|s| s.to_le_bytes()));
        out.write_all(&piece)?;
    }
    out.flush()
}

/// A decoded WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels (samples are interleaved).
    pub channels: u16,
    /// The samples as 16-bit PCM.
    pub samples: Vec<i16>,
}

/// Why a WAV file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WavError {
    /// Not a RIFF/WAVE file.
    NotWav,
    /// The file ends inside a chunk or before `fmt ` and `data`.
    Truncated,
    /// An encoding other than 16-bit PCM, µ-law or A-law.
    Unsupported {
        /// The format tag.
        format: u16,
        /// Bits per sample.
        bits: u16,
    },
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotWav => f.write_str("not a RIFF/WAVE file"),
            WavError::Truncated => f.write_str("the WAV file is truncated"),
            WavError::Unsupported { format, bits } => {
                write!(f, "unsupported WAV encoding: format {format}, {bits} bits")
            }
        }
    }
}

impl std::error::Error for WavError {}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, WavError> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or(WavError::Truncated)
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, WavError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(WavError::Truncated)
}

/// Reads a WAV file; unknown chunks are skipped.
pub fn read_wav(bytes: &[u8]) -> Result<Wav, WavError> {
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(WavError::NotWav);
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32_at(bytes, at + 4)? as usize;
        let body_start = at + 8;
        let body_end = body_start.checked_add(len).ok_or(WavError::Truncated)?;
        if id == b"fmt " {
            format = Some((
                u16_at(bytes, body_start)?,
                u16_at(bytes, body_start + 2)?,
                u32_at(bytes, body_start + 4)?,
                u16_at(bytes, body_start + 14)?,
            ));
        } else if id == b"data" {
            let (tag, channels, sample_rate, bits) = format.ok_or(WavError::Truncated)?;
            // A streamed WAV may claim more data than it holds: take what is there.
            let data = &bytes[body_start..body_end.min(bytes.len())];
            let samples = match (tag, bits) {
                (1, 16) => data
                    .chunks_exact(2)
                    .map(|p| i16::from_le_bytes([p[0], p[1]]))
                    .collect(),
                (7, 8) => data.iter().map(|&b| g711::ulaw_decode(b)).collect(),
                (6, 8) => data.iter().map(|&b| g711::alaw_decode(b)).collect(),
                (format, bits) => return Err(WavError::Unsupported { format, bits }),
            };
            return Ok(Wav {
                sample_rate,
                channels,
                samples,
            });
        }
        // Chunks are padded to an even length.
        at = body_end.checked_add(len % 2).ok_or(WavError::Truncated)?;
    }
    Err(WavError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back() {
        let samples: Vec<i16> = (0..1000).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
        let mut file = Vec::new();
        write_wav(&mut file, 8000, 1, &samples).unwrap();
        assert_eq!(file.len(), 44 + 2000);
        assert_eq!(
            read_wav(&file),
            Ok(Wav {
                sample_rate: 8000,
                channels: 1,
                samples
            })
        );
    }

    #[test]
    fn impossible_headers_are_errors() {
        assert!(write_wav(Vec::new(), u32::MAX, 1, &[0]).is_err());
        assert!(write_wav(Vec::new(), 8000, u16::MAX, &[0]).is_err());
    }

    #[test]
    fn mulaw_files_are_decoded_and_junk_refused() {
        let mut file = Vec::new();
        file.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        file.extend_from_slice(b"LIST\x03\0\0\0abc\0");
        file.extend_from_slice(b"fmt \x10\0\0\0\x07\0\x01\0\x40\x1f\0\0\x40\x1f\0\0\x01\0\x08\0");
        file.extend_from_slice(b"data\x02\0\0\0\xff\x00");
        let wav = read_wav(&file).unwrap();
        assert_eq!(wav.samples, vec![0, -32124]);
        assert_eq!(read_wav(b"RIFX"), Err(WavError::NotWav));
        assert_eq!(
            read_wav(
                &file
                    .iter()
                    .map(|&b| if b == 7 { 3 } else { b })
                    .collect::<Vec<_>>()
            ),
            Err(WavError::Unsupported { format: 3, bits: 8 })
        );
        assert_eq!(read_wav(&file[..30]), Err(WavError::Truncated));
    }
}
