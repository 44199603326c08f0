//! The JSON-RPC 2.0 envelope: reading server frames and writing client frames.

use crate::calling::params::{lenient_bool, lenient_text};
use crate::calling::view::EventView;
use crate::error::ProtocolError;
use crate::payload::Payload;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::borrow::Cow;

mod scan;
use scan::Stop;

/// One frame from the server, classified. Names and ids borrow from the frame's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming<'a> {
    /// The answer to one of our requests.
    Response {
        id: Cow<'a, str>,
        outcome: Result<Payload, (i64, String)>,
    },
    /// A request from the server (event, ping, disconnect). The id is kept as sent (string
    /// or number, as JSON text) so the answer carries it back unchanged.
    Request {
        id: Option<Cow<'a, str>>,
        method: Cow<'a, str>,
        params: Params<'a>,
    },
}

/// The params of a server request, as far as any method needs them: `signalwire.event`'s
/// type, data and authorization state, `signalwire.disconnect`'s `restart`.
#[derive(Clone, Default, Deserialize)]
pub(crate) struct Params<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    pub event_type: Option<Cow<'a, str>>,
    /// The event's own params, as their JSON text (validated, not parsed): the engine reads
    /// a borrowed view of the members it routes by, and the text is the event's payload.
    #[serde(borrow, default, deserialize_with = "raw")]
    pub params: Option<Cow<'a, str>>,
    /// The routing view of a `calling.call.*` event's params, when the frame's one pass
    /// already read it (into the slot the caller of [`parse`] gave); otherwise the engine
    /// reads it from `params`.
    #[serde(skip)]
    pub view: Option<&'a EventView<'a>>,
    /// The authorization state beside the event's data (a secret: never shown by `Debug`);
    /// anything but a string reads as absent.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub authorization_state: Option<Cow<'a, str>>,
    /// `signalwire.disconnect`'s `restart`; anything but a boolean reads as absent.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub restart: Option<bool>,
}

impl PartialEq for Params<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.event_type == other.event_type
            && self.params == other.params
            && self.authorization_state == other.authorization_state
            && self.restart == other.restart
    }
}

impl std::fmt::Debug for Params<'_> {
    // The authorization state is a secret: only its presence is shown, beside the data or
    // as the data of `signalwire.authorization.state`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret_data = self.event_type.as_deref() == Some("signalwire.authorization.state");
        let data: &dyn std::fmt::Debug = if secret_data {
            &self.params.as_ref().map(|_| "<redacted>")
        } else {
            &self.params
        };
        f.debug_struct("Params")
            .field("event_type", &self.event_type)
            .field("params", data)
            .field(
                "authorization_state",
                &self.authorization_state.as_ref().map(|_| "<redacted>"),
            )
            .field("restart", &self.restart)
            .finish_non_exhaustive()
    }
}

/// An event's data borrowed from the frame (`RawValue` borrows: its text has no escapes
/// to undo).
fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    <&RawValue>::deserialize(d).map(|raw| Some(Cow::Borrowed(raw.get())))
}

/// A string member, or `null`: borrowed from the text when it has no escapes (serde's own
/// `Option<Cow<str>>` would always copy); any other type is an error.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Text)
}

/// The JSON-RPC frame in one pass: the envelope is read in place (no key or name is
/// allocated, an event's data and a result are kept as their text). Filled by the walk of
/// [`scan`], or derived for the frames the walk leaves.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a str>,
    #[serde(borrow, default, deserialize_with = "text")]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "object")]
    params: Option<Params<'a>>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a str>,
    #[serde(default)]
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// A member that is there, `null` included (an absent one is `None` by `default`), as its
/// JSON text.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de str>, D::Error> {
    <&RawValue>::deserialize(d).map(|raw| Some(raw.get()))
}

