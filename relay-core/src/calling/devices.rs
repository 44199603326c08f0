//! The devices a call reaches (`docs/CALLING-API.md` [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Device types"): phone, sip,
//! webrtc and agora for `calling.dial` and `calling.connect`, and the connect-only call, queue
//! and stream. Builders write only the keys that are set; reading is tolerant and never fails
//! on a known type with odd params (what cannot be read is left unset).

use super::call::CallState;
use super::params::check_status_url;
use super::stream::{check_stream_url, Codec, HttpMethod};
use crate::error::CommandError;
use crate::ids::{CallId, NodeId};
use serde_json::{json, Map, Value};
use std::time::Duration;

super::call::wire_enum!(
    /// A media codec a sip or webrtc leg may offer ([§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    CallCodec {
        /// G.711 µ-law.
        Pcmu = "PCMU",
        /// G.711 A-law.
        Pcma = "PCMA",
        /// Opus.
        Opus = "OPUS",
        /// G.729.
        G729 = "G729",
        /// G.722.
        G722 = "G722",
        /// VP8 video.
        Vp8 = "VP8",
        /// H.264 video.
        H264 = "H264",
    }
);

/// Whole seconds, rounded up: a device's `timeout` and `max_duration` are seconds on the
/// wire ([§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Units"), and a fraction must not shorten what was asked for.
pub(crate) fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Whole minutes, rounded up: the top-level `max_duration` of dial and connect ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 2).
pub(crate) fn ceil_minutes(duration: Duration) -> u64 {
    ceil_secs(duration).div_ceil(60)
}

/// Reads a non-negative number of seconds (integer or float).
fn read_secs(params: &Value, key: &str) -> Option<Duration> {
    let secs = params.get(key)?.as_f64()?;
    (secs.is_finite() && (0.0..=crate::config::LONGEST_DURATION.as_secs_f64()).contains(&secs))
        .then(|| Duration::from_secs_f64(secs))
}

fn read_text(params: &Value, key: &str) -> Option<String> {
    params.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn text_or_empty(params: &Value, key: &str) -> String {
    read_text(params, key).unwrap_or_default()
}

/// Refuses a zero duration: "ring for no time" or "last no time" is never what is meant.
fn check_positive(what: &str, value: Option<Duration>) -> Result<(), CommandError> {
    if value.is_some_and(|d| d.is_zero()) {
        return Err(CommandError::InvalidOption(format!("{what} is zero")));
    }
    Ok(())
}

fn check_text(what: &str, value: &str) -> Result<(), CommandError> {
    super::params::check_nonempty(what, value)
}

/// What a phone, sip, webrtc or agora leg shares: its state webhooks and the SWML it runs on
/// answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegOptions {
    /// HTTP(S) URL that receives the leg's state changes.
    pub call_state_url: Option<String>,
    /// Which states `call_state_url` hears (`created`, `ringing`, `answered`, `ended`).
    pub call_state_events: Vec<CallState>,
    /// SWML the leg runs once answered, before it is bridged (a URL or the script itself).
    pub confirm: Option<String>,
}

impl LegOptions {
    fn read(params: &Value) -> Self {
        Self {
            call_state_url: read_text(params, "call_state_url"),
            call_state_events: params
                .get("call_state_events")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(CallState::from_wire)
                        .collect()
                })
                .unwrap_or_default(),
            confirm: read_text(params, "confirm"),
        }
    }

    fn write(&self, params: &mut Map<String, Value>) {
        if let Some(url) = &self.call_state_url {
            params.insert("call_state_url".into(), url.as_str().into());
        }
        if !self.call_state_events.is_empty() {
            let events: Vec<&str> = self.call_state_events.iter().map(|s| s.as_wire()).collect();
            params.insert("call_state_events".into(), json!(events));
        }
        if let Some(confirm) = &self.confirm {
            params.insert("confirm".into(), confirm.as_str().into());
        }
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.call_state_url)?;
        if let Some(confirm) = &self.confirm {
            check_text("confirm", confirm)?;
        }
        Ok(())
    }
}

