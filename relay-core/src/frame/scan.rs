//! The one-pass reading of a frame: its members are walked by hand, every value checked as
//! serde_json checks it and nesting counted from the envelope, and a `calling.call.*` event's
//! routing members are read straight into its view while its text is kept as the payload.
//! Nothing is built for a member nobody reads; serde reads only a string with escapes.
//!
//! What the walk leaves (an escaped or repeated key, a member of an odd type, malformed
//! text) goes to the derived path, which reads it as before.

use super::{Envelope, Params, RpcError};
use crate::calling::view::EventView;
use serde::Deserialize;
use std::borrow::Cow;

/// The containers a frame may nest, its envelope counted: what a whole-frame serde_json
/// parse accepts (its limit of 128 is hit on entering the 128th).
pub(super) const MAX_DEPTH: usize = 127;

/// Why the walk stopped short of a frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Something the walk leaves to the derived path (and its errors).
    Leave,
    /// Nested deeper than [`MAX_DEPTH`]: refused as a whole-frame parse refuses it.
    TooDeep,
}

type Walk<T> = Result<T, Stop>;

/// A position in a frame's text.
struct Walker<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Walker<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Steps over `byte` after any whitespace.
    #[inline]
    fn eat(&mut self, byte: u8) -> Walk<()> {
        self.ws();
        if self.peek() != Some(byte) {
            return Err(Stop::Leave);
        }
        self.pos += 1;
        Ok(())
    }

    /// The string the walk stands at when it has no escapes (its text is then its value),
    /// and the walk past it; `None` (the walk unmoved) for anything else. Inlined at every
    /// use: most strings of a frame are short, so the call would cost more than the search.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let end = special(bytes, start)?;
        if bytes[end] != b'"' {
            return None;
        }
        let text = self.text.get(start..end)?;
        self.pos = end + 1;
        Some(text)
    }

    /// Steps over any string (standing at its quote), escapes checked as serde_json does.
    #[inline(always)]
    fn skip_string(&mut self) -> Walk<()> {
        let bytes = self.text.as_bytes();
        let at = special(bytes, self.pos + 1).ok_or(Stop::Leave)?;
        if bytes.get(at) == Some(&b'"') {
            self.pos = at + 1;
            return Ok(());
        }
        self.skip_escaped(at)
    }

    /// The rest of a string from `at`, its first byte that is no plain text.
    #[inline(never)]
    fn skip_escaped(&mut self, mut at: usize) -> Walk<()> {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(at) {
                Some(b'"') => break,
                Some(b'\\') => match bytes.get(at + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at += 2,
                    Some(b'u') => {
                        let hex = bytes.get(at + 2..at + 6).ok_or(Stop::Leave)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(Stop::Leave);
                        }
                        at += 6;
                    }
                    _ => return Err(Stop::Leave),
                },
                _ => return Err(Stop::Leave), // A control character.
            }
            at = special(bytes, at).ok_or(Stop::Leave)?;
        }
        self.pos = at + 1;
        Ok(())
    }

    /// Steps over a number, by JSON's grammar (serde_json's: one leading zero, digits after
    /// a point and an exponent).
    fn skip_number(&mut self) -> Walk<()> {
        let bytes = self.text.as_bytes();
        let mut at = self.pos;
        let digits = |at: &mut usize| {
            let start = *at;
            *at = digits_end(bytes, start);
            *at - start
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => {
                at += 1;
                if bytes.get(at).is_some_and(u8::is_ascii_digit) {
                    return Err(Stop::Leave);
                }
            }
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(Stop::Leave),
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if digits(&mut at) == 0 {
                return Err(Stop::Leave);
            }
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if digits(&mut at) == 0 {
                return Err(Stop::Leave);
            }
        }
        self.pos = at;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Walk<()> {
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end) != Some(word) {
            return Err(Stop::Leave);
        }
        self.pos = end;
        Ok(())
    }

    /// Steps over the value the walk stands at (after any whitespace), checked as
    /// serde_json checks it; `depth` is the number of containers open around it. A string or
    /// a number, most values, is stepped over here; a container by [`Self::skip_nested`].
    #[inline(always)]
    fn skip(&mut self, depth: usize) -> Walk<()> {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            _ => self.skip_nested(depth),
        }
    }

    /// [`Self::skip`] for any value, without recursion.
    #[inline(never)]
    fn skip_nested(&mut self, depth: usize) -> Walk<()> {
        // One bit per container open inside this value, the innermost lowest: 1 = object.
        // At most `MAX_DEPTH` are open, so they fit.
        let mut kinds: u128 = 0;
        let mut open = 0usize;
        loop {
            self.ws();
            match self.peek().ok_or(Stop::Leave)? {
                b @ (b'{' | b'[') => {
                    if depth + open >= MAX_DEPTH {
                        return Err(Stop::TooDeep);
                    }
                    self.pos += 1;
                    self.ws();
                    let (object, close) = (b == b'{', if b == b'{' { b'}' } else { b']' });
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        open += 1;
                        kinds = kinds << 1 | u128::from(object);
                        if object {
                            self.object_key()?;
                        }
                        continue;
                    }
                }
                b'"' => self.skip_string()?,
                b'-' | b'0'..=b'9' => self.skip_number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return Err(Stop::Leave),
            }
            // After a value: close the containers that end here, or go on to the next
            // element of the innermost one.
            loop {
                if open == 0 {
                    return Ok(());
                }
                self.ws();
                let object = kinds & 1 == 1;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.object_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Stop::Leave),
                }
                self.pos += 1;
                open -= 1;
                kinds >>= 1;
            }
        }
    }

    /// Steps over a member's key (any string) and its colon.
    #[inline(always)]
    fn object_key(&mut self) -> Walk<()> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(Stop::Leave);
        }
        self.skip_string()?;
        if self.peek() == Some(b':') {
            self.pos += 1;
            return Ok(());
        }
        self.eat(b':')
    }

    /// The JSON text of the value the walk stands at.
    fn raw(&mut self, depth: usize) -> Walk<&'a str> {
        let start = self.pos;
        self.skip(depth)?;
        self.text.get(start..self.pos).ok_or(Stop::Leave)
    }

    /// A string or `null`, borrowed when it has no escapes (see [`super::text`]); any other
    /// type is left to the derived path, whose error it is.
    #[inline(always)]
    fn text(&mut self) -> Walk<Option<Cow<'a, str>>> {
        if let Some(text) = self.plain_string() {
            return Ok(Some(Cow::Borrowed(text)));
        }
        self.text_slow()
    }

    /// [`Self::text`] for `null` and a string with escapes.
    #[inline(never)]
    fn text_slow(&mut self) -> Walk<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'n') => self.literal(b"null").map(|()| None),
            Some(b'"') => self.serde::<Text<'a>>().map(|text| text.0),
            _ => Err(Stop::Leave),
        }
    }

    /// A string; anything else reads as absent (see `calling::params::lenient_text`).
    fn lenient_text(&mut self, depth: usize) -> Walk<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') => self.text(),
            // Read by serde, which refuses a number out of range as the derived view does.
            Some(b'-' | b'0'..=b'9') => self.serde::<f64>().map(|_| None),
            _ => self.skip(depth).map(|()| None),
        }
    }

    /// A boolean; anything else reads as absent.
    fn lenient_bool(&mut self, depth: usize) -> Walk<Option<bool>> {
        if self.literal(b"true").is_ok() {
            return Ok(Some(true));
        }
        if self.literal(b"false").is_ok() {
            return Ok(Some(false));
        }
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.serde::<f64>().map(|_| None),
            _ => self.skip(depth).map(|()| None),
        }
    }

    /// A value's text, `null` read as absent (as serde reads an `Option<&RawValue>`).
    fn raw_or_null(&mut self, depth: usize) -> Walk<Option<&'a str>> {
        let raw = self.raw(depth)?;
        Ok((raw != "null").then_some(raw))
    }

    /// Reads the scalar the walk stands at as `T` with serde (an escaped string, a number).
    fn serde<T: Deserialize<'a>>(&mut self) -> Walk<T> {
        let rest = self.text.get(self.pos..).ok_or(Stop::Leave)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        let value = stream.next().ok_or(Stop::Leave)?.map_err(|_| Stop::Leave)?;
        self.pos += stream.byte_offset();
        Ok(value)
    }

    /// Enters the object the walk stands at: its first member's key, the walk at its value
    /// (after any whitespace); `None` for an empty object. With [`Self::next_key`], the
    /// members are walked in the caller's own loop, so that what it does with each value is
    /// inlined there. `K` names the keys the caller reads (see [`Self::key`]).
    #[inline(always)]
    fn first_key<K: Keys>(&mut self) -> Walk<Option<Key>> {
        self.eat(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        self.key::<K>().map(Some)
    }

    /// After a member's value: the next member's key, or `None` past the object's end.
    #[inline(always)]
    fn next_key<K: Keys>(&mut self) -> Walk<Option<Key>> {
        // Compact JSON (what the server sends) has no whitespace: look for the comma first.
        let mut next = self.peek();
        if let Some(b' ' | b'\n' | b'\t' | b'\r') = next {
            self.ws();
            next = self.peek();
        }
        match next {
            Some(b',') => {
                self.pos += 1;
                self.ws();
                self.key::<K>().map(Some)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err(Stop::Leave),
        }
    }

    /// A member's key and its colon; the walk at its value. `K` recognises the keys the
    /// caller reads by their bytes (no search for the key's end) and steps past them; any
    /// other key must be a string without escapes (one with escapes is left to serde).
    #[inline(always)]
    fn key<K: Keys>(&mut self) -> Walk<Key> {
        let key = match K::known(self) {
            Some(slot) => Key::Known(slot),
            None => {
                self.plain_string().ok_or(Stop::Leave)?;
                Key::Other
            }
        };
        if self.peek() == Some(b':') {
            self.pos += 1;
        } else {
            self.eat(b':')?;
        }
        self.ws();
        Ok(key)
    }

    /// The first byte of the key the walk stands at (at its opening quote), for [`Keys`].
    #[inline(always)]
    fn key_start(&self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        bytes.get(self.pos + 1).copied()
    }

    /// Whether the key the walk stands at is exactly `name` (quotes around it, so no
    /// escapes), and the walk past it if so.
    #[inline(always)]
    fn key_is(&mut self, name: &str) -> bool {
        let bytes = self.text.as_bytes();
        let end = self.pos + 1 + name.len();
        if bytes.get(self.pos + 1..end) == Some(name.as_bytes()) && bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return true;
        }
        false
    }
}