/// Params only from an object: a derived struct would also read an array, by position.
fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Params<'de>>, D::Error> {
    struct ObjectOnly;
    impl<'de> Visitor<'de> for ObjectOnly {
        type Value = Params<'de>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Params<'de>, A::Error> {
            Params::deserialize(MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_map(ObjectOnly).map(Some)
}

/// Classifies a text frame; anything that is not a JSON-RPC frame is a typed error.
///
/// A `calling.call.*` event's routing view is read into `view` in the same pass (a slot
/// of the caller's, so that the view is neither allocated nor moved), and the frame's
/// params point at it.
pub(crate) fn parse<'a>(
    text: &'a str,
    view: &'a mut EventView<'a>,
) -> Result<Incoming<'a>, ProtocolError> {
    let walked = scan::frame(text, view);
    let view: &'a EventView<'a> = view;
    match walked {
        Ok((mut frame, view_read)) => {
            if view_read {
                if let Some(params) = &mut frame.params {
                    params.view = Some(view);
                }
            }
            return typed(frame).unwrap_or_else(|| parse_value(text));
        }
        // Refused as a whole-frame parse refuses it, with its error.
        Err(Stop::TooDeep) => return parse_value(text),
        Err(Stop::Leave) => {}
    }
    // A struct also reads from an array, so only an object takes the derived path; a frame
    // it cannot type (a member of an odd type, a repeated key) takes the general one. The
    // derived path does not count the nesting of the members it keeps as text, so a frame
    // nested deeper than a whole-frame parse allows goes to the general path, which refuses it.
    if text.trim_start().starts_with('{') && scan::within_depth(text) {
        if let Ok(frame) = serde_json::from_str::<Envelope<'_>>(text) {
            if let Some(incoming) = typed(frame) {
                return incoming;
            }
        }
    }
    parse_value(text)
}

/// The fast path; `None` hands the frame to [`parse_value`].
fn typed(frame: Envelope<'_>) -> Option<Result<Incoming<'_>, ProtocolError>> {
    let id = match frame.id {
        Some("null") => None,
        Some(id) if id.starts_with('"') || is_number(id) => Some(id),
        None => None,
        Some(_) => return None,
    };
    if let Some(method) = frame.method {
        return Some(Ok(Incoming::Request {
            id: id.map(Cow::Borrowed),
            method,
            params: frame.params.unwrap_or_default(),
        }));
    }
    let id = match id {
        Some(id) if id.starts_with('"') => Cow::Borrowed(string_text(id)?),
        // Our own request ids are strings; a numeric echo is looked up by its text.
        Some(id) => Cow::Borrowed(id),
        None => return None,
    };
    if let Some(result) = frame.result {
        return Some(Ok(Incoming::Response {
            id,
            outcome: Ok(Payload::from_text(result)),
        }));
    }
    let error = frame.error?;
    Some(Ok(Incoming::Response {
        id,
        outcome: Err((error.code.unwrap_or(0), error.message.unwrap_or_default())),
    }))
}

/// The text of a JSON string already checked by the read (its quotes dropped): as it
/// stands when it has no escapes, else read by serde (not read twice in the usual case).
fn string_text(raw: &str) -> Option<&str> {
    match raw
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(text) if !text.contains('\\') => Some(text),
        _ => serde_json::from_str::<&str>(raw).ok(),
    }
}

fn is_number(raw: &str) -> bool {
    raw.bytes()
        .next()
        .is_some_and(|b| b == b'-' || b.is_ascii_digit())
}