/// The builder methods every device with [`LegOptions`] has.
macro_rules! leg_builders {
    ($ty:ident) => {
        impl $ty {
            /// Sends the leg's state changes to this HTTP(S) URL.
            pub fn call_state_url(mut self, url: impl Into<String>) -> Self {
                self.leg.call_state_url = Some(url.into());
                self
            }

            /// The states `call_state_url` hears.
            pub fn call_state_events(
                mut self,
                states: impl IntoIterator<Item = CallState>,
            ) -> Self {
                self.leg.call_state_events = states.into_iter().collect();
                self
            }

            /// SWML (a URL or the script) the leg runs once answered, before it is bridged.
            pub fn confirm(mut self, swml: impl Into<String>) -> Self {
                self.leg.confirm = Some(swml.into());
                self
            }
        }
    };
}

fn write_secs(params: &mut Map<String, Value>, key: &str, value: Option<Duration>) {
    if let Some(value) = value {
        params.insert(key.into(), json!(ceil_secs(value)));
    }
}

/// A phone number on the PSTN.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PhoneDevice {
    /// The calling number, E.164.
    pub from_number: String,
    /// The called number, E.164.
    pub to_number: String,
    /// How long to ring (whole seconds on the wire, rounded up).
    pub timeout: Option<Duration>,
    /// The longest the leg may last (whole seconds on the wire, rounded up).
    pub max_duration: Option<Duration>,
    /// State webhooks and confirm.
    pub leg: LegOptions,
}

impl PhoneDevice {
    /// The calling number (one of yours), E.164.
    pub fn from(mut self, number: impl Into<String>) -> Self {
        self.from_number = number.into();
        self
    }

    /// The number to ring, E.164.
    pub fn to(mut self, number: impl Into<String>) -> Self {
        self.to_number = number.into();
        self
    }

    /// How long to ring before giving up.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest the leg may last.
    pub fn max_duration(mut self, max: Duration) -> Self {
        self.max_duration = Some(max);
        self
    }
}
leg_builders!(PhoneDevice);

/// A SIP endpoint.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SipDevice {
    /// The caller, `sip:…`.
    pub from: String,
    /// The callee, `sip:…`.
    pub to: String,
    /// The caller's display name.
    pub from_name: Option<String>,
    /// How long to ring (whole seconds on the wire, rounded up).
    pub timeout: Option<Duration>,
    /// The longest the leg may last (whole seconds on the wire, rounded up).
    pub max_duration: Option<Duration>,
    /// Extra SIP headers, as (name, value).
    pub headers: Vec<(String, String)>,
    /// The codecs to offer.
    pub codecs: Vec<CallCodec>,
    /// Whether the leg uses WebRTC media.
    pub webrtc_media: Option<bool>,
    /// State webhooks and confirm.
    pub leg: LegOptions,
}

impl SipDevice {
    /// The caller's display name.
    pub fn from_name(mut self, name: impl Into<String>) -> Self {
        self.from_name = Some(name.into());
        self
    }

    /// How long to ring before giving up.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest the leg may last.
    pub fn max_duration(mut self, max: Duration) -> Self {
        self.max_duration = Some(max);
        self
    }

    /// Adds a SIP header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The codecs to offer.
    pub fn codecs(mut self, codecs: impl IntoIterator<Item = CallCodec>) -> Self {
        self.codecs = codecs.into_iter().collect();
        self
    }

    /// Whether the leg uses WebRTC media.
    pub fn webrtc_media(mut self, on: bool) -> Self {
        self.webrtc_media = Some(on);
        self
    }
}
leg_builders!(SipDevice);

/// A WebRTC endpoint (a resource of the space).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebRtcDevice {
    /// The caller.
    pub from: String,
    /// The resource to reach.
    pub to: String,
    /// How long to ring (whole seconds on the wire, rounded up).
    pub timeout: Option<Duration>,
    /// The codecs to offer.
    pub codecs: Vec<CallCodec>,
    /// State webhooks and confirm.
    pub leg: LegOptions,
}

impl WebRtcDevice {
    /// How long to ring before giving up.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The codecs to offer.
    pub fn codecs(mut self, codecs: impl IntoIterator<Item = CallCodec>) -> Self {
        self.codecs = codecs.into_iter().collect();
        self
    }
}
leg_builders!(WebRtcDevice);

/// An Agora channel.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AgoraDevice {
    /// The caller.
    pub from: String,
    /// Who to reach in the channel, if anyone in particular.
    pub to: Option<String>,
    /// The Agora app id.
    pub appid: String,
    /// The channel.
    pub channel: String,
    /// State webhooks and confirm.
    pub leg: LegOptions,
}

