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
        let key = self.string()?;
        self.skip_ws();
        if self.byte()? != b':' {
            return None;
        }
        self.pos += 1;
        self.skip_ws();
        Some(Some(key))
    }

    /// The string the walk stands at when it has no escapes (its text is then its value),
    /// and the walk past it; `None` (the walk unmoved) for anything else.
    fn string(&mut self) -> Option<&'a str> {
        if self.byte()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let bytes = self.text.as_bytes().get(start..)?;
        let len = bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if bytes[len] != b'"' {
            return None;
        }
        let text = self.text.get(start..start + len)?;
        self.pos = start + len + 1;
        Some(text)
    }

    /// A string or `null` value, borrowed when it has no escapes (see [`super::text`]).
    fn text_value(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.string() {
            Some(text) => Some(Some(Cow::Borrowed(text))),
            None => self.value::<Text<'a>>().map(|text| text.0),
        }
    }

    /// Steps over the value the walk stands at (a plain string without serde).
    fn skip_value(&mut self) -> Option<()> {
        if self.string().is_none() {
            self.value::<IgnoredAny>()?;
        }
        Some(())
    }

    /// The JSON text of the value the walk stands at (a plain string without serde).
    fn raw_value(&mut self) -> Option<&'a str> {
        let start = self.pos;
        match self.string() {
            Some(_) => self.text.get(start..self.pos),
            None => self.value::<&RawValue>().map(RawValue::get),
        }
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
            "id" if once(0) => id = Some(frame.raw_value()?),
            "method" if once(1) => method = frame.text_value()?,
            "params" if once(2) => {
                let mut inner = Members::open(frame.text, frame.pos)?;
                params = Some(event_params(&mut inner)?);
                frame.pos = inner.pos;
            }
            "jsonrpc" if once(3) => frame.skip_value()?,
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
                params.event_type = members.text_value()?;
            }
            "params" if once(1) => {
                let is_call_event = params
                    .event_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("calling.call.") && t != "calling.call.connect");
                if is_call_event && members.byte() == Some(b'{') {
                    let (view, text) = members.value_text::<EventView<'a>>()?;
                    params.view = Some(Box::new(view));
                    params.params = Some(Cow::Borrowed(text));
                } else {
                    params.params = Some(Cow::Borrowed(members.raw_value()?));
                }
            }
            "authorization_state" if once(2) => {
                params.authorization_state = Some(members.value::<Value>()?);
            }
            "restart" if once(3) => params.restart = Some(members.value::<Value>()?),
            "event_type" | "params" | "authorization_state" | "restart" => return None,
            _ => members.skip_value()?,
        }
    }
    Some(params)
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

    #[test]
    fn a_call_event_is_read_with_its_view_and_its_exact_text() {
        let text = r#"{"jsonrpc":"2.0","id":"ev-1","method":"signalwire.event","params":{"event_type":"calling.call.stream","timestamp":1.5,"params": {"call_id":"c1", "control_id":"k","state":"streaming","x":[1,{"a":null}]} }}"#;
        let frame = event_frame(text).expect("one pass");
        let params = frame.params.clone().expect("params");
        assert_eq!(
            params.params.as_deref(),
            Some(r#"{"call_id":"c1", "control_id":"k","state":"streaming","x":[1,{"a":null}]}"#)
        );
        let view = params.view.expect("view read in the same pass");
        assert!(matches!(view.call_id, Some(Cow::Borrowed("c1"))));
        assert_eq!(view.state.as_deref(), Some("streaming"));
        assert_eq!(typed(frame).and_then(Result::ok), derived(text));
    }

    #[test]
    fn what_the_walk_reads_it_reads_as_the_derived_path_and_the_rest_it_leaves() {
        let same = [
            r#"{"id":7,"method":"signalwire.ping","params":{}}"#,
            r#" { "id" : "a\"b" , "method" : "signalwire.event" , "params" : { "event_type" : "calling.call.play" , "params" : null } } "#,
            r#"{"method":"signalwire.\u0070ing","id":null}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"params":{"call_id":"c"},"event_type":"calling.call.state"}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"messaging.state","params":{"a":"\u00e9"},"restart":true,"authorization_state":{"x":1}}}"#,
        ];
        for text in same {
            let frame = event_frame(text).unwrap_or_else(|| panic!("walked: {text}"));
            assert_eq!(typed(frame).and_then(Result::ok), derived(text), "{text}");
        }
        // Left to the derived path: an escaped or repeated key, a response, a view that
        // cannot be read, params that are no object, trailing text, a bad string.
        let left = [
            r#"{"id":"1","m\u0065thod":"signalwire.ping"}"#,
            r#"{"id":"1","id":"2","method":"signalwire.ping"}"#,
            r#"{"id":"1","result":{}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"calling.call.play","params":{"call_id":5}}}"#,
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"a","event_type":"b"}}"#,
            r#"{"id":"1","method":"signalwire.event","params":["calling.call.state",{}]}"#,
            r#"{"id":"1","method":"signalwire.ping"} x"#,
            "{\"id\":\"1\",\"method\":\"signalwire.ping\",\"jsonrpc\":\"a\u{1}\"}",
            r#"{"id":"1","method":"signalwire.ping""#,
        ];
        for text in left {
            assert!(event_frame(text).is_none(), "{text}");
        }
    }
}
