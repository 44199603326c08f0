//! The session state: reads what the far end sends into typed events, and keeps the
//! outgoing queue (bounded in messages and bytes) and the pending marks (bounded in count).

use super::codec::{FrameEncoder, L16Order};
use super::error::{SendError, SessionError};
use crate::media::{
    clip, push_media_head, push_media_tail, OutgoingMessage, ServiceMessage, StartInfo,
    StreamEvent, StreamMessage,
};
use std::collections::VecDeque;

/// Identifies one mark of a session, in the order they were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MarkId(pub u64);

/// Limits and choices of a session.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Messages (frames, marks, a clear) queued for the socket at most (default 500: ten
    /// seconds of 20 ms frames).
    pub max_queued_messages: usize,
    /// Bytes queued for the socket at most (default 1 MiB).
    pub max_queued_bytes: usize,
    /// Marks sent and not yet acknowledged at most (default 64).
    pub max_pending_marks: usize,
    /// The longest message read from the far end (default 64 KiB; a 20 ms frame of 24 kHz
    /// L16 is under 1.5 KiB).
    pub max_message_bytes: usize,
    /// L16's byte order (default little-endian; see [`L16Order`]).
    pub l16_order: L16Order,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_queued_messages: 500,
            max_queued_bytes: 1 << 20,
            max_pending_marks: 64,
            max_message_bytes: 64 << 10,
            l16_order: L16Order::Little,
        }
    }
}

