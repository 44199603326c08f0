//! Typed options of `calling.stream` and their validation.
//!
//! Only options that are set go on the wire; a bad url or an empty token is an error before
//! any frame is sent.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::lenient;
use super::params::{check_status_url, serialize_as_wire};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Which audio of the call a stream carries. Exhaustive: a call has two directions, and
/// `both` covers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Track {
    /// What the caller says (the default).
    #[default]
    Inbound,
    /// What the call plays to the caller.
    Outbound,
    /// Both, interleaved on one connection.
    Both,
}

impl Track {
    /// The `*_track` wire form every wire-level source uses.
    pub fn as_wire(self) -> &'static str {
        match self {
            Track::Inbound => "inbound_track",
            Track::Outbound => "outbound_track",
            Track::Both => "both_tracks",
        }
    }

    /// Reads either the `*_track` form or the short form of the seed's example.
    pub fn from_wire(value: &str) -> Option<Self> {
        match value {
            "inbound_track" | "inbound" => Some(Track::Inbound),
            "outbound_track" | "outbound" => Some(Track::Outbound),
            "both_tracks" | "both" => Some(Track::Both),
            _ => None,
        }
    }
}

/// The audio codec of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law, 8 kHz.
    Pcmu,
    /// G.711 A-law, 8 kHz.
    Pcma,
    /// Opus.
    Opus,
    /// 16-bit linear PCM at 16 kHz (`L16@16000h`; two-way streams).
    L16At16k,
    /// 16-bit linear PCM at 24 kHz (`L16@24000h`; two-way streams).
    L16At24k,
    /// A free-form value such as `L16@16000h` or `PCMU@40i`.
    Custom(String),
}

impl Codec {
    /// The wire form.
    pub fn as_wire(&self) -> &str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::Opus => "OPUS",
            Codec::L16At16k => "L16@16000h",
            Codec::L16At24k => "L16@24000h",
            Codec::Custom(value) => value,
        }
    }

    /// Reads the wire form; anything unknown is `Custom`.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "PCMU" => Codec::Pcmu,
            "PCMA" => Codec::Pcma,
            "OPUS" => Codec::Opus,
            "L16@16000h" => Codec::L16At16k,
            "L16@24000h" => Codec::L16At24k,
            other => Codec::Custom(other.to_owned()),
        }
    }
}

/// The HTTP method of the stream's status callback. Exhaustive: the service takes only
/// these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST` (the service's default)
    #[default]
    Post,
}

impl HttpMethod {
    /// The wire form.
    pub fn as_wire(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// Options of one call audio stream (`calling.stream`); build with the setters, then pass to
/// `stream` (whose url argument fills [`StreamOptions::url`]) or to `Engine::start`. The same
/// options, with `realtime`, make the two-way [`StreamDevice`](crate::StreamDevice) of
/// `calling.connect`.
///
/// Its `Serialize` form is the `calling.stream` params without the ids.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StreamOptions {
    /// The `wss://` URL to stream to.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "lenient::text"
    )]
    pub url: String,
    /// Names one of several concurrent streams; echoed in events.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub name: Option<String>,
    /// The codec; the call's own codec when unset.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "read_codec"
    )]
    pub codec: Option<Codec>,
    /// The track; the service's default (inbound) when unset.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "read_track"
    )]
    pub track: Option<Track>,
    /// HTTP(S) URL for status webhooks.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub status_url: Option<String>,
    /// Method of the status webhook.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "read_method"
    )]
    pub status_url_method: Option<HttpMethod>,
    /// Sent as `Authorization: Bearer …` on the stream's WebSocket handshake.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub authorization_bearer_token: Option<String>,
    /// Delivered in the stream's `start` message.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub custom_parameters: Option<Map<String, Value>>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
    /// Accept a plain `ws://` url on a loopback host (testing only; never sent).
    #[serde(skip)]
    pub allow_insecure_loopback: bool,
}

fn read_codec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Codec>, D::Error> {
    Ok(lenient::opt_cow(d)?.map(|codec| Codec::from_wire(&codec)))
}

fn read_track<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Track>, D::Error> {
    Ok(lenient::opt_cow(d)?.and_then(|track| Track::from_wire(&track)))
}

