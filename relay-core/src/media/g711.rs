//! G.711 µ-law and A-law, bit-exact with the ITU-T G.191 reference implementation
//! (`ulaw_compress`/`ulaw_expand`, `alaw_compress`/`alaw_expand`) on 16-bit linear samples.

/// Encodes one 16-bit sample as µ-law (PCMU).
pub fn ulaw_encode(sample: i16) -> u8 {
    let x = i32::from(sample);
    // Negative values use the one's complement, as the reference does.
    let magnitude = if x < 0 { (!x) >> 2 } else { x >> 2 } + 33;
    let magnitude = magnitude.min(0x1FFF);
    let mut segment = 1;
    let mut rest = magnitude >> 6;
    while rest != 0 {
        segment += 1;
        rest >>= 1;
    }
    let high = 8 - segment;
    let low = 0x0F - ((magnitude >> segment) & 0x0F);
    let byte = ((high << 4) | low) as u8;
    if x >= 0 {
        byte | 0x80
    } else {
        byte
    }
}

/// Decodes one µ-law byte to a 16-bit sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let inverted = i32::from(!byte);
    let exponent = (inverted >> 4) & 0x07;
    let mantissa = inverted & 0x0F;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    (if byte < 0x80 { -magnitude } else { magnitude }) as i16
}

