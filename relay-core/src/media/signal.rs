//! Audio to send: a recognisable built-in test signal, and a packetizer that cuts samples
//! into encoded packets of one packet time each.

use super::encoding::MediaFormat;
use bytes::Bytes;

/// A 440 Hz tone with a 1 kHz beep in the first 100 ms of every second, at 0.3 of full scale.
/// Deterministic: the same arguments give the same samples.
pub fn test_signal(sample_rate: u32, duration_ms: u32) -> Vec<i16> {
    let rate = f64::from(sample_rate.max(1));
    let count = (u64::from(sample_rate) * u64::from(duration_ms) / 1000) as usize;
    (0..count)
        .map(|i| {
            let t = i as f64 / rate;
            let beep = (i as u64 % u64::from(sample_rate.max(1))) < u64::from(sample_rate) / 10;
            let hz = if beep { 1000.0 } else { 440.0 };
            (0.3 * f64::from(i16::MAX) * (2.0 * std::f64::consts::PI * hz * t).sin()).round() as i16
        })
        .collect()
}

/// Cuts samples into packets of `ptime_ms` of encoded audio.
#[derive(Debug, Clone)]
pub struct Packetizer {
    format: MediaFormat,
    ptime_ms: u32,
}

impl Packetizer {
    /// Packets of `ptime_ms` in `format`.
    pub fn new(format: MediaFormat, ptime_ms: u32) -> Self {
        Self {
            format,
            ptime_ms: ptime_ms.max(1),
        }
    }

    /// Samples in one packet (all channels, interleaved).
    pub fn samples_per_packet(&self) -> usize {
        (self.format.samples_for(self.ptime_ms) * usize::from(self.format.channels.max(1))).max(1)
    }

    /// The packet time in ms (at least 1).
    pub fn ptime_ms(&self) -> u32 {
        self.ptime_ms
    }

    /// The packets; the last is padded with encoded silence to a full packet.
    pub fn packets(&self, samples: &[i16]) -> Vec<Bytes> {
        let per_packet = self.samples_per_packet();
        let encoding = self.format.encoding;
        samples
            .chunks(per_packet)
            .map(|chunk| {
                let mut bytes = encoding.encode(chunk);
                bytes.resize(
                    per_packet * encoding.bytes_per_sample(),
                    encoding.silence_byte(),
                );
                Bytes::from(bytes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_signal_is_deterministic_and_audible() {
        let a = test_signal(8000, 1000);
        assert_eq!(a.len(), 8000);
        assert_eq!(a, test_signal(8000, 1000));
        let peak = a.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((9000..=9900).contains(&peak), "{peak}");
    }

    #[test]
    fn packets_are_full_and_padded_with_silence() {
        let packets = Packetizer::new(MediaFormat::pcmu(), 20).packets(&[0; 200]);
        assert_eq!(packets.len(), 2);
        assert!(packets.iter().all(|p| p.len() == 160));
        assert!(packets[1][40..].iter().all(|&b| b == 0xFF));
        let alaw = Packetizer::new(MediaFormat::pcma(), 20).packets(&[0; 10]);
        assert!(alaw[0].iter().all(|&b| b == 0xD5));
    }
}
