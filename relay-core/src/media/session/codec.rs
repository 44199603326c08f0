//! PCM to and from a stream's codec, and the cutting of outgoing audio into 20 ms frames
//! (a remainder is kept for the next call, or padded with silence on flush).

use crate::media::{g711, Encoding, MediaFormat};

/// The length of every outgoing media frame, in milliseconds: 160 bytes of PCMU or PCMA at
/// 8 kHz, 640 bytes of L16 at 16 kHz, 960 bytes of L16 at 24 kHz.
pub const FRAME_MS: u32 = 20;

/// The byte order of L16 samples on the wire. SignalWire's stream docs call L16 "Linear PCM"
/// and name no order, so the default is little-endian, as in the rest of this crate (what
/// the common stream consumers expect); `Big` is network order (RFC 3551's L16) for a peer
/// that sends that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum L16Order {
    /// Least significant byte first (the default).
    #[default]
    Little,
    /// Most significant byte first.
    Big,
}

/// Encodes and decodes one stream's audio, and cuts outgoing PCM into 20 ms frames.
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    encoding: Encoding,
    order: L16Order,
    samples_per_frame: usize,
    pending: Vec<i16>,
    scratch: Vec<u8>,
}

impl FrameEncoder {
    /// An encoder for `format` (mono), L16 in `order`.
    pub fn new(format: &MediaFormat, order: L16Order) -> Self {
        let samples_per_frame = format.samples_for(FRAME_MS).max(1);
        Self {
            encoding: format.encoding,
            order,
            samples_per_frame,
            pending: Vec::with_capacity(samples_per_frame),
            scratch: Vec::with_capacity(samples_per_frame * 2),
        }
    }

    /// Samples in one 20 ms frame.
    pub fn samples_per_frame(&self) -> usize {
        self.samples_per_frame
    }

    /// Encoded bytes in one 20 ms frame.
    pub fn frame_bytes(&self) -> usize {
        self.samples_per_frame * self.encoding.bytes_per_sample()
    }

    /// Samples kept back, short of a whole frame.
    pub fn pending_samples(&self) -> usize {
        self.pending.len()
    }

    /// Whole frames that [`push`](Self::push) of `more` samples would emit.
    pub fn frames_for(&self, more: usize) -> usize {
        (self.pending.len() + more) / self.samples_per_frame
    }

    /// Appends `pcm`; hands each whole 20 ms frame, encoded, to `emit`; keeps the rest.
    pub fn push(&mut self, mut pcm: &[i16], mut emit: impl FnMut(&[u8])) {
        let spf = self.samples_per_frame;
        if !self.pending.is_empty() {
            let take = (spf - self.pending.len()).min(pcm.len());
            self.pending.extend_from_slice(&pcm[..take]);
            pcm = &pcm[take..];
            if self.pending.len() < spf {
                return;
            }
            self.scratch.clear();
            encode_into(self.encoding, self.order, &self.pending, &mut self.scratch);
            self.pending.clear();
            emit(&self.scratch);
        }
        let mut frames = pcm.chunks_exact(spf);
        for frame in &mut frames {
            self.scratch.clear();
            encode_into(self.encoding, self.order, frame, &mut self.scratch);
            emit(&self.scratch);
        }
        self.pending.extend_from_slice(frames.remainder());
    }

    /// Pads the kept samples with silence to a whole frame and emits it; `false` when
    /// nothing was kept.
    pub fn flush(&mut self, emit: impl FnOnce(&[u8])) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        self.pending.resize(self.samples_per_frame, 0);
        self.scratch.clear();
        encode_into(self.encoding, self.order, &self.pending, &mut self.scratch);
        self.pending.clear();
        emit(&self.scratch);
        true
    }

    /// Drops the kept samples.
    pub fn discard(&mut self) {
        self.pending.clear();
    }

    /// Encodes `pcm` whole, without framing.
    pub fn encode(&self, pcm: &[i16]) -> Vec<u8> {
        let mut out = Vec::with_capacity(pcm.len() * self.encoding.bytes_per_sample());
        encode_into(self.encoding, self.order, pcm, &mut out);
        out
    }

    /// Decodes `bytes` to PCM; an odd trailing byte of L16 is ignored.
    pub fn decode(&self, bytes: &[u8]) -> Vec<i16> {
        match (self.encoding, self.order) {
            (Encoding::L16, L16Order::Big) => bytes
                .chunks_exact(2)
                .map(|pair| i16::from_be_bytes([pair[0], pair[1]]))
                .collect(),
            (encoding, _) => encoding.decode(bytes),
        }
    }
}

fn encode_into(encoding: Encoding, order: L16Order, pcm: &[i16], out: &mut Vec<u8>) {
    match (encoding, order) {
        (Encoding::Mulaw, _) => out.extend(pcm.iter().map(|&s| g711::ulaw_encode(s))),
        (Encoding::Alaw, _) => out.extend(pcm.iter().map(|&s| g711::alaw_encode(s))),
        (Encoding::L16, L16Order::Little) => out.extend(pcm.iter().flat_map(|s| s.to_le_bytes())),
        (Encoding::L16, L16Order::Big) => out.extend(pcm.iter().flat_map(|s| s.to_be_bytes())),
    }
}
