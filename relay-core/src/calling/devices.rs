//! The devices a call reaches (`docs/CALLING-API.md` [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) "Device types"): phone, sip,
//! webrtc and agora for `calling.dial` and `calling.connect`, and the connect-only call, queue
//! and stream; and the serial groups of parallel devices both plans are made of. Each type is
//! its own `params` by derived serde: only set keys are written; reading is tolerant and
//! never fails on a known type with odd params (what cannot be read is left unset).

use super::call_state::CallState;
use super::lenient;
use super::params::check_status_url;
use super::stream::{Codec, StreamOptions};
use super::ActionRequest;
use crate::error::CommandError;
use crate::ids::{CallId, NodeId};
use crate::payload::Payload;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::time::Duration;

mod groups;
pub(crate) use groups::{device_plan, DeviceGroups};

super::wire_enum::wire_enum!(
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

/// Writes a set duration as whole seconds, rounded up.
fn write_secs<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => s.serialize_u64(ceil_secs(*value)),
        None => s.serialize_none(),
    }
}

fn write_states<S: Serializer>(states: &[CallState], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(states.iter().map(CallState::as_wire))
}

fn read_states<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CallState>, D::Error> {
    lenient::strings(d, CallState::from_wire)
}

fn write_codecs<S: Serializer>(codecs: &[CallCodec], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(codecs.iter().map(CallCodec::as_wire))
}

fn read_codecs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CallCodec>, D::Error> {
    lenient::strings(d, CallCodec::from_wire)
}

/// One SIP header as the wire has it, `{name, value}`.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Header<'a> {
    #[serde(borrow, deserialize_with = "lenient::opt_cow")]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient::opt_cow")]
    value: Option<std::borrow::Cow<'a, str>>,
}

fn write_headers<S: Serializer>(headers: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(headers.iter().map(|(name, value)| Header {
        name: Some(name.as_str().into()),
        value: Some(value.as_str().into()),
    }))
}

/// Headers without a string `name` are skipped; a missing value reads as empty.
fn read_headers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    Ok(lenient::list::<D, lenient::ObjectOr<Header<'de>>>(d)?
        .into_iter()
        .filter_map(|header| {
            let header = header.0?;
            Some((
                header.name?.into_owned(),
                header.value.unwrap_or_default().into_owned(),
            ))
        })
        .collect())
}

fn read_node_id<'de, D: Deserializer<'de>>(d: D) -> Result<NodeId, D::Error> {
    lenient::text(d).map(NodeId::new)
}

fn read_call_id<'de, D: Deserializer<'de>>(d: D) -> Result<CallId, D::Error> {
    lenient::text(d).map(CallId::new)
}

fn no_node_id() -> NodeId {
    NodeId::new("")
}

fn no_call_id() -> CallId {
    CallId::new("")
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
/// answer. Written into the device's own `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LegOptions {
    /// HTTP(S) URL that receives the leg's state changes.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub call_state_url: Option<String>,
    /// Which states `call_state_url` hears (`created`, `ringing`, `answered`, `ended`).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "write_states",
        deserialize_with = "read_states"
    )]
    pub call_state_events: Vec<CallState>,
    /// SWML the leg runs once answered, before it is bridged (a URL or the script itself).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub confirm: Option<String>,
}

impl LegOptions {
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

/// A phone number on the PSTN. Its `Serialize` form is its `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhoneDevice {
    /// The calling number, E.164.
    #[serde(deserialize_with = "lenient::text")]
    pub from_number: String,
    /// The called number, E.164.
    #[serde(deserialize_with = "lenient::text")]
    pub to_number: String,
    /// How long to ring (whole seconds on the wire, rounded up).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "write_secs",
        deserialize_with = "lenient::opt_secs"
    )]
    pub timeout: Option<Duration>,
    /// The longest the leg may last (whole seconds on the wire, rounded up).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "write_secs",
        deserialize_with = "lenient::opt_secs"
    )]
    pub max_duration: Option<Duration>,
    /// State webhooks and confirm.
    #[serde(flatten)]
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

    /// Refuses what the service would refuse: a number left out, a zero duration, a
    /// webhook that is not HTTP(S).
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("phone from_number", &self.from_number)?;
        check_text("phone to_number", &self.to_number)?;
        check_positive("phone timeout", self.timeout)?;
        check_positive("phone max_duration", self.max_duration)?;
        self.leg.check()
    }
}
leg_builders!(PhoneDevice);