/// The keys a reader knows, each by a number (for `once`), recognised by their bytes.
trait Keys {
    /// The number of the key the walk stands at, the walk past its closing quote; `None`
    /// (the walk unmoved) for another key.
    fn known(walk: &mut Walker<'_>) -> Option<u8>;
}

/// A member's key as far as its reader cares: one of the keys it knows (by number), or
/// another.
#[derive(Clone, Copy)]
enum Key {
    Known(u8),
    Other,
}

/// The first byte from `from` on that ends a string's plain run (a quote, a backslash or a
/// control character), eight bytes at a time; `None` at the end of the text.
#[inline(always)]
fn special(bytes: &[u8], mut from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // The classic tests for a zero byte and for a byte below 0x20: exact for the
        // lowest byte that matches, which is the one wanted.
        let found = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | word.wrapping_sub(ONES * 0x20) & !word)
            & HIGHS;
        if found != 0 {
            return Some(from + (found.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let rest = bytes.get(from..)?;
    rest.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|at| from + at)
}

/// The first byte from `from` on that is no ASCII digit (the text's length if none),
/// eight bytes at a time: a timestamp's digits are most of a number in an event.
#[inline]
fn digits_end(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(chunk) = bytes.get(from..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(*chunk);
        // A byte's high bit is set below `0` (the subtraction borrows), above `9` (the
        // addition reaches 0x80) or at 0x80 and up; a borrow or carry comes only from a
        // lower byte so marked, so the lowest mark is exact.
        let found = (word.wrapping_sub(ONES * 0x30) | word.wrapping_add(ONES * 0x46) | word)
            & (ONES * 0x80);
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while bytes.get(from).is_some_and(u8::is_ascii_digit) {
        from += 1;
    }
    from
}

/// Marks `slot` seen; a member seen twice is left to the derived path (whose error or
/// last-wins reading it is).
#[inline(always)]
fn once(seen: &mut u16, slot: u8) -> Walk<()> {
    let bit = 1 << slot;
    if *seen & bit != 0 {
        return Err(Stop::Leave);
    }
    *seen |= bit;
    Ok(())
}

/// A frame in one pass; `true` beside it when a call event's view was read into `view`.
pub(super) fn frame<'a>(text: &'a str, view: &mut EventView<'a>) -> Walk<(Envelope<'a>, bool)> {
    let mut walk = Walker { text, pos: 0 };
    let mut frame = Envelope {
        id: None,
        method: None,
        params: None,
        result: None,
        error: None,
    };
    let mut view_read = false;
    let mut seen = 0;
    // The envelope is the first container: its members' values have one around them.
    let mut next = walk.first_key::<EnvelopeKeys>()?;
    while let Some(key) = next {
        match key {
            Key::Known(0) => {
                once(&mut seen, 0)?;
                frame.id = Some(walk.raw(1)?);
            }
            Key::Known(1) => {
                once(&mut seen, 1)?;
                frame.method = walk.text()?;
            }
            Key::Known(2) => {
                once(&mut seen, 2)?;
                let (params, read) = params(&mut walk, view)?;
                frame.params = Some(params);
                view_read = read;
            }
            Key::Known(3) => {
                once(&mut seen, 3)?;
                frame.result = Some(walk.raw(1)?);
            }
            Key::Known(4) => {
                once(&mut seen, 4)?;
                let raw = walk.raw(1)?;
                let error = serde_json::from_str::<RpcError>(raw).map_err(|_| Stop::Leave)?;
                frame.error = Some(error);
            }
            Key::Known(_) | Key::Other => walk.skip(1)?,
        }
        next = walk.next_key::<EnvelopeKeys>()?;
    }
    walk.ws();
    if walk.pos != text.len() {
        return Err(Stop::Leave);
    }
    Ok((frame, view_read))
}

/// A string member or `null`, borrowed when it has no escapes (see [`super::text`]).
#[derive(Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow, deserialize_with = "super::text")] Option<Cow<'a, str>>);

/// Whether an event type's data is read into an [`EventView`].
fn is_call_event(event_type: &str) -> bool {
    event_type.starts_with("calling.call.") && event_type != "calling.call.connect"
}

/// A request's params (the second container): its routing members read, a
/// `calling.call.*` event's data read into `view` in the same pass when it is an object.
#[inline(always)]
fn params<'a>(walk: &mut Walker<'a>, view: &mut EventView<'a>) -> Walk<(Params<'a>, bool)> {
    let mut params = Params::default();
    let mut view_read = false;
    let mut seen = 0;
    let mut next = walk.first_key::<ParamsKeys>()?;
    while let Some(key) = next {
        match key {
            Key::Known(0) => {
                once(&mut seen, 0)?;
                params.event_type = walk.text()?;
            }
            Key::Known(1) => {
                once(&mut seen, 1)?;
                let call_event = params.event_type.as_deref().is_some_and(is_call_event);
                let start = walk.pos;
                if call_event && walk.peek() == Some(b'{') {
                    event_view(walk, view)?;
                    view_read = true;
                } else {
                    walk.skip(2)?;
                }
                let data = walk.text.get(start..walk.pos).ok_or(Stop::Leave)?;
                params.params = Some(Cow::Borrowed(data));
            }
            Key::Known(2) => {
                once(&mut seen, 2)?;
                params.authorization_state = walk.lenient_text(2)?;
            }
            Key::Known(3) => {
                once(&mut seen, 3)?;
                params.restart = walk.lenient_bool(2)?;
            }
            Key::Known(_) | Key::Other => walk.skip(2)?,
        }
        next = walk.next_key::<ParamsKeys>()?;
    }
    Ok((params, view_read))
}

/// A call event's data (the third container) read into its view, as the derived
/// `EventView` reads it: ids strings or `null`, descriptive members strings or absent,
/// the device and a dial's call kept as text.
#[inline(always)]
fn event_view<'a>(walk: &mut Walker<'a>, view: &mut EventView<'a>) -> Walk<()> {
    let mut seen = 0;
    let mut next = walk.first_key::<ViewKeys>()?;
    while let Some(key) = next {
        match key {
            Key::Known(0) => {
                once(&mut seen, 0)?;
                view.call_id = walk.text()?;
            }
            Key::Known(1) => {
                once(&mut seen, 1)?;
                view.node_id = walk.text()?;
            }
            Key::Known(2) => {
                once(&mut seen, 2)?;
                view.control_id = walk.text()?;
            }
            Key::Known(3) => {
                once(&mut seen, 3)?;
                view.tag = walk.text()?;
            }
            Key::Known(4) => {
                once(&mut seen, 4)?;
                view.state = walk.lenient_text(3)?;
            }
            Key::Known(5) => {
                once(&mut seen, 5)?;
                view.call_state = walk.lenient_text(3)?;
            }
            Key::Known(6) => {
                once(&mut seen, 6)?;
                view.end_reason = walk.lenient_text(3)?;
            }
            Key::Known(7) => {
                once(&mut seen, 7)?;
                view.direction = walk.lenient_text(3)?;
            }
            Key::Known(8) => {
                once(&mut seen, 8)?;
                view.context = walk.lenient_text(3)?;
            }
            Key::Known(9) => {
                once(&mut seen, 9)?;
                view.dial_state = walk.lenient_text(3)?;
            }
            Key::Known(10) => {
                once(&mut seen, 10)?;
                view.reason = walk.lenient_text(3)?;
            }
            Key::Known(11) => {
                once(&mut seen, 11)?;
                view.source = walk.lenient_text(3)?;
            }
            Key::Known(12) => {
                once(&mut seen, 12)?;
                view.device = walk.raw_or_null(3)?;
            }
            Key::Known(13) => {
                once(&mut seen, 13)?;
                view.call = walk.raw_or_null(3)?;
            }
            Key::Known(_) | Key::Other => walk.skip(3)?,
        }
        next = walk.next_key::<ViewKeys>()?;
    }
    Ok(())
}

