//! `calling.tap` ([§1.6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): a copy of the call's audio to an RTP or WebSocket endpoint.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, Params};
use super::stream::{check_stream_url, Codec};
use super::{ActionKind, ActionRequest, MediaDirection};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde_json::{json, Map, Value};

/// Where the tapped audio goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TapDevice {
    /// RTP to `addr:port`.
    Rtp {
        /// IPv4 address.
        addr: String,
        /// UDP port.
        port: u16,
        /// Codec (`PCMU`, `PCMA`, `OPUS`).
        codec: Option<Codec>,
        /// Packet time in ms.
        ptime: Option<u32>,
    },
    /// A WebSocket (`wss://`).
    Ws {
        /// Its URI.
        uri: String,
        /// Codec (`PCMU`, `PCMA`, `OPUS`).
        codec: Option<Codec>,
        /// Sample rate in Hz.
        rate: Option<u32>,
    },
}

impl TapDevice {
    /// RTP to `addr:port`.
    pub fn rtp(addr: impl Into<String>, port: u16) -> Self {
        TapDevice::Rtp {
            addr: addr.into(),
            port,
            codec: None,
            ptime: None,
        }
    }

    /// A WebSocket.
    pub fn ws(uri: impl Into<String>) -> Self {
        TapDevice::Ws {
            uri: uri.into(),
            codec: None,
            rate: None,
        }
    }

    fn to_wire(&self) -> Result<Value, CommandError> {
        Ok(match self {
            TapDevice::Rtp {
                addr,
                port,
                codec,
                ptime,
            } => {
                if addr.parse::<std::net::Ipv4Addr>().is_err() {
                    return Err(CommandError::InvalidOption(format!(
                        "rtp addr {addr:?} is not an IPv4 address"
                    )));
                }
                let params = Params::new()
                    .set("addr", addr.as_str())
                    .set("port", *port)
                    .opt("codec", &codec.as_ref().map(|c| c.as_wire().to_owned()))
                    .opt("ptime", ptime)
                    .done();
                json!({"type": "rtp", "params": params})
            }
            TapDevice::Ws { uri, codec, rate } => {
                check_stream_url(uri, false)?;
                let params = Params::new()
                    .set("uri", uri.as_str())
                    .opt("codec", &codec.as_ref().map(|c| c.as_wire().to_owned()))
                    .opt("rate", rate)
                    .done();
                json!({"type": "ws", "params": params})
            }
        })
    }
}

/// Options of `calling.tap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapOptions {
    /// Where the audio goes.
    pub device: TapDevice,
    /// Which side to tap; the service's default when unset.
    pub direction: Option<MediaDirection>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    pub control_id: Option<ControlId>,
}

impl TapOptions {
    /// Taps the call's audio to `device`.
    pub fn new(device: TapDevice) -> Self {
        Self {
            device,
            direction: None,
            status_url: None,
            control_id: None,
        }
    }

    /// Which side to tap.
    pub fn direction(mut self, direction: MediaDirection) -> Self {
        self.direction = Some(direction);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// A control id of your own.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl ActionRequest for TapOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Tap
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        self.wire_params().map(drop)
    }
}

impl TapOptions {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
        check_status_url(&self.status_url)?;
        // The server schema requires `tap.params`: it is always sent, empty when unset.
        let tap = json!({"type": "audio",
                         "params": Params::new().opt("direction", &self.direction).done()});
        Ok(Params::new()
            .set("tap", tap)
            .set("device", self.device.to_wire()?)
            .opt("status_url", &self.status_url)
            .done())
    }
}

super::params::serialize_via_map!(TapOptions);

/// How `calling.tap` runs: it ends on `finished`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("tap", TerminalRule::states(&["finished"]))
}