/// A SIP endpoint. Its `Serialize` form is its `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SipDevice {
    /// The caller, `sip:…`.
    #[serde(deserialize_with = "lenient::text")]
    pub from: String,
    /// The callee, `sip:…`.
    #[serde(deserialize_with = "lenient::text")]
    pub to: String,
    /// The caller's display name.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub from_name: Option<String>,
    /// How long to ring (whole seconds on the wire, rounded up).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "write_secs",
        deserialize_with = "lenient::opt_secs"
    )]
    pub timeout: Option<Duration>,
    /// The longest the leg may last (whole seconds on the wire, rounded up).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "write_secs",
        deserialize_with = "lenient::opt_secs"
    )]
    pub max_duration: Option<Duration>,
    /// Extra SIP headers, as (name, value); `[{name, value}]` on the wire.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "write_headers",
        deserialize_with = "read_headers"
    )]
    pub headers: Vec<(String, String)>,
    /// The codecs to offer.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "write_codecs",
        deserialize_with = "read_codecs"
    )]
    pub codecs: Vec<CallCodec>,
    /// Whether the leg uses WebRTC media.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_bool"
    )]
    pub webrtc_media: Option<bool>,
    /// State webhooks and confirm.
    #[serde(flatten)]
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

    /// Refuses what the service would refuse: an address left out, a zero duration, a
    /// header without a name, a webhook that is not HTTP(S).
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("sip from", &self.from)?;
        check_text("sip to", &self.to)?;
        check_positive("sip timeout", self.timeout)?;
        check_positive("sip max_duration", self.max_duration)?;
        if self.headers.iter().any(|(name, _)| name.trim().is_empty()) {
            return Err(CommandError::InvalidOption(
                "sip header name is empty".into(),
            ));
        }
        self.leg.check()
    }
}
leg_builders!(SipDevice);

/// A WebRTC endpoint (a resource of the space). Its `Serialize` form is its `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WebRtcDevice {
    /// The caller.
    #[serde(deserialize_with = "lenient::text")]
    pub from: String,
    /// The resource to reach.
    #[serde(deserialize_with = "lenient::text")]
    pub to: String,
    /// How long to ring (whole seconds on the wire, rounded up).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "write_secs",
        deserialize_with = "lenient::opt_secs"
    )]
    pub timeout: Option<Duration>,
    /// The codecs to offer.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "write_codecs",
        deserialize_with = "read_codecs"
    )]
    pub codecs: Vec<CallCodec>,
    /// State webhooks and confirm.
    #[serde(flatten)]
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

    /// Refuses an address left out, a zero time-out, a webhook that is not HTTP(S).
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("webrtc from", &self.from)?;
        check_text("webrtc to", &self.to)?;
        check_positive("webrtc timeout", self.timeout)?;
        self.leg.check()
    }
}
leg_builders!(WebRtcDevice);

/// An Agora channel. Its `Serialize` form is its `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AgoraDevice {
    /// The caller.
    #[serde(deserialize_with = "lenient::text")]
    pub from: String,
    /// Who to reach in the channel, if anyone in particular.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub to: Option<String>,
    /// The Agora app id.
    #[serde(deserialize_with = "lenient::text")]
    pub appid: String,
    /// The channel.
    #[serde(deserialize_with = "lenient::text")]
    pub channel: String,
    /// State webhooks and confirm.
    #[serde(flatten)]
    pub leg: LegOptions,
}

impl AgoraDevice {
    /// Who to reach in the channel.
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// Refuses a caller, app id or channel left out, a webhook that is not HTTP(S).
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("agora from", &self.from)?;
        check_text("agora appid", &self.appid)?;
        check_text("agora channel", &self.channel)?;
        self.leg.check()
    }
}
leg_builders!(AgoraDevice);

/// An existing call, to bridge with (connect only). Its `Serialize` form is its `params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallDevice {
    /// Its node.
    #[serde(default = "no_node_id", deserialize_with = "read_node_id")]
    pub node_id: NodeId,
    /// Its id.
    #[serde(default = "no_call_id", deserialize_with = "read_call_id")]
    pub call_id: CallId,
}

impl CallDevice {
    /// Refuses an empty node or call id.
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("call node_id", self.node_id.as_str())?;
        check_text("call call_id", self.call_id.as_str())
    }
}

/// A queue, whose next member is bridged (connect only). Its `Serialize` form is its
/// `params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueDevice {
    /// The node of the queue.
    #[serde(default = "no_node_id", deserialize_with = "read_node_id")]
    pub node_id: NodeId,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub queue_name: String,
    /// Its id, when known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_text"
    )]
    pub queue_id: Option<String>,
}

impl QueueDevice {
    /// The queue's id.
    pub fn queue_id(mut self, id: impl Into<String>) -> Self {
        self.queue_id = Some(id.into());
        self
    }