/// The general path: the whole frame as a `Value`, every odd case a typed error.
fn parse_value(text: &str) -> Result<Incoming<'static>, ProtocolError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ProtocolError::InvalidJson(e.to_string()))?;
    let Value::Object(mut frame) = value else {
        return Err(ProtocolError::InvalidFrame("not an object".into()));
    };
    let id = match frame.remove("id") {
        None | Some(Value::Null) => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id),
        Some(_) => return Err(ProtocolError::InvalidFrame("id is not a string".into())),
    };
    if let Some(method) = frame.remove("method") {
        let Value::String(method) = method else {
            return Err(ProtocolError::InvalidFrame("method is not a string".into()));
        };
        let mut params = match frame.remove("params") {
            Some(Value::Object(params)) => params,
            _ => Map::new(),
        };
        let params = Params {
            event_type: match params.remove("event_type") {
                Some(Value::String(t)) => Some(Cow::Owned(t)),
                _ => None,
            },
            params: params
                .remove("params")
                .map(|data| Cow::Owned(data.to_string())),
            authorization_state: match params.remove("authorization_state") {
                Some(Value::String(state)) => Some(Cow::Owned(state)),
                _ => None,
            },
            restart: params.remove("restart").and_then(|r| r.as_bool()),
            view: None,
        };
        return Ok(Incoming::Request {
            id: id.map(|id| Cow::Owned(id.to_string())),
            method: Cow::Owned(method),
            params,
        });
    }
    let id = match id {
        Some(Value::String(id)) => Cow::Owned(id),
        Some(other) => Cow::Owned(other.to_string()),
        None => return Err(ProtocolError::InvalidFrame("response without id".into())),
    };
    if let Some(result) = frame.remove("result") {
        return Ok(Incoming::Response {
            id,
            outcome: Ok(Payload::from_value(&result)),
        });
    }
    if let Some(error) = frame.remove("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Ok(Incoming::Response {
            id,
            outcome: Err((code, message)),
        });
    }
    Err(ProtocolError::InvalidFrame(
        "neither method, result nor error".into(),
    ))
}

/// The ids a request carries in its params beside the command's own: `node_id` and
/// `call_id` of a call command, `control_id` of an action, `tag` of a dial.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ids<'a> {
    pub node_id: Option<&'a str>,
    pub call_id: Option<&'a str>,
    pub control_id: Option<&'a str>,
    pub tag: Option<&'a str>,
}

