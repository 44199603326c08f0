//! The JSON-RPC 2.0 envelope: reading server frames and writing client frames.

use crate::error::ProtocolError;
use serde_json::{json, Map, Value};

/// One frame from the server, classified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// The answer to one of our requests.
    Response {
        id: String,
        outcome: Result<Value, (i64, String)>,
    },
    /// A request from the server (event, ping, disconnect). The id is kept as sent (string
    /// or number) so the answer carries it back unchanged.
    Request {
        id: Option<Value>,
        method: String,
        params: Value,
    },
}

/// Classifies a text frame; anything that is not a JSON-RPC frame is a typed error.
pub(crate) fn parse(text: &str) -> Result<Incoming, ProtocolError> {
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
        let params = frame.remove("params").unwrap_or(Value::Null);
        return Ok(Incoming::Request { id, method, params });
    }
    // Our own request ids are strings; a numeric echo is looked up by its text.
    let id = match id {
        Some(Value::String(id)) => id,
        Some(other) => other.to_string(),
        None => return Err(ProtocolError::InvalidFrame("response without id".into())),
    };
    if let Some(result) = frame.remove("result") {
        return Ok(Incoming::Response {
            id,
            outcome: Ok(result),
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

/// A client request frame.
pub(crate) fn request(id: &str, method: &str, params: &Map<String, Value>) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// The empty-result answer to a server request, with the id as the server sent it. Written by
/// hand: it is sent for every event, so it is on the hot path.
pub(crate) fn ack(id: &Value) -> String {
    let id = id.to_string();
    let mut text = String::with_capacity(id.len() + 40);
    text.push_str(r#"{"jsonrpc":"2.0","id":"#);
    text.push_str(&id);
    text.push_str(r#","result":{}}"#);
    text
}

/// A JSON-RPC error answer to a server request.
pub(crate) fn error_reply(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_frames() {
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":"1","result":{"a":1}}"#),
            Ok(Incoming::Response {
                id: "1".into(),
                outcome: Ok(json!({"a": 1}))
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":"1","error":{"code":-32002,"message":"no"}}"#),
            Ok(Incoming::Response {
                id: "1".into(),
                outcome: Err((-32002, "no".into()))
            })
        );
        assert_eq!(
            parse(r#"{"jsonrpc":"2.0","id":"9","method":"signalwire.ping","params":{}}"#),
            Ok(Incoming::Request {
                id: Some(json!("9")),
                method: "signalwire.ping".into(),
                params: json!({})
            })
        );
    }

    #[test]
    fn ack_is_valid_json_with_the_id_escaped() {
        let text = ack(&json!("a\"b"));
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value, json!({"jsonrpc": "2.0", "id": "a\"b", "result": {}}));
        assert_eq!(ack(&json!(7)), r#"{"jsonrpc":"2.0","id":7,"result":{}}"#);
    }

    #[test]
    fn rejects_what_is_not_json_rpc() {
        assert!(matches!(parse("{"), Err(ProtocolError::InvalidJson(_))));
        assert!(matches!(parse("[1]"), Err(ProtocolError::InvalidFrame(_))));
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
    }
}