impl AgoraDevice {
    /// Who to reach in the channel.
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }
}
leg_builders!(AgoraDevice);

/// An existing call, to bridge with (connect only).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallDevice {
    /// Its node.
    pub node_id: NodeId,
    /// Its id.
    pub call_id: CallId,
}

/// A queue, whose next member is bridged (connect only).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueDevice {
    /// The node of the queue.
    pub node_id: NodeId,
    /// Its name.
    pub queue_name: String,
    /// Its id, when known.
    pub queue_id: Option<String>,
}

impl QueueDevice {
    /// The queue's id.
    pub fn queue_id(mut self, id: impl Into<String>) -> Self {
        self.queue_id = Some(id.into());
        self
    }
}

/// A WebSocket with two-way audio (connect only): unlike `calling.stream`, the far end may
/// send audio back. Its `Debug` hides the bearer token.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamDevice {
    /// `wss://` URL.
    pub url: String,
    /// A name echoed in events.
    pub name: Option<String>,
    /// The codec.
    pub codec: Option<Codec>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
    /// The status webhook's method.
    pub status_url_method: Option<HttpMethod>,
    /// Real-time pacing of the audio.
    pub realtime: Option<bool>,
    /// Sent as `Authorization: Bearer …` on the WebSocket handshake.
    pub authorization_bearer_token: Option<String>,
    /// Delivered in the stream's `start` message.
    pub custom_parameters: Map<String, Value>,
    /// Accept `ws://` to a loopback host (tests only; never sent).
    pub allow_insecure_loopback: bool,
}

impl std::fmt::Debug for StreamDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = self
            .authorization_bearer_token
            .as_ref()
            .map(|_| "<redacted>");
        f.debug_struct("StreamDevice")
            .field("url", &self.url)
            .field("name", &self.name)
            .field("codec", &self.codec)
            .field("status_url", &self.status_url)
            .field("status_url_method", &self.status_url_method)
            .field("realtime", &self.realtime)
            .field("authorization_bearer_token", &token)
            .field("custom_parameters", &self.custom_parameters)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .finish()
    }
}

impl StreamDevice {
    /// A name echoed in events.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The codec.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = Some(codec);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// The status webhook's method.
    pub fn status_url_method(mut self, method: HttpMethod) -> Self {
        self.status_url_method = Some(method);
        self
    }

    /// Real-time pacing of the audio.
    pub fn realtime(mut self, on: bool) -> Self {
        self.realtime = Some(on);
        self
    }

    /// A bearer token for the handshake.
    pub fn authorization_bearer_token(mut self, token: impl Into<String>) -> Self {
        self.authorization_bearer_token = Some(token.into());
        self
    }

    /// One custom parameter.
    pub fn custom_parameter(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.custom_parameters.insert(key.into(), value.into());
        self
    }

    /// Accept `ws://` to a loopback host (tests).
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }
}

/// The device at the far end of a call, or one to reach with `calling.dial` /
/// `calling.connect` ([§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)). Build one with [`Device::phone`], [`Device::sip`], … and `.into()`
/// (plans take `impl Into<Device>`); each type's details are boxed, to keep calls and events
/// small.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Device {
    /// A phone number.
    Phone(Box<PhoneDevice>),
    /// A SIP endpoint.
    Sip(Box<SipDevice>),
    /// A WebRTC resource.
    WebRtc(Box<WebRtcDevice>),
    /// An Agora channel.
    Agora(Box<AgoraDevice>),
    /// An existing call (connect only).
    Call(Box<CallDevice>),
    /// A queue (connect only).
    Queue(Box<QueueDevice>),
    /// A two-way audio WebSocket (connect only).
    Stream(Box<StreamDevice>),
    /// Any other device type, kept as sent.
    Other {
        /// The `type` field.
        kind: String,
        /// The `params` object.
        params: Value,
    },
}

impl Device {
    /// A phone number to ring, from one of your numbers, each named so they cannot be
    /// swapped: `Device::phone().from("+15550001111").to("+15550002222")
    /// .timeout(Duration::from_secs(20))`. Both numbers are required: a device without one
    /// is refused before anything is sent.
    pub fn phone() -> PhoneDevice {
        PhoneDevice {
            from_number: String::new(),
            to_number: String::new(),
            timeout: None,
            max_duration: None,
            leg: LegOptions::default(),
        }
    }