/// `GET` or `POST` in any case; anything else reads as unset.
fn read_method<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HttpMethod>, D::Error> {
    Ok(lenient::opt_cow(d)?.and_then(|method| {
        if method.eq_ignore_ascii_case("GET") {
            Some(HttpMethod::Get)
        } else if method.eq_ignore_ascii_case("POST") {
            Some(HttpMethod::Post)
        } else {
            None
        }
    }))
}

/// The `calling.stream` params of `options` streaming to `url` (the conference's `stream`
/// object): `url` wins over the options' own.
pub(crate) struct StreamParams<'a> {
    pub(crate) url: &'a str,
    pub(crate) options: &'a StreamOptions,
}

impl Serialize for StreamParams<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.options.url == self.url {
            return self.options.serialize(s);
        }
        self.options.clone().url(self.url).serialize(s)
    }
}

impl std::fmt::Debug for StreamOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamOptions")
            .field("url", &self.url)
            .field("name", &self.name)
            .field("codec", &self.codec)
            .field("track", &self.track)
            .field("status_url", &self.status_url)
            .field("status_url_method", &self.status_url_method)
            .field(
                "authorization_bearer_token",
                &self
                    .authorization_bearer_token
                    .as_ref()
                    .map(|_| "<redacted>"),
            )
            .field("custom_parameters", &self.custom_parameters)
            .field("control_id", &self.control_id)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .finish()
    }
}

/// The setters of what `calling.stream` and the two-way stream device share, written once:
/// on [`StreamOptions`] itself and on a type holding them in a field.
macro_rules! stream_setters {
    ($ty:ty $(, $field:ident)?) => {
        impl $ty {
            /// Sets the `wss://` URL.
            pub fn url(mut self, url: impl Into<String>) -> Self {
                self$(.$field)?.url = url.into();
                self
            }
            /// Sets the stream's name.
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self$(.$field)?.name = Some(name.into());
                self
            }
            /// Sets the codec.
            pub fn codec(mut self, codec: $crate::Codec) -> Self {
                self$(.$field)?.codec = Some(codec);
                self
            }
            /// Sets the status webhook url.
            pub fn status_url(mut self, url: impl Into<String>) -> Self {
                self$(.$field)?.status_url = Some(url.into());
                self
            }
            /// Sets the status webhook method.
            pub fn status_url_method(mut self, method: $crate::HttpMethod) -> Self {
                self$(.$field)?.status_url_method = Some(method);
                self
            }
            /// Sets the bearer token for the stream's WebSocket handshake.
            pub fn authorization_bearer_token(mut self, token: impl Into<String>) -> Self {
                self$(.$field)?.authorization_bearer_token = Some(token.into());
                self
            }
            /// Sets the custom parameters, from any pairs of names and values:
            /// `[("app", "ivr")]`, a `HashMap<String, u32>`, or a `serde_json::Map`.
            pub fn custom_parameters<K, V>(
                mut self,
                params: impl IntoIterator<Item = (K, V)>,
            ) -> Self
            where
                K: Into<String>,
                V: Into<serde_json::Value>,
            {
                self$(.$field)?.custom_parameters = Some(
                    params
                        .into_iter()
                        .map(|(k, v)| (k.into(), v.into()))
                        .collect(),
                );
                self
            }
            /// Adds one custom parameter.
            pub fn custom_parameter(
                mut self,
                key: impl Into<String>,
                value: impl Into<serde_json::Value>,
            ) -> Self {
                self$(.$field)?
                    .custom_parameters
                    .get_or_insert_with(serde_json::Map::new)
                    .insert(key.into(), value.into());
                self
            }
            /// Accepts `ws://` on a loopback host. For tests against a local server only.
            pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
                self$(.$field)?.allow_insecure_loopback = allow;
                self
            }
        }
    };
}
pub(crate) use stream_setters;

stream_setters!(StreamOptions);

impl StreamOptions {
    /// Options with nothing set; the url comes from `stream`'s argument or
    /// [`StreamOptions::url`].
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the track.
    pub fn track(mut self, track: Track) -> Self {
        self.track = Some(track);
        self
    }
    /// Sets the control id instead of a generated one.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }

    /// [`ActionRequest::check`] as if streaming to `url` (the conference's `stream` object,
    /// whose url is its own).
    pub(crate) fn check_to(&self, url: &str) -> Result<(), CommandError> {
        check_stream_url(url, self.allow_insecure_loopback)?;
        self.check_options()
    }