/// The envelope's keys (a number each, for `once`): `jsonrpc`, in every frame, is known
/// only to be stepped over without a search for its end.
struct EnvelopeKeys;

impl Keys for EnvelopeKeys {
    #[inline(always)]
    fn known(walk: &mut Walker<'_>) -> Option<u8> {
        match walk.key_start()? {
            b'i' if walk.key_is("id") => Some(0),
            b'm' if walk.key_is("method") => Some(1),
            b'p' if walk.key_is("params") => Some(2),
            b'r' if walk.key_is("result") => Some(3),
            b'e' if walk.key_is("error") => Some(4),
            b'j' if walk.key_is("jsonrpc") => Some(5),
            _ => None,
        }
    }
}

/// An event's keys; `timestamp` and `event_channel`, in every event, to step over.
struct ParamsKeys;

impl Keys for ParamsKeys {
    #[inline(always)]
    fn known(walk: &mut Walker<'_>) -> Option<u8> {
        match walk.key_start()? {
            b'e' if walk.key_is("event_type") => Some(0),
            b'p' if walk.key_is("params") => Some(1),
            b'a' if walk.key_is("authorization_state") => Some(2),
            b'r' if walk.key_is("restart") => Some(3),
            b't' if walk.key_is("timestamp") => Some(4),
            b'e' if walk.key_is("event_channel") => Some(5),
            _ => None,
        }
    }
}