/// A client request frame, written in one pass from typed params: the envelope, the ids,
/// then the members of `params` (which must serialise as an object, or as nothing: `()`).
///
/// No tree in between: the params' object is written straight after the ids, its opening
/// brace turned into the comma that joins them.
pub(crate) fn request<P: Serialize + ?Sized>(
    id: &str,
    method: &str,
    ids: &Ids<'_>,
    params: &P,
) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(160 + method.len());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    serde_json::to_writer(&mut out, id)?;
    out.extend_from_slice(br#","method":"#);
    serde_json::to_writer(&mut out, method)?;
    out.extend_from_slice(br#","params":{"#);
    let mut empty = true;
    let members = [
        ("node_id", ids.node_id),
        ("call_id", ids.call_id),
        ("control_id", ids.control_id),
        ("tag", ids.tag),
    ];
    for (key, value) in members {
        let Some(value) = value else { continue };
        if !empty {
            out.push(b',');
        }
        empty = false;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        serde_json::to_writer(&mut out, value)?;
    }
    let start = out.len();
    serde_json::to_writer(&mut out, params)?;
    match out.get(start..) {
        Some(b"{}") | Some(b"null") => {
            out.truncate(start);
            out.push(b'}');
        }
        Some([b'{', ..]) if empty => {
            out.remove(start);
        }
        Some([b'{', ..]) => out[start] = b',',
        _ => {
            return Err(serde::ser::Error::custom(
                "request params are not a JSON object",
            ))
        }
    }
    out.push(b'}');
    String::from_utf8(out).map_err(serde::ser::Error::custom)
}

/// A client request frame from an untyped map (`Client::execute`, the session's own
/// requests), written through a `json!` value as before the typed writer.
///
/// Kept apart from [`request`] only because the fault test of a server that stops reading
/// (`server_that_stops_reading_is_left_for_a_new_connection`, which floods with
/// `execute`) depends on how fast these frames are made: with the one-pass writer it fails
/// on smol. Goes once that test is made independent of speed (issue 16 item 6).
pub(crate) fn request_map(
    id: &str,
    method: &str,
    params: &serde_json::Map<String, Value>,
) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// The empty-result answer to a server request, with the id as the server sent it (JSON
/// text, already checked). Written by hand: it is sent for every event.
pub(crate) fn ack(id: &str) -> String {
    let mut text = String::with_capacity(id.len() + 40);
    text.push_str(r#"{"jsonrpc":"2.0","id":"#);
    text.push_str(id);
    text.push_str(r#","result":{}}"#);
    text
}

/// A JSON-RPC error answer to a server request, with the id as the server sent it (JSON
/// text; `null` if it is not).
pub(crate) fn error_reply(id: &str, code: i64, message: &str) -> String {
    #[derive(Serialize)]
    struct Reply<'a> {
        jsonrpc: &'static str,
        id: Option<&'a RawValue>,
        error: Error<'a>,
    }
    #[derive(Serialize)]
    struct Error<'a> {
        code: i64,
        message: &'a str,
    }
    let reply = Reply {
        jsonrpc: "2.0",
        id: serde_json::from_str(id).ok(),
        error: Error { code, message },
    };
    // Strings and numbers only: writing them cannot fail.
    serde_json::to_string(&reply).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`super::parse`] with a view slot of its own (leaked: a test's few bytes).
    fn parse(text: &str) -> Result<Incoming<'_>, ProtocolError> {
        super::parse(text, Box::leak(Box::default()))
    }

    #[test]
    fn an_authorization_state_is_never_shown_by_debug() {
        let (_, _, inside) = request(
            r#"{"jsonrpc":"2.0","id":"1","method":"signalwire.event","params":{"event_type":"signalwire.authorization.state","params":{"authorization_state":"s3cret"}}}"#,
        );
        let (_, _, beside) = request(
            r#"{"jsonrpc":"2.0","id":"2","method":"signalwire.event","params":{"event_type":"calling.call.state","params":{"call_id":"c"},"authorization_state":"s3cret"}}"#,
        );
        for params in [inside, beside] {
            let shown = format!("{params:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    fn request(text: &str) -> (Option<String>, String, Params<'_>) {
        match parse(text) {
            Ok(Incoming::Request { id, method, params }) => {
                (id.map(Cow::into_owned), method.into_owned(), params)
            }
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn classifies_frames() {
        // A result is kept as the server's exact text (spacing and key order included).
        let result = r#"{"b": [2],  "a":"\u0041"}"#;
        assert_eq!(
            parse(&format!(
                r#"{{"jsonrpc":"2.0","id":"1","result":{result}}}"#
            )),
            Ok(Incoming::Response {
                id: "1".into(),
                outcome: Ok(Payload::from_json(result).expect("json"))
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":"1","error":{"code":-32002,"message":"no"}}"#),
            Ok(Incoming::Response {
                id: "1".into(),
                outcome: Err((-32002, "no".into()))
            })
        );
        let (id, method, params) =
            request(r#"{"jsonrpc":"2.0","id":"9","method":"signalwire.ping","params":{}}"#);
        assert_eq!(
            (id.as_deref(), method.as_str()),
            (Some(r#""9""#), "signalwire.ping")
        );
        assert_eq!(params, Params::default());
    }

    #[test]
    fn an_event_is_read_in_one_pass_and_an_odd_one_the_same_way_as_before() {
        let fast = r#"{"id":7,"method":"signalwire.event","params":{"event_type":"calling.call.state","params":{"call_id":"c"}}}"#;
        let (id, _, params) = request(fast);
        assert_eq!(id.as_deref(), Some("7"));
        assert_eq!(params.event_type.as_deref(), Some("calling.call.state"));
        assert_eq!(params.params.as_deref(), Some(r#"{"call_id":"c"}"#));
        // A repeated key and a number for a name leave the fast path; the result is the
        // general reading (the last key wins; no event type).
        let (_, _, params) = request(
            r#"{"id":"1","method":"signalwire.event","params":{"event_type":"a","event_type":"b"}}"#,
        );
        assert_eq!(params.event_type.as_deref(), Some("b"));
        let (_, _, params) =
            request(r#"{"id":"1","method":"signalwire.event","params":{"event_type":5}}"#);
        assert_eq!(params.event_type, None);
        let (_, _, params) =
            request(r#"{"id":"1","method":"signalwire.event","params":["calling.call.state",{}]}"#);
        assert_eq!(params, Params::default());
        let (_, method, _) = request(r#"{"id":"1","method":"signalwire.\u0070ing"}"#);
        assert_eq!(method, "signalwire.ping");
        assert_eq!(
            parse(r#"{"id":12,"result":null}"#),
            Ok(Incoming::Response {
                id: "12".into(),
                outcome: Ok(Payload::null())
            })
        );
    }

    #[test]
    fn a_request_is_the_json_rpc_envelope_around_its_params() {
        let ids = Ids {
            node_id: Some("n"),
            call_id: Some("c\"1"),
            ..Ids::default()
        };
        let text = super::request("r1", "calling.answer", &ids, &()).expect("written");
        assert_eq!(
            text,
            r#"{"jsonrpc":"2.0","id":"r1","method":"calling.answer","params":{"node_id":"n","call_id":"c\"1"}}"#
        );
        let params = json!({"volume": 2, "b": [1]});
        let with_params = |ids: &Ids<'_>| {
            let text = super::request("r2", "m", ids, &params).expect("written");
            serde_json::from_str::<Value>(&text).expect("json")["params"].clone()
        };
        let control = Ids {
            control_id: Some("k"),
            ..ids
        };
        assert_eq!(
            with_params(&control),
            json!({"node_id": "n", "call_id": "c\"1", "control_id": "k", "volume": 2, "b": [1]})
        );
        assert_eq!(with_params(&Ids::default()), params);
        assert_eq!(
            super::request("r3", "m", &Ids::default(), &()).expect("written"),
            r#"{"jsonrpc":"2.0","id":"r3","method":"m","params":{}}"#
        );
        assert!(super::request("r4", "m", &ids, &[1]).is_err());
    }

    #[test]
    fn an_error_reply_carries_the_id_as_sent() {
        assert_eq!(
            error_reply(r#""a\"b""#, -32601, "Method not found"),
            r#"{"jsonrpc":"2.0","id":"a\"b","error":{"code":-32601,"message":"Method not found"}}"#
        );
        assert_eq!(
            error_reply("7", -1, "x"),
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-1,"message":"x"}}"#
        );
        assert_eq!(
            error_reply("{", -1, "x"),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}"#
        );
    }

    #[test]
    fn ack_is_valid_json_with_the_id_as_sent() {
        let text = ack(r#""a\"b""#);
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value, json!({"jsonrpc": "2.0", "id": "a\"b", "result": {}}));
        assert_eq!(ack("7"), r#"{"jsonrpc":"2.0","id":7,"result":{}}"#);
    }

    #[test]
    fn rejects_what_is_not_json_rpc() {
        assert!(matches!(parse("{"), Err(ProtocolError::InvalidJson(_))));
        assert!(matches!(parse("[1]"), Err(ProtocolError::InvalidFrame(_))));
        assert!(matches!(parse("nul"), Err(ProtocolError::InvalidJson(_))));
        assert!(matches!(
            parse(r#"{"result":{}}"#),
            Err(ProtocolError::InvalidFrame(_))
        ));
        assert!(matches!(
            parse(r#"{"id":"1"}"#),
            Err(ProtocolError::InvalidFrame(_))
        ));
        assert!(matches!(
            parse(r#"{"id":"1","method":5}"#),
            Err(ProtocolError::InvalidFrame(_))
        ));
        assert!(matches!(
            parse(r#"{"id":true,"method":"signalwire.ping"}"#),
            Err(ProtocolError::InvalidFrame(_))
        ));
    }
}