    /// Refuses an empty node or queue name.
    pub fn check(&self) -> Result<(), CommandError> {
        check_text("queue node_id", self.node_id.as_str())?;
        check_text("queue queue_name", &self.queue_name)
    }
}

/// A WebSocket with two-way audio (connect only): unlike `calling.stream`, the far end may
/// send audio back. Built from the same [`StreamOptions`] as `calling.stream` (its url,
/// name, codec, status webhook, bearer token and custom parameters), plus `realtime`; its
/// `Debug` hides the bearer token, as theirs does. Its `Serialize` form is its `params`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StreamDevice {
    /// What `calling.stream` shares with this device. A `track` or `control_id` has no
    /// meaning here and is refused by [`StreamDevice::check`].
    #[serde(flatten)]
    pub options: StreamOptions,
    /// Real-time pacing of the audio.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_bool"
    )]
    pub realtime: Option<bool>,
}

super::stream::stream_setters!(StreamDevice, options);

impl StreamDevice {
    /// A two-way stream with these options (their url included).
    pub fn new(options: StreamOptions) -> Self {
        Self {
            options,
            realtime: None,
        }
    }

    /// Real-time pacing of the audio.
    pub fn realtime(mut self, on: bool) -> Self {
        self.realtime = Some(on);
        self
    }

    /// The checks of [`StreamOptions`], and those of a two-way stream: it carries PCMU,
    /// PCMA or L16, and has no track nor control id of its own.
    pub fn check(&self) -> Result<(), CommandError> {
        ActionRequest::check(&self.options)?;
        if self.options.track.is_some() {
            return Err(CommandError::InvalidOption(
                "a stream device has no track: it carries both ways".into(),
            ));
        }
        if self.options.control_id.is_some() {
            return Err(CommandError::InvalidOption(
                "a stream device has no control_id: it is not an action".into(),
            ));
        }
        // Two-way streams carry PCMU, PCMA or L16 (stream.mdx "codec"); a free-form value
        // may add a packet time (`PCMU@40i`) but not another codec.
        let wire = self.options.codec.as_ref().map_or("PCMU", Codec::as_wire);
        if !["PCMU", "PCMA", "L16"].iter().any(|c| wire.starts_with(c)) {
            return Err(CommandError::InvalidOption(format!(
                "stream codec {wire} is not PCMU, PCMA or L16"
            )));
        }
        Ok(())
    }
}

/// The device at the far end of a call, or one to reach with `calling.dial` /
/// `calling.connect` ([§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)). Build one with [`Device::phone`], [`Device::sip`], … and `.into()`
/// (plans take `impl Into<Device>`); each type's details are boxed, to keep calls and events
/// small.
///
/// Its serde form is the wire's `{type, params}`: a device read from an event (say
/// `calling.call.receive`) and written into a request is the same JSON.
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
        /// The `params` as sent (`null` when absent); read it with [`Payload::parse`].
        /// Boxed so that a `Device` stays three words: each call's record holds one, and
        /// an unknown type is rare.
        params: Box<Payload>,
    },
}

impl Device {
    /// A phone number to ring, from one of your numbers, each named so they cannot be
    /// swapped: `Device::phone().from("+15550001111").to("+15550002222")
    /// .timeout(Duration::from_secs(20))`. Both numbers are required: a device without one
    /// is refused before anything is sent.
    pub fn phone() -> PhoneDevice {
        PhoneDevice::default()
    }

    /// A SIP endpoint (`sip:…` for both).
    pub fn sip(from: impl Into<String>, to: impl Into<String>) -> SipDevice {
        SipDevice {
            from: from.into(),
            to: to.into(),
            ..SipDevice::default()
        }
    }