    /// A SIP endpoint (`sip:…` for both).
    pub fn sip(from: impl Into<String>, to: impl Into<String>) -> SipDevice {
        SipDevice {
            from: from.into(),
            to: to.into(),
            from_name: None,
            timeout: None,
            max_duration: None,
            headers: Vec::new(),
            codecs: Vec::new(),
            webrtc_media: None,
            leg: LegOptions::default(),
        }
    }

    /// A WebRTC resource of the space.
    pub fn webrtc(from: impl Into<String>, to: impl Into<String>) -> WebRtcDevice {
        WebRtcDevice {
            from: from.into(),
            to: to.into(),
            timeout: None,
            codecs: Vec::new(),
            leg: LegOptions::default(),
        }
    }

    /// An Agora channel of an app.
    pub fn agora(
        from: impl Into<String>,
        appid: impl Into<String>,
        channel: impl Into<String>,
    ) -> AgoraDevice {
        AgoraDevice {
            from: from.into(),
            to: None,
            appid: appid.into(),
            channel: channel.into(),
            leg: LegOptions::default(),
        }
    }

    /// An existing call (connect only).
    pub fn call(node_id: impl Into<NodeId>, call_id: impl Into<CallId>) -> CallDevice {
        CallDevice {
            node_id: node_id.into(),
            call_id: call_id.into(),
        }
    }

    /// A queue by name (connect only).
    pub fn queue(node_id: impl Into<NodeId>, queue_name: impl Into<String>) -> QueueDevice {
        QueueDevice {
            node_id: node_id.into(),
            queue_name: queue_name.into(),
            queue_id: None,
        }
    }

    /// A two-way audio WebSocket (connect only).
    pub fn stream(url: impl Into<String>) -> StreamDevice {
        StreamDevice {
            url: url.into(),
            name: None,
            codec: None,
            status_url: None,
            status_url_method: None,
            realtime: None,
            authorization_bearer_token: None,
            custom_parameters: Map::new(),
            allow_insecure_loopback: false,
        }
    }

    /// The wire `type`.
    pub fn kind(&self) -> &str {
        match self {
            Device::Phone(_) => "phone",
            Device::Sip(_) => "sip",
            Device::WebRtc(_) => "webrtc",
            Device::Agora(_) => "agora",
            Device::Call(_) => "call",
            Device::Queue(_) => "queue",
            Device::Stream(_) => "stream",
            Device::Other { kind, .. } => kind,
        }
    }

