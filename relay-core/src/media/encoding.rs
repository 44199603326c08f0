//! The audio encodings a stream carries (`audio/x-mulaw`, `audio/x-alaw`, `audio/x-L16`) and
//! the media format of a `start` message.

use super::g711;

/// How the samples of a stream are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// G.711 µ-law (PCMU), 8 bits a sample.
    Mulaw,
    /// G.711 A-law (PCMA), 8 bits a sample.
    Alaw,
    /// Linear 16-bit PCM. Byte order: little-endian, this project's choice (PROTOCOL.md
    /// names no order; little-endian is what the common stream consumers expect).
    L16,
}

impl Encoding {
    /// The MIME type of the `start` message's `mediaFormat.encoding`.
    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Mulaw => "audio/x-mulaw",
            Encoding::Alaw => "audio/x-alaw",
            Encoding::L16 => "audio/x-L16",
        }
    }

    /// Reads a MIME type, case-insensitively; also `audio/PCMU` and `audio/PCMA`.
    pub fn from_mime(mime: &str) -> Option<Self> {
        match mime.to_ascii_lowercase().as_str() {
            "audio/x-mulaw" | "audio/pcmu" | "audio/mulaw" => Some(Encoding::Mulaw),
            "audio/x-alaw" | "audio/pcma" | "audio/alaw" => Some(Encoding::Alaw),
            "audio/x-l16" | "audio/l16" => Some(Encoding::L16),
            _ => None,
        }
    }

    /// Bytes per sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            Encoding::Mulaw | Encoding::Alaw => 1,
            Encoding::L16 => 2,
        }
    }

    /// Encodes 16-bit samples.
    pub fn encode(self, samples: &[i16]) -> Vec<u8> {
        match self {
            Encoding::Mulaw => samples.iter().map(|&s| g711::ulaw_encode(s)).collect(),
            Encoding::Alaw => samples.iter().map(|&s| g711::alaw_encode(s)).collect(),
            Encoding::L16 => samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
        }
    }

    /// Decodes to 16-bit samples; an odd trailing byte of L16 is ignored.
    pub fn decode(self, bytes: &[u8]) -> Vec<i16> {
        match self {
            Encoding::Mulaw => bytes.iter().map(|&b| g711::ulaw_decode(b)).collect(),
            Encoding::Alaw => bytes.iter().map(|&b| g711::alaw_decode(b)).collect(),
            Encoding::L16 => bytes
                .chunks_exact(2)
                .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                .collect(),
        }
    }

    /// The encoded silence byte pattern for padding (`0xFF` µ-law, `0xD5` A-law, `0` L16).
    pub fn silence_byte(self) -> u8 {
        match self {
            Encoding::Mulaw => 0xFF,
            Encoding::Alaw => 0xD5,
            Encoding::L16 => 0,
        }
    }
}

/// The sample rates a `calling.stream` connection carries.
pub const STREAM_SAMPLE_RATES: [u32; 4] = [8000, 16_000, 24_000, 48_000];

/// Why a `start` message's format is not one `calling.stream` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// Streams are mono; this many channels were claimed.
    NotMono(u16),
    /// Not one of [`STREAM_SAMPLE_RATES`].
    UnsupportedRate(u32),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::NotMono(n) => write!(f, "streams are mono, not {n} channels"),
            FormatError::UnsupportedRate(rate) => {
                write!(f, "{rate} Hz is not 8, 16, 24 or 48 kHz")
            }
        }
    }
}

impl std::error::Error for FormatError {}

/// The `mediaFormat` of a `start` message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaFormat {
    /// The encoding.
    pub encoding: Encoding,
    /// Samples per second.
    pub sample_rate: u32,
    /// Always 1 for `calling.stream` (mono).
    pub channels: u16,
}

impl MediaFormat {
    /// PCMU at 8 kHz, mono.
    pub fn pcmu() -> Self {
        Self {
            encoding: Encoding::Mulaw,
            sample_rate: 8000,
            channels: 1,
        }
    }

    /// PCMA at 8 kHz, mono.
    pub fn pcma() -> Self {
        Self {
            encoding: Encoding::Alaw,
            sample_rate: 8000,
            channels: 1,
        }
    }

    /// L16 at `rate` Hz, mono.
    pub fn l16(rate: u32) -> Self {
        Self {
            encoding: Encoding::L16,
            sample_rate: rate,
            channels: 1,
        }
    }

    /// Whether this is a format `calling.stream` sends: mono, at one of
    /// [`STREAM_SAMPLE_RATES`] (the encoding is already one of the three).
    pub fn check_stream(&self) -> Result<(), FormatError> {
        if self.channels != 1 {
            return Err(FormatError::NotMono(self.channels));
        }
        if !STREAM_SAMPLE_RATES.contains(&self.sample_rate) {
            return Err(FormatError::UnsupportedRate(self.sample_rate));
        }
        Ok(())
    }

    /// Samples (per channel) in `ms` milliseconds.
    pub fn samples_for(&self, ms: u32) -> usize {
        (u64::from(self.sample_rate) * u64::from(ms) / 1000) as usize
    }

    /// Encoded bytes in `ms` milliseconds.
    pub fn bytes_for(&self, ms: u32) -> usize {
        self.samples_for(ms) * usize::from(self.channels.max(1)) * self.encoding.bytes_per_sample()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_round_trip() {
        for e in [Encoding::Mulaw, Encoding::Alaw, Encoding::L16] {
            assert_eq!(Encoding::from_mime(e.mime()), Some(e));
        }
        assert_eq!(Encoding::from_mime("AUDIO/PCMU"), Some(Encoding::Mulaw));
        assert_eq!(Encoding::from_mime("audio/opus"), None);
    }

    #[test]
    fn twenty_ms_packets_have_the_documented_sizes() {
        assert_eq!(MediaFormat::pcmu().bytes_for(20), 160);
        assert_eq!(MediaFormat::pcma().bytes_for(20), 160);
        assert_eq!(MediaFormat::l16(16_000).bytes_for(20), 640);
    }

    #[test]
    fn only_stream_formats_pass_the_stream_check() {
        for rate in STREAM_SAMPLE_RATES {
            assert_eq!(MediaFormat::l16(rate).check_stream(), Ok(()));
        }
        assert_eq!(MediaFormat::pcma().check_stream(), Ok(()));
        assert_eq!(
            MediaFormat::l16(192_000).check_stream(),
            Err(FormatError::UnsupportedRate(192_000))
        );
        let stereo = MediaFormat {
            channels: 8,
            ..MediaFormat::pcmu()
        };
        assert_eq!(stereo.check_stream(), Err(FormatError::NotMono(8)));
    }

    #[test]
    fn l16_is_little_endian_and_lossless() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN, 0x1234];
        let bytes = Encoding::L16.encode(&samples);
        assert_eq!(&bytes[10..12], &[0x34, 0x12]);
        assert_eq!(Encoding::L16.decode(&bytes), samples);
        assert_eq!(Encoding::L16.decode(&[1, 0, 7]), vec![1]);
    }
}