    fn check_options(&self) -> Result<(), CommandError> {
        if let Some(token) = &self.authorization_bearer_token {
            if token.trim().is_empty() {
                return Err(CommandError::EmptyBearerToken);
            }
        }
        check_status_url(&self.status_url)?;
        if let Some(name) = &self.name {
            if name.is_empty() {
                return Err(CommandError::InvalidOption("name is empty".into()));
            }
        }
        Ok(())
    }
}

/// `calling.stream` goes through the engine's one start path, as every action does.
impl ActionRequest for StreamOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Stream
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    /// Checks the url and the options: what the service would refuse is refused here.
    fn check(&self) -> Result<(), CommandError> {
        self.check_to(&self.url)
    }
}

/// Checks that `url` is a `wss://` url with a host (or `ws://` to loopback when allowed).
///
/// Read byte by byte (every delimiter is ASCII): it runs for every stream started, and
/// the string searchers and the lowercased copy of the scheme cost more than the rest of
/// the request.
pub fn check_stream_url(url: &str, allow_insecure_loopback: bool) -> Result<(), CommandError> {
    let invalid = |why: &str| CommandError::InvalidStreamUrl {
        url: url.to_owned(),
        reason: why.to_owned(),
    };
    let bytes = url.as_bytes();
    // The first `://`: at one of the colons.
    let split = (0..bytes.len())
        .filter(|&i| bytes[i] == b':')
        .find(|&i| bytes[i + 1..].starts_with(b"//"))
        .ok_or_else(|| invalid("not an absolute url"))?;
    let (scheme, rest) = (&url[..split], &url[split + 3..]);
    let host = host_of(rest);
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    // In ASCII, whitespace and control characters are the bytes up to the space, and DEL;
    // a url with other characters is read by character.
    let bad_char = match bytes.iter().position(|&b| b <= b' ' || b >= 0x7F) {
        None => false,
        Some(i) if bytes[i] < 0x80 => true,
        Some(_) => url.chars().any(|c| c.is_whitespace() || c.is_control()),
    };
    if bad_char {
        return Err(invalid("contains whitespace"));
    }
    if scheme.eq_ignore_ascii_case("wss") {
        Ok(())
    } else if scheme.eq_ignore_ascii_case("ws") {
        if !allow_insecure_loopback {
            Err(invalid(
                "the service requires wss://; ws:// to loopback needs allow_insecure_loopback(true)",
            ))
        } else if is_loopback_host(host) {
            Ok(())
        } else {
            Err(invalid(
                "ws:// (allow_insecure_loopback) is only allowed to a loopback host",
            ))
        }
    } else {
        Err(invalid("the scheme must be wss://"))
    }
}

/// The host part of `authority/path`, without port or brackets.
fn host_of(rest: &str) -> &str {
    // Every delimiter is ASCII, so each position found is a character boundary.
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    match authority.bytes().position(|b| b == b':') {
        Some(colon) => &authority[..colon],
        None => authority,
    }
}

/// Whether a host names this machine.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

serialize_as_wire!(Codec, Track, HttpMethod);