/// The keys of a call event's view.
struct ViewKeys;

impl Keys for ViewKeys {
    #[inline(always)]
    fn known(walk: &mut Walker<'_>) -> Option<u8> {
        match walk.key_start()? {
            b'c' if walk.key_is("call_id") => Some(0),
            b'n' if walk.key_is("node_id") => Some(1),
            b'c' if walk.key_is("control_id") => Some(2),
            b't' if walk.key_is("tag") => Some(3),
            b's' if walk.key_is("state") => Some(4),
            b'c' if walk.key_is("call_state") => Some(5),
            b'e' if walk.key_is("end_reason") => Some(6),
            b'd' if walk.key_is("direction") => Some(7),
            b'c' if walk.key_is("context") => Some(8),
            b'd' if walk.key_is("dial_state") => Some(9),
            b'r' if walk.key_is("reason") => Some(10),
            b's' if walk.key_is("source") => Some(11),
            b'd' if walk.key_is("device") => Some(12),
            b'c' if walk.key_is("call") => Some(13),
            _ => None,
        }
    }
}

/// Whether a frame nests no deeper than [`MAX_DEPTH`], for the frames the walk leaves to
/// the derived path (which does not count the nesting of what it keeps as text). Counts
/// brackets outside strings; on malformed text the parse that follows has the last word.
pub(super) fn within_depth(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in text.as_bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{typed, Incoming};
    use super::*;

    /// What the derived path reads from `text`.
    fn derived(text: &str) -> Option<Incoming<'_>> {
        let frame = serde_json::from_str::<Envelope<'_>>(text).ok()?;
        typed(frame)?.ok()
    }

    /// What the walk reads from `text`, the view dropped (the derived path has none).
    fn walked(text: &str) -> Result<Option<Incoming<'_>>, Stop> {
        let mut view = EventView::default();
        let (frame, _) = frame(text, &mut view)?;
        Ok(typed(frame).and_then(Result::ok))
    }

    #[test]
    fn a_call_event_is_read_with_its_view_and_its_exact_text() {
        let text = r#"{"jsonrpc":"2.0","id":"ev-1","method":"signalwire.event","params":{"event_type":"calling.call.stream","timestamp":1.5,"params": {"call_id":"c1", "control_id":"k","state":"streaming","x":[1,{"a":null}],"device":null,"call":{"b":[]}} }}"#;
        let mut view = EventView::default();
        let (frame, view_read) = frame(text, &mut view).expect("one pass");
        assert!(view_read);
        let params = frame.params.clone().expect("params");
        assert_eq!(
            params.params.as_deref(),
            Some(
                r#"{"call_id":"c1", "control_id":"k","state":"streaming","x":[1,{"a":null}],"device":null,"call":{"b":[]}}"#
            )
        );
        assert!(matches!(view.call_id, Some(Cow::Borrowed("c1"))));
        assert_eq!(view.state.as_deref(), Some("streaming"));
        assert_eq!((view.device, view.call), (None, Some(r#"{"b":[]}"#)));
        assert_eq!(typed(frame).and_then(Result::ok), derived(text));
        // The same view as the derived reading of the data.
        let data = params.params.as_deref();
        let derived_view: EventView<'_> = crate::calling::data::read_text(data).expect("view");
        assert_eq!(format!("{view:?}"), format!("{derived_view:?}"));
    }

    #[test]
    fn what_the_walk_reads_it_reads_as_the_derived_path_and_the_rest_it_leaves() {
        let same = [
            r#"{"id":7,"method":"signalwire.ping","params":{}}"#,
            r#" { "id" : "a\"b" , "method" : "signalwire.event" , "params" : { "event_type" : "calling.call.play" , "params" : null } } "#,
            r#"{"method":"signalwire.\u0070ing","id":null}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"params":{"call_id":"c"},"event_type":"calling.call.state"}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"messaging.state","params":{"a":"\u00e9"},"restart":true,"authorization_state":{"x":1}}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"calling.call.play","params":{"call_id":"c\u0031","state":-1.5e3,"end_reason":[{}],"tag":null}}}"#,
            r#"{"jsonrpc":"2.0","id":"1","result":{"a":[1,2,{"b":"\n"}]},"x":[]}"#,
            r#"{"id":12,"result":null}"#,
            r#"{"id":"1","error":{"code":-32002,"message":"no","data":{}}}"#,
            r#"{"id":"1","method":"signalwire.disconnect","params":{"restart":5}}"#,
        ];
        for text in same {
            let walked = walked(text).unwrap_or_else(|e| panic!("walked: {text}: {e:?}"));
            assert_eq!(walked, derived(text), "{text}");
            assert!(walked.is_some(), "{text}");
        }
        // Left to the derived path: an escaped or repeated key, a view that cannot be
        // read, params that are no object, trailing text, bad strings and numbers.
        let left = [
            r#"{"id":"1","m\u0065thod":"signalwire.ping"}"#,
            r#"{"id":"1","id":"2","method":"signalwire.ping"}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"calling.call.play","params":{"call_id":5}}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"calling.call.play","params":{"state":"a","state":"b"}}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"a","event_type":"b"}}"#,
            r#"{"id":"1","method":"signalwire.event","params":["calling.call.state",{}]}"#,
            r#"{"id":"1","method":"signalwire.ping"} x"#,
            "{\"id\":\"1\",\"method\":\"signalwire.ping\",\"jsonrpc\":\"a\u{1}\"}",
            r#"{"id":"1","method":"signalwire.ping""#,
            r#"{"id":"1","method":"signalwire.ping","x":01}"#,
            r#"{"id":"1","method":"signalwire.ping","x":1.}"#,
            r#"{"id":"1","method":"signalwire.ping","x":"\x"}"#,
            r#"{"id":"1","method":"signalwire.ping","x":"\u12g4"}"#,
            r#"{"id":"1","method":"signalwire.ping","x":[1,]}"#,
            r#"{"id":"1","method":"signalwire.ping","x":{"a":1,}}"#,
            r#"{"id":"1","method":"signalwire.ping","x":[}"#,
            r#"{"id":"1","method":"signalwire.ping","x":tru}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"calling.call.play","params":{"state":1e999}}}"#,
        ];
        for text in left {
            assert_eq!(walked(text), Err(Stop::Leave), "{text}");
        }
    }

    #[test]
    fn the_end_of_a_plain_run_is_found_as_a_byte_by_byte_search_finds_it() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
        };
        // Runs of up to four eight-byte steps and the byte-by-byte rest: each seam.
        for len in 0..40 {
            for at in 0..=len {
                for stop in [
                    b'"',
                    b'\\',
                    0,
                    0x1f,
                    b' ',
                    0x80,
                    0xff,
                    b'!',
                    b']',
                    b'\\' ^ 0x80,
                ] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes around the candidate that would trip a wrong borrow.
                    if at > 0 {
                        bytes[at - 1] = 0x01;
                    }
                    if at < len {
                        bytes[at] = stop;
                    }
                    for from in 0..=len {
                        let want = naive(&bytes, from);
                        assert_eq!(special(&bytes, from), want, "{bytes:?} {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_byte_value_at_every_offset_ends_a_run_as_a_byte_by_byte_search_says() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f))
        };
        // Fillers next to the boundaries of each test: 0x20 and 0x21 above the control
        // range, 0x7f/0x80 at the sign bit, bytes one off a quote or a backslash.
        for filler in [
            b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ] {
            for at in 0..34 {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![filler; 34];
                    bytes[at] = byte;
                    for from in [0, 1, 7, 8, 9, 15, 16, 17, at, at + 1] {
                        let want = naive(&bytes, from);
                        assert_eq!(special(&bytes, from), want, "{bytes:?} {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_quote_backslash_or_control_byte_at_any_offset_of_a_string_reads_as_serde_reads_it() {
        // What goes at the offset: escapes (kept, or read by serde), a character of two
        // bytes, and raw bytes that JSON refuses in a string.
        let marks = [
            "\\\"",
            "\\\\",
            "\\n",
            "\\u00e9",
            "\\ud83d\\ude00",
            "\u{e9}",
            "\u{7f}",
            "\u{1}",
            "\u{1f}",
            "\t",
            "\\x",
            "\\u12",
        ];
        for len in 0..36 {
            for at in 0..=len {
                for mark in marks {
                    let mut string = "a".repeat(len);
                    string.insert_str(at, mark);
                    // As a value the view reads, as one it steps over, and as a key.
                    let texts = [
                        format!(
                            r#"{{"id":"1","method":"signalwire.event","params":{{"event_type":"calling.call.state","params":{{"call_id":"{string}","x":"{string}"}}}}}}"#
                        ),
                        format!(r#"{{"id":"1","method":"signalwire.ping","x":["{string}"]}}"#),
                        format!(r#"{{"id":"1","method":"signalwire.ping","{string}":1}}"#),
                    ];
                    for (i, text) in texts.iter().enumerate() {
                        let json = serde_json::from_str::<serde_json::Value>(text).is_ok();
                        match walked(text) {
                            Ok(read) => {
                                assert!(json, "{text:?}");
                                assert_eq!(read, derived(text), "{text:?}");
                                assert!(read.is_some(), "{text:?}");
                            }
                            // Only bad text, or a key with escapes, is left.
                            Err(stop) => {
                                assert_eq!(stop, Stop::Leave, "{text:?}");
                                assert!(!json || (i == 2 && mark.contains('\\')), "{text:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_end_of_a_digit_run_is_found_as_a_byte_by_byte_search_finds_it() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len())
                .find(|&i| !bytes[i].is_ascii_digit())
                .unwrap_or(bytes.len())
        };
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'7'; len];
                    bytes[at] = byte;
                    for from in 0..=len {
                        assert_eq!(digits_end(&bytes, from), naive(&bytes, from), "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn nesting_is_counted_from_the_envelope() {
        // `n` containers in all, the envelope and its params counted.
        let nested = |n: usize| {
            let inner = n - 2;
            format!(
                r#"{{"id":"1","method":"m","params":{{"x":{}1{}}}}}"#,
                "[".repeat(inner),
                "]".repeat(inner)
            )
        };
        let fits = nested(MAX_DEPTH);
        assert!(walked(&fits).expect("walked").is_some());
        assert!(within_depth(&fits));
        assert!(serde_json::from_str::<serde_json::Value>(&fits).is_ok());
        let deep = nested(MAX_DEPTH + 1);
        assert_eq!(walked(&deep), Err(Stop::TooDeep));
        assert!(!within_depth(&deep));
        assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
        // Brackets inside strings are text.
        assert!(within_depth(&format!(
            r#"{{"a":"{}\"["}}"#,
            "[".repeat(200)
        )));
    }

    /// Frames the mutations start from: an event with a view, a response, an error.
    const SEEDS: [&str; 3] = [
        r#"{"jsonrpc":"2.0","id":"ev-1","method":"signalwire.event","params":{"event_type":"calling.call.stream","timestamp":1.5e3,"params":{"call_id":"c1","control_id":"k","state":"streaming","device":{"type":"phone","params":{"a":[true,false,null,-0.5]}},"x":"\u00e9\n"}}}"#,
        r#"{"jsonrpc":"2.0","id":12,"result":{"code":"200","list":[1,{"a":"b"}],"e":-1E-2}}"#,
        r#"{"jsonrpc":"2.0","id":"r","error":{"code":-32000,"message":"m"}}"#,
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, ..Default::default() })]

        /// Whatever the walk accepts is JSON, and reads as the derived path reads it.
        #[test]
        fn what_the_walk_accepts_is_json_read_as_the_derived_path_reads_it(
            seed in 0..SEEDS.len(),
            edits in proptest::collection::vec((0..400usize, proptest::prelude::any::<u8>()), 1..4),
        ) {
            let mut bytes = SEEDS[seed].as_bytes().to_vec();
            for (at, byte) in edits {
                let at = at % bytes.len();
                // Mostly JSON's own punctuation, so that the text stays nearly valid.
                const BYTES: &[u8] = b"{}[]\",:-.0e\\ nu\t\x01";
                let byte = BYTES[usize::from(byte) % BYTES.len()];
                bytes[at] = byte;
            }
            let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
            match walked(&text) {
                Ok(read) => {
                    proptest::prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", text);
                    proptest::prop_assert_eq!(read, derived(&text), "{}", text);
                }
                Err(Stop::TooDeep) => proptest::prop_assert!(false, "too deep: {}", text),
                Err(Stop::Leave) => {}
            }
        }
    }
}