    /// A WebRTC resource of the space.
    pub fn webrtc(from: impl Into<String>, to: impl Into<String>) -> WebRtcDevice {
        WebRtcDevice {
            from: from.into(),
            to: to.into(),
            ..WebRtcDevice::default()
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
            appid: appid.into(),
            channel: channel.into(),
            ..AgoraDevice::default()
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

    /// A two-way audio WebSocket (connect only); set its options with the setters of
    /// [`StreamOptions`], or build it from them with [`StreamDevice::new`].
    pub fn stream(url: impl Into<String>) -> StreamDevice {
        StreamDevice::new(StreamOptions::new().url(url))
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
            Device::Phone(d) => d.check(),
            Device::Sip(d) => d.check(),
            Device::WebRtc(d) => d.check(),
            Device::Agora(d) => d.check(),
            Device::Call(d) => d.check(),
            Device::Queue(d) => d.check(),
            Device::Stream(d) => d.check(),
            Device::Other { kind, .. } => check_text("device type", kind),
        }
    }

    /// Reads `{type, params}`; `None` when the value is not an object with a string `type`.
    /// The same reading as its `Deserialize`.
    pub fn from_wire(value: &Value) -> Option<Self> {
        read_device(value).ok().flatten()
    }

    /// The `{type, params}` wire form, with only the keys that are set: its `Serialize`
    /// form as a `Value`.
    pub fn to_wire(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
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

/// `{type, params}`: the type, then the device's own `Serialize` form as params.
impl Serialize for Device {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut wire = s.serialize_struct("Device", 2)?;
        wire.serialize_field("type", self.kind())?;
        match self {
            Device::Phone(d) => wire.serialize_field("params", d)?,
            Device::Sip(d) => wire.serialize_field("params", d)?,
            Device::WebRtc(d) => wire.serialize_field("params", d)?,
            Device::Agora(d) => wire.serialize_field("params", d)?,
            Device::Call(d) => wire.serialize_field("params", d)?,
            Device::Queue(d) => wire.serialize_field("params", d)?,
            Device::Stream(d) => wire.serialize_field("params", d)?,
            Device::Other { params, .. } => wire.serialize_field("params", params)?,
        }
        wire.end()
    }
}

/// Reads `{type, params}` in either order; an object without a string `type` is an error
/// (the crate's `read_device` makes it `None` instead, for peer input).
impl<'de> Deserialize<'de> for Device {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DeviceVisitor)?
            .ok_or_else(|| de::Error::custom("a device needs a string `type`"))
    }
}

/// A `device` member of peer input: `None` for anything that is not an object with a string
/// `type`, never an error (for `#[serde(deserialize_with = …)]` on `Option<Device>`).
pub(crate) fn read_device<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Device>, D::Error> {
    Ok(lenient::ObjectOr::<MaybeDevice>::deserialize(d)?
        .0
        .and_then(|device| device.0))
}

/// A `device` member's JSON text read as [`read_device`] reads it: `None` for anything that
/// is not a device.
pub(crate) fn device_from_text(text: &str) -> Option<Device> {
    // Straight from the text: no `Value` tree for a device read once per call.
    read_device(&mut serde_json::Deserializer::from_str(text))
        .ok()
        .flatten()
}

/// A device, or `None` for an object without a string `type`.
struct MaybeDevice(Option<Device>);

impl<'de> Deserialize<'de> for MaybeDevice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DeviceVisitor).map(MaybeDevice)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Type,
    Params,
    #[serde(other)]
    Other,
}