    /// Whether only `calling.connect` takes this device (call, queue, stream; [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    pub fn is_connect_only(&self) -> bool {
        matches!(self, Device::Call(_) | Device::Queue(_) | Device::Stream(_))
    }

    /// Refuses a device the service would refuse: empty addresses, zero durations, a
    /// webhook that is not HTTP(S), a stream URL that is not `wss://`.
    pub fn check(&self) -> Result<(), CommandError> {
        match self {
            Device::Phone(d) => {
                check_text("phone from_number", &d.from_number)?;
                check_text("phone to_number", &d.to_number)?;
                check_positive("phone timeout", d.timeout)?;
                check_positive("phone max_duration", d.max_duration)?;
                d.leg.check()
            }
            Device::Sip(d) => {
                check_text("sip from", &d.from)?;
                check_text("sip to", &d.to)?;
                check_positive("sip timeout", d.timeout)?;
                check_positive("sip max_duration", d.max_duration)?;
                if d.headers.iter().any(|(name, _)| name.trim().is_empty()) {
                    return Err(CommandError::InvalidOption(
                        "sip header name is empty".into(),
                    ));
                }
                d.leg.check()
            }
            Device::WebRtc(d) => {
                check_text("webrtc from", &d.from)?;
                check_text("webrtc to", &d.to)?;
                check_positive("webrtc timeout", d.timeout)?;
                d.leg.check()
            }
            Device::Agora(d) => {
                check_text("agora from", &d.from)?;
                check_text("agora appid", &d.appid)?;
                check_text("agora channel", &d.channel)?;
                d.leg.check()
            }
            Device::Call(d) => {
                check_text("call node_id", d.node_id.as_str())?;
                check_text("call call_id", d.call_id.as_str())
            }
            Device::Queue(d) => {
                check_text("queue node_id", d.node_id.as_str())?;
                check_text("queue queue_name", &d.queue_name)
            }
            Device::Stream(d) => {
                check_stream_url(&d.url, d.allow_insecure_loopback)?;
                check_status_url(&d.status_url)?;
                if d.authorization_bearer_token
                    .as_ref()
                    .is_some_and(|t| t.trim().is_empty())
                {
                    return Err(CommandError::EmptyBearerToken);
                }
                // Two-way streams carry PCMU, PCMA or L16 (stream.mdx "codec"); a free-form
                // value may add a packet time (`PCMU@40i`) but not another codec.
                let wire = d.codec.as_ref().map_or("PCMU", Codec::as_wire);
                if !["PCMU", "PCMA", "L16"].iter().any(|c| wire.starts_with(c)) {
                    return Err(CommandError::InvalidOption(format!(
                        "stream codec {wire} is not PCMU, PCMA or L16"
                    )));
                }
                Ok(())
            }
            Device::Other { kind, .. } => check_text("device type", kind),
        }
    }

    /// Reads `{type, params}`; `None` when the value is not an object with a string `type`.
    pub fn from_wire(value: &Value) -> Option<Self> {
        let kind = value.get("type")?.as_str()?;
        let params = value.get("params").cloned().unwrap_or(Value::Null);
        let p = &params;
        let codecs = |p: &Value| -> Vec<CallCodec> {
            p.get("codecs")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(CallCodec::from_wire)
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(match kind {
            "phone" => Device::Phone(Box::new(PhoneDevice {
                from_number: text_or_empty(p, "from_number"),
                to_number: text_or_empty(p, "to_number"),
                timeout: read_secs(p, "timeout"),
                max_duration: read_secs(p, "max_duration"),
                leg: LegOptions::read(p),
            })),
            "sip" => Device::Sip(Box::new(SipDevice {
                from: text_or_empty(p, "from"),
                to: text_or_empty(p, "to"),
                from_name: read_text(p, "from_name"),
                timeout: read_secs(p, "timeout"),
                max_duration: read_secs(p, "max_duration"),
                headers: p
                    .get("headers")
                    .and_then(Value::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(|h| {
                                Some((read_text(h, "name")?, text_or_empty(h, "value")))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                codecs: codecs(p),
                webrtc_media: p.get("webrtc_media").and_then(Value::as_bool),
                leg: LegOptions::read(p),
            })),
            "webrtc" => Device::WebRtc(Box::new(WebRtcDevice {
                from: text_or_empty(p, "from"),
                to: text_or_empty(p, "to"),
                timeout: read_secs(p, "timeout"),
                codecs: codecs(p),
                leg: LegOptions::read(p),
            })),
            "agora" => Device::Agora(Box::new(AgoraDevice {
                from: text_or_empty(p, "from"),
                to: read_text(p, "to"),
                appid: text_or_empty(p, "appid"),
                channel: text_or_empty(p, "channel"),
                leg: LegOptions::read(p),
            })),
            "call" => Device::Call(Box::new(CallDevice {
                node_id: NodeId::new(text_or_empty(p, "node_id")),
                call_id: CallId::new(text_or_empty(p, "call_id")),
            })),
            "queue" => Device::Queue(Box::new(QueueDevice {
                node_id: NodeId::new(text_or_empty(p, "node_id")),
                queue_name: text_or_empty(p, "queue_name"),
                queue_id: read_text(p, "queue_id"),
            })),
            "stream" => Device::Stream(Box::new(StreamDevice {
                url: text_or_empty(p, "url"),
                name: read_text(p, "name"),
                codec: read_text(p, "codec").map(|c| Codec::from_wire(&c)),
                status_url: read_text(p, "status_url"),
                status_url_method: read_text(p, "status_url_method").and_then(|m| {
                    match m.to_ascii_uppercase().as_str() {
                        "GET" => Some(HttpMethod::Get),
                        "POST" => Some(HttpMethod::Post),
                        _ => None,
                    }
                }),
                realtime: p.get("realtime").and_then(Value::as_bool),
                authorization_bearer_token: read_text(p, "authorization_bearer_token"),
                custom_parameters: p
                    .get("custom_parameters")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
                allow_insecure_loopback: false,
            })),
            _ => Device::Other {
                kind: kind.to_owned(),
                params,
            },
        })
    }

    /// The `{type, params}` wire form, with only the keys that are set.
    pub fn to_wire(&self) -> Value {
        let mut params = Map::new();
        let codecs = |params: &mut Map<String, Value>, codecs: &[CallCodec]| {
            if !codecs.is_empty() {
                let list: Vec<&str> = codecs.iter().map(CallCodec::as_wire).collect();
                params.insert("codecs".into(), json!(list));
            }
        };
        match self {
            Device::Phone(d) => {
                params.insert("from_number".into(), d.from_number.as_str().into());
                params.insert("to_number".into(), d.to_number.as_str().into());
                write_secs(&mut params, "timeout", d.timeout);
                write_secs(&mut params, "max_duration", d.max_duration);
                d.leg.write(&mut params);
            }
            Device::Sip(d) => {
                params.insert("from".into(), d.from.as_str().into());
                params.insert("to".into(), d.to.as_str().into());
                if let Some(name) = &d.from_name {
                    params.insert("from_name".into(), name.as_str().into());
                }
                write_secs(&mut params, "timeout", d.timeout);
                write_secs(&mut params, "max_duration", d.max_duration);
                if !d.headers.is_empty() {
                    let headers: Vec<Value> = d
                        .headers
                        .iter()
                        .map(|(name, value)| json!({"name": name, "value": value}))
                        .collect();
                    params.insert("headers".into(), Value::Array(headers));
                }
                codecs(&mut params, &d.codecs);
                if let Some(on) = d.webrtc_media {
                    params.insert("webrtc_media".into(), on.into());
                }
                d.leg.write(&mut params);
            }
            Device::WebRtc(d) => {
                params.insert("from".into(), d.from.as_str().into());
                params.insert("to".into(), d.to.as_str().into());
                write_secs(&mut params, "timeout", d.timeout);
                codecs(&mut params, &d.codecs);
                d.leg.write(&mut params);
            }
            Device::Agora(d) => {
                params.insert("from".into(), d.from.as_str().into());
                if let Some(to) = &d.to {
                    params.insert("to".into(), to.as_str().into());
                }
                params.insert("appid".into(), d.appid.as_str().into());
                params.insert("channel".into(), d.channel.as_str().into());
                d.leg.write(&mut params);
            }
            Device::Call(d) => {
                params.insert("node_id".into(), d.node_id.as_str().into());
                params.insert("call_id".into(), d.call_id.as_str().into());
            }
            Device::Queue(d) => {
                params.insert("node_id".into(), d.node_id.as_str().into());
                params.insert("queue_name".into(), d.queue_name.as_str().into());
                if let Some(id) = &d.queue_id {
                    params.insert("queue_id".into(), id.as_str().into());
                }
            }
            Device::Stream(d) => {
                params.insert("url".into(), d.url.as_str().into());
                if let Some(name) = &d.name {
                    params.insert("name".into(), name.as_str().into());
                }
                if let Some(codec) = &d.codec {
                    params.insert("codec".into(), codec.as_wire().into());
                }
                if let Some(url) = &d.status_url {
                    params.insert("status_url".into(), url.as_str().into());
                }
                if let Some(method) = d.status_url_method {
                    params.insert("status_url_method".into(), method.as_wire().into());
                }
                if let Some(on) = d.realtime {
                    params.insert("realtime".into(), on.into());
                }
                if let Some(token) = &d.authorization_bearer_token {
                    params.insert("authorization_bearer_token".into(), token.as_str().into());
                }
                if !d.custom_parameters.is_empty() {
                    params.insert(
                        "custom_parameters".into(),
                        Value::Object(d.custom_parameters.clone()),
                    );
                }
            }
            Device::Other { kind, params } => return json!({"type": kind, "params": params}),
        }
        json!({"type": self.kind(), "params": params})
    }

    /// The calling number of a phone device.
    pub fn from_number(&self) -> Option<&str> {
        match self {
            Device::Phone(d) => Some(&d.from_number),
            _ => None,
        }
    }

    /// The called number of a phone device.
    pub fn to_number(&self) -> Option<&str> {
        match self {
            Device::Phone(d) => Some(&d.to_number),
            _ => None,
        }
    }
}

macro_rules! into_device {
    ($($ty:ident => $variant:ident),* $(,)?) => {
        $(impl From<$ty> for Device {
            fn from(device: $ty) -> Self {
                Device::$variant(Box::new(device))
            }
        })*
    };
}

into_device!(
    PhoneDevice => Phone,
    SipDevice => Sip,
    WebRtcDevice => WebRtc,
    AgoraDevice => Agora,
    CallDevice => Call,
    QueueDevice => Queue,
    StreamDevice => Stream,
);

/// Serial groups of parallel devices, shared by dial and connect plans ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the outer list
/// is tried one group after another, the devices of a group ring at once.
pub(crate) fn groups_to_wire(groups: &[Vec<Device>]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|group| Value::Array(group.iter().map(Device::to_wire).collect()))
            .collect(),
    )
}

/// Checks a plan: at least one device, no empty group, each device valid.
pub(crate) fn check_groups(groups: &[Vec<Device>]) -> Result<(), CommandError> {
    if groups.is_empty() || groups.iter().all(Vec::is_empty) {
        return Err(CommandError::InvalidOption("the plan has no device".into()));
    }
    if groups.iter().any(Vec::is_empty) {
        return Err(CommandError::InvalidOption(
            "the plan has an empty group".into(),
        ));
    }
    groups.iter().flatten().try_for_each(Device::check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_names_both_numbers_and_one_left_out_is_refused() {
        let phone = Device::phone().from("+1").to("+2");
        assert_eq!(
            (phone.from_number.as_str(), phone.to_number.as_str()),
            ("+1", "+2")
        );
        for device in [Device::phone().to("+2"), Device::phone().from("+1")] {
            assert!(matches!(
                check_groups(&[vec![Device::Phone(Box::new(device))]]),
                Err(CommandError::InvalidOption(_))
            ));
        }
    }

    #[test]
    fn durations_round_up() {
        assert_eq!(ceil_secs(Duration::from_millis(1500)), 2);
        assert_eq!(ceil_secs(Duration::from_secs(30)), 30);
        assert_eq!(ceil_minutes(Duration::from_secs(60)), 1);
        assert_eq!(ceil_minutes(Duration::from_secs(61)), 2);
        assert_eq!(ceil_minutes(Duration::from_millis(1)), 1);
    }

    #[test]
    fn every_device_round_trips() {
        let devices: Vec<Device> = vec![
            Device::phone()
                .from("+1")
                .to("+2")
                .timeout(Duration::from_secs(30))
                .max_duration(Duration::from_secs(600))
                .call_state_url("https://hooks.example/state")
                .call_state_events([CallState::Ringing, CallState::Ended])
                .confirm("https://swml.example/confirm")
                .into(),
            Device::sip("sip:a@x", "sip:b@y")
                .from_name("A")
                .header("X-One", "1")
                .codecs([CallCodec::Opus, CallCodec::Pcmu])
                .webrtc_media(true)
                .into(),
            Device::webrtc("+1", "room").codecs([CallCodec::Vp8]).into(),
            Device::agora("+1", "app", "chan").to("bob").into(),
            Device::call("n1", "c1").into(),
            Device::queue("n1", "support").queue_id("q1").into(),
            Device::stream("wss://a.example/s")
                .name("s")
                .codec(Codec::Pcmu)
                .realtime(true)
                .custom_parameter("k", 1)
                .into(),
        ];
        for device in devices {
            assert_eq!(Device::from_wire(&device.to_wire()), Some(device.clone()));
            assert_eq!(device.check(), Ok(()));
        }
    }

    #[test]
    fn odd_params_are_read_tolerantly() {
        let odd = json!({"type": "phone", "params": {"to_number": 5, "timeout": "x"}});
        let Some(Device::Phone(phone)) = Device::from_wire(&odd) else {
            panic!("a phone")
        };
        assert_eq!(phone.to_number, "");
        assert_eq!(phone.timeout, None);
        assert!(Device::from_wire(&json!({"type": 3})).is_none());
        let other = json!({"type": "carrier-pigeon", "params": {"x": 1}});
        assert_eq!(Device::from_wire(&other).map(|d| d.to_wire()), Some(other));
    }
}
