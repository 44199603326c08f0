//! The one-pass reading of a server request frame: the envelope's members are walked by
//! hand and each value read in place by serde_json, so that a `calling.call.*` event's
//! params are read once, into their routing view, while their text is kept as the payload.
//!
//! Anything unusual (an escaped key, a repeated key, a response, a view that cannot be read)
//! gives `None`, and the frame takes the derived path, which reads it as before.

use super::{Envelope, Params};
use crate::calling::view::EventView;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// The members of one JSON object, walked from its opening brace.
struct Members<'a> {
    text: &'a str,
    pos: usize,
    first: bool,
}

impl<'a> Members<'a> {
    /// The object starting at `pos` (after any whitespace); `None` if it is not an object.
    fn open(text: &'a str, pos: usize) -> Option<Self> {
        let mut members = Self {
            text,
            pos,
            first: true,
        };
        members.skip_ws();
        (members.byte() == Some(b'{')).then(|| {
            members.pos += 1;
            members
        })
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.byte() {
            self.pos += 1;
        }
    }

    /// The next key (`Some(None)` at the closing brace); the walk stands at its value.
    /// `None` for what this walk leaves to serde: malformed text or a key with escapes.
    fn key(&mut self) -> Option<Option<&'a str>> {
        self.skip_ws();
        match self.byte()? {
            b'}' => {
                self.pos += 1;
                return Some(None);
            }
            b',' if !self.first => {
                self.pos += 1;
                self.skip_ws();
            }
            _ if self.first => {}
            _ => return None,
        }
        self.first = false;
        if self.byte()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let len = self.text.as_bytes()[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.text.as_bytes()[start + len] != b'"' {
            return None;
        }
        let key = self.text.get(start..start + len)?;
        self.pos = start + len + 1;
        self.skip_ws();
        if self.byte()? != b':' {
            return None;
        }
        self.pos += 1;
        self.skip_ws();
        Some(Some(key))
    }

    /// Reads the value the walk stands at as `T`, borrowing from the text.
    // Inlined, like the other steps of the walk, so that a large value (an event's view) is
    // written where it is kept instead of being copied out of each step.
    #[inline(always)]
    fn value<T: Deserialize<'a>>(&mut self) -> Option<T> {
        self.value_text().map(|(value, _)| value)
    }

    /// [`Members::value`], with the value's own text.
    #[inline(always)]
    fn value_text<T: Deserialize<'a>>(&mut self) -> Option<(T, &'a str)> {
        let rest = self.text.get(self.pos..)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        let value = stream.next()?.ok()?;
        let end = stream.byte_offset();
        let start = self.pos;
        self.pos += end;
        Some((value, self.text.get(start..self.pos)?))
    }

    /// Whether only whitespace follows the walk.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.text.len()
    }
}

/// A request frame (`method` and no `result` or `error`) in one pass; `None` hands it on.
pub(super) fn event_frame(text: &str) -> Option<Envelope<'_>> {
    let mut frame = Members::open(text, 0)?;
    let mut id = None;
    let mut method = None;
    let mut params = None;
    let mut seen = [false; 4];
    let mut once = |slot: usize| !std::mem::replace(&mut seen[slot], true);
    while let Some(key) = frame.key()? {
        match key {
            "id" if once(0) => id = Some(frame.value::<&RawValue>()?),
            "method" if once(1) => method = frame.value::<Text<'_>>()?.0,
            "params" if once(2) => {
                let mut inner = Members::open(frame.text, frame.pos)?;
                params = Some(event_params(&mut inner)?);
                frame.pos = inner.pos;
            }
            "jsonrpc" if once(3) => {
                frame.value::<IgnoredAny>()?;
            }
            _ => return None,
        }
    }
    if !frame.at_end() || method.is_none() {
        return None;
    }
    Some(Envelope {
        id,
        method,
        params,
        result: None,
        error: None,
    })
}

/// A string member or `null`, borrowed when it has no escapes (see [`super::text`]).
#[derive(Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow, deserialize_with = "super::text")] Option<Cow<'a, str>>);

/// A request's params: its routing members read, a `calling.call.*` event's data read into
/// its view in the same pass. The walk ends after the closing brace.
#[inline(always)]
fn event_params<'a>(members: &mut Members<'a>) -> Option<Params<'a>> {
    let mut params = Params::default();
    let mut seen = [false; 4];
    let mut once = |slot: usize| !std::mem::replace(&mut seen[slot], true);
    while let Some(key) = members.key()? {
        match key {
            "event_type" if once(0) => {
                params.event_type = members.value::<Text<'a>>()?.0;
            }
            "params" if once(1) => {
                let is_call_event = params
                    .event_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("calling.call.") && t != "calling.call.connect");
                if is_call_event && members.byte() == Some(b'{') {
                    let (view, text) = members.value_text::<EventView<'a>>()?;
                    params.view = Some(view);
                    params.params = Some(Cow::Borrowed(text));
                } else {
                    let raw = members.value::<&RawValue>()?;
                    params.params = Some(Cow::Borrowed(raw.get()));
                }
            }
            "authorization_state" if once(2) => {
                params.authorization_state = Some(members.value::<Value>()?);
            }
            "restart" if once(3) => params.restart = Some(members.value::<Value>()?),
            "event_type" | "params" | "authorization_state" | "restart" => return None,
            _ => {
                members.value::<IgnoredAny>()?;
            }
        }
    }
    Some(params)
}