/// A string `type`, or `None`.
#[derive(Deserialize)]
struct Kind(#[serde(deserialize_with = "lenient::opt_text")] Option<String>);

struct DeviceVisitor;

impl<'de> Visitor<'de> for DeviceVisitor {
    type Value = Option<Device>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a device {type, params}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Device>, A::Error> {
        let mut kind: Option<String> = None;
        let mut device = None;
        // Params that come before the type are kept until the type is known.
        let mut early: Option<Value> = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Type => kind = map.next_value::<Kind>()?.0,
                Field::Params => match &kind {
                    Some(kind) => device = Some(map.next_value_seed(Params(kind))?),
                    None => early = Some(map.next_value()?),
                },
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(kind) = kind else { return Ok(None) };
        match device {
            Some(device) => Ok(Some(device)),
            None => Params(&kind)
                .deserialize(early.unwrap_or(Value::Null))
                .map(Some)
                .map_err(de::Error::custom),
        }
    }
}

/// The `params` of a device of type `.0`.
struct Params<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for Params<'_> {
    type Value = Device;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Device, D::Error> {
        use lenient::object_or_empty as params;
        Ok(match self.0 {
            "phone" => Device::Phone(Box::new(params(d)?)),
            "sip" => Device::Sip(Box::new(params(d)?)),
            "webrtc" => Device::WebRtc(Box::new(params(d)?)),
            "agora" => Device::Agora(Box::new(params(d)?)),
            "call" => Device::Call(Box::new(params(d)?)),
            "queue" => Device::Queue(Box::new(params(d)?)),
            "stream" => Device::Stream(Box::new(params(d)?)),
            // A device type this library does not know is rare: its params are kept as
            // JSON text (through a tree, since they may have been buffered already).
            other => Device::Other {
                kind: other.to_owned(),
                params: Box::new(Payload::from_value(&Value::deserialize(d)?)),
            },
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_of_another_type_keeps_its_params_and_writes_them_back() {
        let wire = serde_json::json!({"type": "fax_machine", "params": {"line": 2, "tone": "x"}});
        let device: Device = serde_json::from_value(wire.clone()).expect("device");
        let Device::Other { kind, params } = &device else {
            panic!("{device:?}")
        };
        assert_eq!(kind, "fax_machine");
        assert_eq!(**params, wire["params"]);
        assert_eq!(serde_json::to_value(&device).expect("json"), wire);
    }
    use serde_json::json;

    #[test]
    fn a_phone_names_both_numbers_and_one_left_out_is_refused() {
        let phone = Device::phone().from("+1").to("+2");
        assert_eq!(
            (phone.from_number.as_str(), phone.to_number.as_str()),
            ("+1", "+2")
        );
        for device in [Device::phone().to("+2"), Device::phone().from("+1")] {
            assert!(matches!(
                Device::from(device).check(),
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

    fn every_device() -> Vec<Device> {
        vec![
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
        ]
    }

    #[test]
    fn every_device_round_trips() {
        for device in every_device() {
            assert_eq!(Device::from_wire(&device.to_wire()), Some(device.clone()));
            let text = serde_json::to_string(&device).expect("serialises");
            assert_eq!(
                serde_json::from_str::<Device>(&text).ok(),
                Some(device.clone())
            );
            assert_eq!(device.check(), Ok(()));
        }
    }

    #[test]
    fn params_may_come_before_the_type() {
        let text = r#"{"params": {"from_number": "+1", "to_number": "+2"}, "type": "phone"}"#;
        let device: Device = serde_json::from_str(text).expect("a device");
        assert_eq!(device, Device::phone().from("+1").to("+2").into());
    }

    #[test]
    fn odd_params_are_read_tolerantly() {
        let odd = json!({"type": "phone", "params": {"to_number": 5, "timeout": "x",
            "call_state_events": ["ended", 3], "confirm": {"a": 1}}});
        let Some(Device::Phone(phone)) = Device::from_wire(&odd) else {
            panic!("a phone")
        };
        assert_eq!(phone.to_number, "");
        assert_eq!(phone.timeout, None);
        assert_eq!(phone.leg.call_state_events, [CallState::Ended]);
        assert_eq!(phone.leg.confirm, None);
        let sip = json!({"type": "sip", "params": {"headers": [{"name": "X"}, 3, {"value": "v"}],
            "codecs": "PCMU", "webrtc_media": "yes"}});
        let Some(Device::Sip(sip)) = Device::from_wire(&sip) else {
            panic!("a sip device")
        };
        assert_eq!(sip.headers, [("X".to_owned(), String::new())]);
        assert!(sip.codecs.is_empty());
        assert_eq!(sip.webrtc_media, None);
        for params in [json!(null), json!([1]), json!("x")] {
            let device = json!({"type": "queue", "params": params});
            assert_eq!(
                Device::from_wire(&device),
                Some(Device::queue("", "").into())
            );
        }
        assert!(Device::from_wire(&json!({"type": 3})).is_none());
        assert!(Device::from_wire(&json!("phone")).is_none());
        let other = json!({"type": "carrier-pigeon", "params": {"x": 1}});
        assert_eq!(Device::from_wire(&other).map(|d| d.to_wire()), Some(other));
    }

    #[test]
    fn a_device_member_of_any_shape_reads_as_none_not_an_error() {
        #[derive(Deserialize)]
        struct Event {
            #[serde(default, deserialize_with = "read_device")]
            device: Option<Device>,
        }
        for device in ["3", "[1]", r#"{"type": 3}"#, "null", r#"{"params": {}}"#] {
            let event: Event =
                serde_json::from_str(&format!(r#"{{"device": {device}}}"#)).expect("read");
            assert_eq!(event.device, None, "{device}");
        }
        let event: Event =
            serde_json::from_str(r#"{"device": {"type": "call", "params": {"call_id": "c"}}}"#)
                .expect("read");
        assert_eq!(event.device, Some(Device::call("", "c").into()));
    }

    #[test]
    fn a_stream_device_has_no_track_nor_control_id() {
        let options = StreamOptions::new().url("wss://a.example");
        let track = StreamDevice::new(options.clone().track(super::super::stream::Track::Both));
        assert!(matches!(track.check(), Err(CommandError::InvalidOption(_))));
        let control = StreamDevice::new(options.control_id("c1"));
        assert!(matches!(
            control.check(),
            Err(CommandError::InvalidOption(_))
        ));
    }

    #[test]
    fn the_stream_token_is_not_in_debug() {
        let device = Device::stream("wss://a.example").authorization_bearer_token("s3cret");
        assert!(!format!("{device:?}").contains("s3cret"));
    }
}
