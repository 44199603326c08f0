//! The simulator's stream status webhooks: one small HTTP/1.1 request per event, POST with a
//! JSON body or GET with the top-level fields in the query string, over http or https.

use crate::action::stream_options::HttpMethod;
use crate::driver::{tls_client_config, ByteStream, Runtime};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use rustls_pki_types::ServerName;
use serde_json::Value;

/// Sends one status callback and returns the response's status code.
pub(crate) async fn send_status(
    runtime: &dyn Runtime,
    url: &str,
    method: HttpMethod,
    body: &Value,
    extra_ca_pem: Option<&[u8]>,
) -> Result<u16, String> {
    let target = HttpTarget::parse(url)?;
    let tcp = runtime
        .connect_tcp(&target.host, target.port)
        .await
        .map_err(|e| format!("connect {}:{}: {e}", target.host, target.port))?;
    let mut stream: Box<dyn ByteStream> = if target.secure {
        let config = tls_client_config(extra_ca_pem)?;
        let name = ServerName::try_from(target.host.clone()).map_err(|e| e.to_string())?;
        Box::new(
            futures_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?,
        )
    } else {
        tcp
    };
    let request = build_request(&target, method, body);
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.flush().await.map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Only the status line matters; read up to its end, bounded.
    while head.len() < 1024 && !head.ends_with(b"\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad HTTP status line {line:?}"))
}

#[derive(Debug, PartialEq)]
struct HttpTarget {
    secure: bool,
    host: String,
    port: u16,
    path: String,
}

impl HttpTarget {
    fn parse(url: &str) -> Result<Self, String> {
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!("{url:?} is not http(s)"));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
                host.trim_matches(['[', ']']),
                port.parse().map_err(|_| format!("bad port in {url:?}"))?,
            ),
            _ => (authority, if secure { 443 } else { 80 }),
        };
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

fn build_request(target: &HttpTarget, method: HttpMethod, body: &Value) -> String {
    let host = &target.host;
    match method {
        HttpMethod::Get => {
            let query: Vec<String> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, value)| {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{}={}", percent_encode(key), percent_encode(&value))
                })
                .collect();
            let separator = if target.path.contains('?') { '&' } else { '?' };
            format!(
                "GET {}{separator}{} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
                target.path,
                query.join("&")
            )
        }
        _ => {
            let body = body.to_string();
            format!(
                "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                target.path,
                body.len()
            )
        }
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_parse_with_default_ports() {
        let t = HttpTarget::parse("http://127.0.0.1:9000/status?x=1").expect("url");
        assert_eq!(
            (t.secure, t.host.as_str(), t.port),
            (false, "127.0.0.1", 9000)
        );
        assert_eq!(t.path, "/status?x=1");
        let t = HttpTarget::parse("https://example.com").expect("url");
        assert_eq!((t.port, t.path.as_str()), (443, "/"));
        assert!(HttpTarget::parse("ftp://x").is_err());
    }

    #[test]
    fn post_carries_json_and_get_a_query() {
        let target = HttpTarget::parse("http://h:1/cb").expect("url");
        let body = json!({"state": "finished", "n": 2});
        let post = build_request(&target, HttpMethod::Post, &body);
        assert!(post.starts_with("POST /cb HTTP/1.1\r\nHost: h\r\n"));
        assert!(post.ends_with(&body.to_string()));
        let get = build_request(&target, HttpMethod::Get, &body);
        assert!(
            get.starts_with("GET /cb?n=2&state=finished HTTP/1.1\r\n"),
            "{get}"
        );
    }
}