impl SessionConfig {
    /// Sets [`max_queued_messages`](Self::max_queued_messages).
    pub fn max_queued_messages(mut self, max: usize) -> Self {
        self.max_queued_messages = max;
        self
    }
    /// Sets [`max_queued_bytes`](Self::max_queued_bytes).
    pub fn max_queued_bytes(mut self, max: usize) -> Self {
        self.max_queued_bytes = max;
        self
    }
    /// Sets [`max_pending_marks`](Self::max_pending_marks).
    pub fn max_pending_marks(mut self, max: usize) -> Self {
        self.max_pending_marks = max;
        self
    }
    /// Sets [`max_message_bytes`](Self::max_message_bytes).
    pub fn max_message_bytes(mut self, max: usize) -> Self {
        self.max_message_bytes = max;
        self
    }
    /// Sets [`l16_order`](Self::l16_order).
    pub fn l16_order(mut self, order: L16Order) -> Self {
        self.l16_order = order;
        self
    }
}

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionStats {
    /// Messages read from the far end, good or bad.
    pub messages_in: u64,
    /// `media` messages read and decoded.
    pub audio_in: u64,
    /// Messages refused (bad, out of place, too large, unknown marks).
    pub bad_messages: u64,
    /// Media frames handed to the socket.
    pub frames_out: u64,
    /// Messages handed to the socket.
    pub messages_out: u64,
    /// Bytes handed to the socket.
    pub bytes_out: u64,
    /// Marks acknowledged as played.
    pub marks_played: u64,
    /// Marks that came back (or were dropped unsent) because of a clear.
    pub marks_cleared: u64,
    /// `mark` messages naming no pending mark.
    pub unknown_marks: u64,
    /// Sends refused with [`SendError::QueueFull`].
    pub queue_full: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkState {
    /// Still in our queue.
    Queued,
    /// Written; the far end owes an acknowledgement.
    Sent,
    /// Written before a clear: it will come back as cleared.
    Clearing,
}

#[derive(Debug)]
struct PendingMark {
    id: MarkId,
    name: String,
    state: MarkState,
    /// Nobody waits for it any more; the first to go when the table is full.
    abandoned: bool,
}

#[derive(Debug)]
enum Queued {
    Media(String),
    Mark(MarkId, String),
    Clear(String),
}

impl Queued {
    fn len(&self) -> usize {
        match self {
            Queued::Media(text) | Queued::Mark(_, text) | Queued::Clear(text) => text.len(),
        }
    }
}

/// One two-way stream, sans-IO. Inputs: [`handle_text`](Self::handle_text) for each text
/// message read; commands: [`send_audio`](Self::send_audio), [`flush_audio`](Self::flush_audio),
/// [`mark`](Self::mark), [`clear`](Self::clear); output: [`poll_transmit`](Self::poll_transmit)
/// until `None`, after any command.
#[derive(Debug)]
pub struct MediaSessionCore {
    config: SessionConfig,
    start: Option<StartInfo>,
    encoder: Option<FrameEncoder>,
    /// `{"event":"media","streamSid":"…","media":{"payload":"`, written once.
    media_head: String,
    queue: VecDeque<Queued>,
    queued_bytes: usize,
    marks: VecDeque<PendingMark>,
    next_mark: u64,
    stopped: bool,
    stats: SessionStats,
}

impl MediaSessionCore {
    /// A session waiting for `start`.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            start: None,
            encoder: None,
            media_head: String::new(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            marks: VecDeque::new(),
            next_mark: 0,
            stopped: false,
            stats: SessionStats::default(),
        }
    }

    /// The `start` message, once a usable one came.
    pub fn start(&self) -> Option<&StartInfo> {
        self.start.as_ref()
    }

    /// The encoder of the stream's codec, once started.
    pub fn encoder(&self) -> Option<&FrameEncoder> {
        self.encoder.as_ref()
    }

    /// Whether the far end sent `stop`.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The counters.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// The limits.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Messages waiting for the socket.
    pub fn queued_messages(&self) -> usize {
        self.queue.len()
    }

    /// Bytes waiting for the socket.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Marks made and not yet resolved.
    pub fn pending_marks(&self) -> usize {
        self.marks.len()
    }

    /// Reads one text message from the far end. A refused message is an `Err` and the
    /// session goes on; it never panics.
    pub fn handle_text(&mut self, text: &str) -> Result<StreamEvent, SessionError> {
        self.stats.messages_in += 1;
        let result = self.read(text);
        if result.is_err() {
            self.stats.bad_messages += 1;
        }
        result
    }

    fn read(&mut self, text: &str) -> Result<StreamEvent, SessionError> {
        if text.len() > self.config.max_message_bytes {
            return Err(SessionError::MessageTooLarge {
                len: text.len(),
                limit: self.config.max_message_bytes,
            });
        }
        if self.stopped {
            return Err(SessionError::AfterStop);
        }
        let message = match ServiceMessage::parse(text).map_err(SessionError::Message)? {
            ServiceMessage::Stream(message) => message,
            ServiceMessage::Cleared => return Ok(StreamEvent::ClearAcknowledged),
        };
        Ok(match message {
            StreamMessage::Connected { protocol, version } => {
                StreamEvent::Connected { protocol, version }
            }
            StreamMessage::Start { start, .. } => {
                if self.start.is_some() {
                    return Err(SessionError::DuplicateStart);
                }
                if start.tracks.is_empty() {
                    return Err(SessionError::NoTracks);
                }
                start
                    .media_format
                    .check_stream()
                    .map_err(SessionError::UnsupportedFormat)?;
                self.encoder = Some(FrameEncoder::new(
                    &start.media_format,
                    self.config.l16_order,
                ));
                self.media_head.clear();
                push_media_head(&mut self.media_head, &start.stream_sid);
                self.start = Some(start.clone());
                StreamEvent::Started(start)
            }
            StreamMessage::Media { media, .. } => {
                let (Some(start), Some(encoder)) = (&self.start, &self.encoder) else {
                    return Err(SessionError::MediaBeforeStart);
                };
                if !start.tracks.contains(&media.track) {
                    return Err(SessionError::UnexpectedTrack(media.track));
                }
                self.stats.audio_in += 1;
                StreamEvent::Audio {
                    track: media.track,
                    chunk: media.chunk,
                    timestamp_ms: media.timestamp_ms,
                    pcm: encoder.decode(&media.payload),
                }
            }
            StreamMessage::Dtmf {
                digit, duration_ms, ..
            } => StreamEvent::Dtmf {
                digit: clip(&digit),
                duration_ms,
            },
            StreamMessage::Mark { name, .. } => self.acknowledge(name)?,
            StreamMessage::Stop { .. } => {
                self.stopped = true;
                StreamEvent::Stopped
            }
        })
    }

    /// The far end's `mark`: the oldest written mark of that name resolves.
    fn acknowledge(&mut self, name: String) -> Result<StreamEvent, SessionError> {
        let found = self
            .marks
            .iter()
            .position(|m| m.name == name && m.state != MarkState::Queued);
        let Some(index) = found else {
            self.stats.unknown_marks += 1;
            return Err(SessionError::UnknownMark(clip(&name)));
        };
        let Some(mark) = self.marks.remove(index) else {
            return Err(SessionError::UnknownMark(clip(&name)));
        };
        Ok(if mark.state == MarkState::Clearing {
            self.stats.marks_cleared += 1;
            StreamEvent::MarkCleared {
                id: mark.id,
                name: mark.name,
            }
        } else {
            self.stats.marks_played += 1;
            StreamEvent::MarkPlayed {
                id: mark.id,
                name: mark.name,
            }
        })
    }

    fn ready(&mut self) -> Result<(), SendError> {
        if self.stopped {
            return Err(SendError::Stopped);
        }
        if self.encoder.is_none() {
            return Err(SendError::NotStarted);
        }
        Ok(())
    }

    /// The length of one whole frame's message.
    fn frame_message_len(&self) -> usize {
        let bytes = self.encoder.as_ref().map_or(0, FrameEncoder::frame_bytes);
        self.media_head.len() + bytes.div_ceil(3) * 4 + 3
    }

    fn room_for(&mut self, messages: usize, bytes: usize) -> Result<(), SendError> {
        if self.queue.len() + messages > self.config.max_queued_messages
            || self.queued_bytes + bytes > self.config.max_queued_bytes
        {
            self.stats.queue_full += 1;
            return Err(SendError::QueueFull {
                queued_messages: self.queue.len(),
                queued_bytes: self.queued_bytes,
            });
        }
        Ok(())
    }

    fn push(&mut self, item: Queued) {
        self.queued_bytes += item.len();
        self.queue.push_back(item);
    }

    /// Queues `pcm` as whole 20 ms frames in the stream's codec; a remainder shorter than a
    /// frame is kept for the next call (or [`flush_audio`](Self::flush_audio)). All or
    /// nothing: on `Err` nothing was queued or kept. Returns the frames queued.
    pub fn send_audio(&mut self, pcm: &[i16]) -> Result<usize, SendError> {
        self.ready()?;
        let frames = self.encoder.as_ref().map_or(0, |e| e.frames_for(pcm.len()));
        self.room_for(frames, frames * self.frame_message_len())?;
        let Some(encoder) = self.encoder.as_mut() else {
            return Err(SendError::NotStarted);
        };
        let head = &self.media_head;
        let mut made = Vec::with_capacity(frames);
        encoder.push(pcm, |frame| {
            let mut text = String::with_capacity(head.len() + frame.len().div_ceil(3) * 4 + 3);
            text.push_str(head);
            push_media_tail(&mut text, frame);
            made.push(text);
        });
        for text in made {
            self.push(Queued::Media(text));
        }
        Ok(frames)
    }

    /// Queues the kept remainder, padded with silence to a whole frame. `Ok(false)` when
    /// nothing was kept.
    pub fn flush_audio(&mut self) -> Result<bool, SendError> {
        self.ready()?;
        if self
            .encoder
            .as_ref()
            .is_none_or(|e| e.pending_samples() == 0)
        {
            return Ok(false);
        }
        self.room_for(1, self.frame_message_len())?;
        self.flush_unchecked();
        Ok(true)
    }

    fn flush_unchecked(&mut self) {
        let mut text = self.media_head.clone();
        let flushed = match self.encoder.as_mut() {
            Some(encoder) => encoder.flush(|frame| push_media_tail(&mut text, frame)),
            None => false,
        };
        if flushed {
            self.push(Queued::Media(text));
        }
    }

    /// Queues a mark after the audio queued so far (the kept remainder is flushed first, so
    /// the mark comes after all of it). The far end names it back once that audio has
    /// played, or when it is cleared.
    pub fn mark(&mut self, name: &str) -> Result<MarkId, SendError> {
        self.ready()?;
        // When the table is full, the oldest mark nobody waits for makes room; its
        // acknowledgement, if it ever comes, is then counted as unknown.
        let evict = if self.marks.len() >= self.config.max_pending_marks {
            match self.marks.iter().position(|m| m.abandoned) {
                Some(index) => Some(index),
                None => {
                    return Err(SendError::TooManyMarks {
                        limit: self.config.max_pending_marks,
                    })
                }
            }
        } else {
            None
        };
        let sid = self
            .start
            .as_ref()
            .map(|s| s.stream_sid.clone())
            .unwrap_or_default();
        let text = OutgoingMessage::Mark {
            stream_sid: sid,
            name: name.to_owned(),
        }
        .to_json();
        let pending = self
            .encoder
            .as_ref()
            .map_or(0, FrameEncoder::pending_samples);
        let (frame_messages, frame_bytes) = if pending > 0 {
            (1, self.frame_message_len())
        } else {
            (0, 0)
        };
        self.room_for(frame_messages + 1, frame_bytes + text.len())?;
        if let Some(index) = evict {
            self.marks.remove(index);
        }
        self.flush_unchecked();
        let id = MarkId(self.next_mark);
        self.next_mark += 1;
        self.marks.push_back(PendingMark {
            id,
            name: name.to_owned(),
            state: MarkState::Queued,
            abandoned: false,
        });
        self.push(Queued::Mark(id, text));
        Ok(id)
    }

    /// Nobody waits for this mark any more (its handle was dropped or timed out): it stays
    /// pending, so its acknowledgement is still recognised, but is the first to go when the
    /// table of pending marks is full.
    pub fn abandon_mark(&mut self, id: MarkId) {
        if let Some(mark) = self.marks.iter_mut().find(|m| m.id == id) {
            mark.abandoned = true;
        }
    }

    /// Stops the far end's playback: drops the kept remainder and every frame and mark not
    /// yet written, and queues a `clear` (one, however often called before it is written).
    /// Marks already written come back from the far end as
    /// [`StreamEvent::MarkCleared`]; those dropped here never reached it and are returned.
    pub fn clear(&mut self) -> Result<Vec<(MarkId, String)>, SendError> {
        self.ready()?;
        if let Some(encoder) = self.encoder.as_mut() {
            encoder.discard();
        }
        let mut dropped_ids = Vec::new();
        let mut clear_queued = false;
        self.queue.retain(|item| match item {
            Queued::Media(_) => false,
            Queued::Mark(id, _) => {
                dropped_ids.push(*id);
                false
            }
            Queued::Clear(_) => {
                clear_queued = true;
                true
            }
        });
        self.queued_bytes = self.queue.iter().map(Queued::len).sum();
        let mut dropped = Vec::with_capacity(dropped_ids.len());
        self.marks.retain_mut(|mark| {
            if dropped_ids.contains(&mark.id) {
                dropped.push((mark.id, std::mem::take(&mut mark.name)));
                return false;
            }
            if mark.state == MarkState::Sent {
                mark.state = MarkState::Clearing;
            }
            true
        });
        self.stats.marks_cleared += dropped.len() as u64;
        if !clear_queued {
            let sid = self
                .start
                .as_ref()
                .map(|s| s.stream_sid.clone())
                .unwrap_or_default();
            self.push(Queued::Clear(
                OutgoingMessage::Clear { stream_sid: sid }.to_json(),
            ));
        }
        Ok(dropped)
    }

    /// The next message to write to the socket, in order.
    pub fn poll_transmit(&mut self) -> Option<String> {
        let item = self.queue.pop_front()?;
        self.queued_bytes -= item.len();
        self.stats.messages_out += 1;
        self.stats.bytes_out += item.len() as u64;
        Some(match item {
            Queued::Media(text) => {
                self.stats.frames_out += 1;
                text
            }
            Queued::Mark(id, text) => {
                if let Some(mark) = self.marks.iter_mut().find(|m| m.id == id) {
                    mark.state = MarkState::Sent;
                }
                text
            }
            Queued::Clear(text) => text,
        })
    }
}