/// How `calling.stream` runs: it ends on `finished`, and finishing without ever
/// `streaming` is a failure (a URL nobody answers).
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple(
        "stream",
        TerminalRule::States {
            terminal: vec!["finished".into()],
            failures: vec!["error".into(), "failed".into()],
            must_start: true,
        },
    )
    // `streaming` says only the state (its `url` and `name` are the user's own options).
    .without_last_event()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The params as the engine writes them: checked, then serialised.
    fn params(options: &StreamOptions, url: &str) -> Result<Value, CommandError> {
        let options = options.clone().url(url);
        options.check()?;
        Ok(serde_json::to_value(&options).expect("serialises"))
    }
    use serde_json::json;

    #[test]
    fn only_set_options_go_on_the_wire() {
        let params = params(&StreamOptions::new(), "wss://example.com/audio").expect("valid");
        assert_eq!(params, json!({"url": "wss://example.com/audio"}));
    }

    #[test]
    fn every_option_is_written_in_wire_form() {
        let options = StreamOptions::new()
            .name("s1")
            .codec(Codec::Pcma)
            .track(Track::Both)
            .status_url("https://example.com/status")
            .status_url_method(HttpMethod::Get)
            .authorization_bearer_token("tok")
            .custom_parameter("lang", "en");
        let params = params(&options, "wss://example.com").expect("valid");
        assert_eq!(
            params,
            json!({"url": "wss://example.com", "name": "s1", "codec": "PCMA",
                   "track": "both_tracks", "status_url": "https://example.com/status",
                   "status_url_method": "GET", "authorization_bearer_token": "tok",
                   "custom_parameters": {"lang": "en"}})
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_stream_url("wss://a.example/x", false).is_ok());
        assert!(check_stream_url("WSS://a.example", false).is_ok());
        assert!(check_stream_url("ws://a.example", false).is_err());
        assert!(check_stream_url("ws://127.0.0.1:9000/x", false).is_err());
        assert!(check_stream_url("ws://127.0.0.1:9000/x", true).is_ok());
        assert!(check_stream_url("ws://[::1]:9000", true).is_ok());
        assert!(check_stream_url("ws://localhost", true).is_ok());
        assert!(check_stream_url("ws://example.com", true).is_err());
        assert!(check_stream_url("https://a.example", false).is_err());
        assert!(check_stream_url("wss://", false).is_err());
        assert!(check_stream_url("example.com", false).is_err());
        assert!(check_stream_url("wss://a b", false).is_err());
    }

    #[test]
    fn urls_are_read_byte_by_byte_as_they_were_by_characters() {
        let reason = |url: &str, loopback: bool| match check_stream_url(url, loopback) {
            Ok(()) => "ok".to_owned(),
            Err(CommandError::InvalidStreamUrl { reason, .. }) => reason,
            Err(other) => panic!("{other:?}"),
        };
        // Whitespace and control characters, ASCII or not (a vertical tab, DEL, NEL, an
        // em space), anywhere in the url.
        for url in [
            "wss://a.example/x\u{b}",
            "wss://a.example/\u{7f}",
            "wss://a.example/\u{85}",
            "wss://a.example/\u{2003}x",
            "wss://a.example/\tx",
        ] {
            assert_eq!(reason(url, false), "contains whitespace", "{url:?}");
        }
        // Non-ASCII text that is neither is fine, before and after the host.
        assert_eq!(reason("wss://h\u{e9}te.example/\u{e9}", false), "ok");
        // The host: after any user info, before port, path, query or fragment.
        assert_eq!(reason("ws://user:pw@127.0.0.1:9/x", true), "ok");
        assert_eq!(
            reason("ws://127.0.0.1@evil.example/x", true),
            reason("ws://evil.example", true)
        );
        assert_eq!(reason("ws://localhost?x", true), "ok");
        assert_eq!(reason("ws://localhost#x", true), "ok");
        assert_eq!(reason("wss://:443/x", false), "no host");
        assert_eq!(reason("wss://user@/x", false), "no host");
        assert_eq!(reason("wss://[]:1", false), "no host");
        // The first `://` splits; the scheme in any case.
        assert_eq!(reason("wSs://a.example/p://q", false), "ok");
        assert_eq!(
            reason("ftp://a.example", false),
            "the scheme must be wss://"
        );
        assert_eq!(reason("a:b://c", false), "the scheme must be wss://");
        assert_eq!(reason("wss:/a.example", false), "not an absolute url");
        assert_eq!(
            reason("Ws://a.example", false),
            "the service requires wss://; ws:// to loopback needs allow_insecure_loopback(true)"
        );
    }

    #[test]
    fn empty_token_is_refused() {
        let options = StreamOptions::new().authorization_bearer_token(" ");
        let err = params(&options, "wss://a.example").expect_err("empty token");
        assert_eq!(err, CommandError::EmptyBearerToken);
    }

    #[test]
    fn tracks_read_both_forms() {
        for (wire, short, track) in [
            ("inbound_track", "inbound", Track::Inbound),
            ("outbound_track", "outbound", Track::Outbound),
            ("both_tracks", "both", Track::Both),
        ] {
            assert_eq!(Track::from_wire(wire), Some(track));
            assert_eq!(Track::from_wire(short), Some(track));
            assert_eq!(track.as_wire(), wire);
        }
        assert_eq!(Track::from_wire("sideways"), None);
    }

    #[test]
    fn debug_hides_the_token() {
        let options = StreamOptions::new().authorization_bearer_token("s3cret");
        assert!(!format!("{options:?}").contains("s3cret"));
    }
}