/// Encodes one 16-bit sample as A-law (PCMA).
pub fn alaw_encode(sample: i16) -> u8 {
    let x = i32::from(sample);
    let mut ix = if x < 0 { (!x) >> 4 } else { x >> 4 };
    if ix > 15 {
        let mut exponent = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            exponent += 1;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    if x >= 0 {
        ix |= 0x80;
    }
    (ix ^ 0x55) as u8
}

/// Decodes one A-law byte to a 16-bit sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let ix = i32::from(byte ^ 0x55) & 0x7F;
    let exponent = ix >> 4;
    let mut mantissa = ix & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 8;
    if exponent > 1 {
        mantissa <<= exponent - 1;
    }
    (if byte > 127 { mantissa } else { -mantissa }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full decode tables, as an independent implementation (CPython's `audioop`,
    /// derived from the Sun/CCITT reference code) prints them for bytes 0..=255.
    const ULAW_TABLE: [i16; 256] = [
        -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884,
        -20860, -19836, -18812, -17788, -16764, -15996, -15484, -14972, -14460, -13948, -13436,
        -12924, -12412, -11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316, -7932, -7676,
        -7420, -7164, -6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604, -4348,
        -4092, -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492,
        -2364, -2236, -2108, -1980, -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436, -1372,
        -1308, -1244, -1180, -1116, -1052, -988, -924, -876, -844, -812, -780, -748, -716, -684,
        -652, -620, -588, -556, -524, -492, -460, -428, -396, -372, -356, -340, -324, -308, -292,
        -276, -260, -244, -228, -212, -196, -180, -164, -148, -132, -120, -112, -104, -96, -88,
        -80, -72, -64, -56, -48, -40, -32, -24, -16, -8, 0, 32124, 31100, 30076, 29052, 28028,
        27004, 25980, 24956, 23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764, 15996, 15484,
        14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364, 9852, 9340, 8828,
        8316, 7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140, 5884, 5628, 5372, 5116, 4860, 4604,
        4348, 4092, 3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364,
        2236, 2108, 1980, 1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180,
        1116, 1052, 988, 924, 876, 844, 812, 780, 748, 716, 684, 652, 620, 588, 556, 524, 492, 460,
        428, 396, 372, 356, 340, 324, 308, 292, 276, 260, 244, 228, 212, 196, 180, 164, 148, 132,
        120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, 0,
    ];
    const ALAW_TABLE: [i16; 256] = [
        -5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736, -7552, -7296, -8064, -7808, -6528,
        -6272, -7040, -6784, -2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368, -3776, -3648,
        -4032, -3904, -3264, -3136, -3520, -3392, -22016, -20992, -24064, -23040, -17920, -16896,
        -19968, -18944, -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136, -11008,
        -10496, -12032, -11520, -8960, -8448, -9984, -9472, -15104, -14592, -16128, -15616, -13056,
        -12544, -14080, -13568, -344, -328, -376, -360, -280, -264, -312, -296, -472, -456, -504,
        -488, -408, -392, -440, -424, -88, -72, -120, -104, -24, -8, -56, -40, -216, -200, -248,
        -232, -152, -136, -184, -168, -1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
        -1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696, -688, -656, -752, -720, -560, -528,
        -624, -592, -944, -912, -1008, -976, -816, -784, -880, -848, 5504, 5248, 6016, 5760, 4480,
        4224, 4992, 4736, 7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784, 2752, 2624, 3008, 2880,
        2240, 2112, 2496, 2368, 3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392, 22016, 20992,
        24064, 23040, 17920, 16896, 19968, 18944, 30208, 29184, 32256, 31232, 26112, 25088, 28160,
        27136, 11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472, 15104, 14592, 16128, 15616,
        13056, 12544, 14080, 13568, 344, 328, 376, 360, 280, 264, 312, 296, 472, 456, 504, 488,
        408, 392, 440, 424, 88, 72, 120, 104, 24, 8, 56, 40, 216, 200, 248, 232, 152, 136, 184,
        168, 1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184, 1888, 1824, 2016, 1952, 1632, 1568,
        1760, 1696, 688, 656, 752, 720, 560, 528, 624, 592, 944, 912, 1008, 976, 816, 784, 880,
        848,
    ];

    #[test]
    fn decoders_match_the_reference_tables() {
        for byte in 0..=255u8 {
            assert_eq!(
                ulaw_decode(byte),
                ULAW_TABLE[usize::from(byte)],
                "µ-law {byte:#04x}"
            );
            assert_eq!(
                alaw_decode(byte),
                ALAW_TABLE[usize::from(byte)],
                "A-law {byte:#04x}"
            );
        }
    }

    #[test]
    fn ulaw_matches_known_vectors() {
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0x7E), -8);
        assert_eq!(ulaw_decode(0xF0), 120);
        assert_eq!(ulaw_decode(0xEF), 132);
        assert_eq!(ulaw_decode(0x8F), 16764);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7F);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
    }

    #[test]
    fn alaw_matches_known_vectors() {
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_decode(0xD4), 24);
        assert_eq!(alaw_decode(0xC5), 264);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn every_code_survives_a_round_trip() {
        for byte in 0..=255u8 {
            let u = ulaw_decode(byte);
            assert_eq!(ulaw_decode(ulaw_encode(u)), u, "µ-law {byte:#04x}");
            let a = alaw_decode(byte);
            assert_eq!(alaw_encode(a), byte, "A-law {byte:#04x}");
        }
    }

    /// The quantisation step of the segment a µ-law code lies in (16-bit scale).
    fn ulaw_step(byte: u8) -> i32 {
        8 << ((!byte >> 4) & 0x07)
    }

    /// The quantisation step of the segment an A-law code lies in (16-bit scale).
    fn alaw_step(byte: u8) -> i32 {
        16 << (((byte ^ 0x55) >> 4) & 0x07).saturating_sub(1)
    }

    #[test]
    fn encoding_is_monotonic_and_within_one_step() {
        let mut last = (ulaw_encode(i16::MIN), alaw_encode(i16::MIN));
        for s in i16::MIN..=i16::MAX {
            let (u, a) = (ulaw_encode(s), alaw_encode(s));
            assert!(
                ulaw_decode(u) >= ulaw_decode(last.0) && alaw_decode(a) >= alaw_decode(last.1),
                "not monotonic at {s}"
            );
            let s = i32::from(s);
            assert!(
                (i32::from(ulaw_decode(u)) - s).abs() <= ulaw_step(u),
                "µ-law error at {s}"
            );
            assert!(
                (i32::from(alaw_decode(a)) - s).abs() <= alaw_step(a),
                "A-law error at {s}"
            );
            last = (u, a);
        }
    }

    #[test]
    fn negative_halfway_samples_round_as_g191_does() {
        // -31612 is exactly halfway between the codes for -31100 (0x01) and -32124 (0x00).
        // G.191 takes the one's complement of negative samples and picks 0x01; the Sun-derived
        // `linear2ulaw` (e.g. CPython's `audioop.lin2ulaw`) negates and picks 0x00. A-law's
        // reference already uses the one's complement, so the two agree there.
        assert_eq!(ulaw_encode(-31612), 0x01);
        assert_eq!(ulaw_encode(-31613), 0x00);
        assert_eq!(ulaw_encode(31612), 0x80);
        assert_eq!(ulaw_encode(-132), 0x6F);
        assert_eq!(alaw_encode(-5504), 0x00);
        assert_eq!(alaw_encode(5504), 0x80);
    }
}
