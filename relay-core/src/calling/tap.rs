//! `calling.tap` ([§1.6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): a copy of the call's audio to an RTP or WebSocket endpoint.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, setters};
use super::stream::{check_stream_url, Codec};
use super::{ActionKind, ActionRequest, MediaDirection};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::Serialize;

/// Where the tapped audio goes. Its `Serialize` form is the `{type, params}` wire form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "params", rename_all = "lowercase")]
#[non_exhaustive]
pub enum TapDevice {
    /// RTP to `addr:port`.
    Rtp {
        /// IPv4 address.
        addr: String,
        /// UDP port.
        port: u16,
        /// Codec (`PCMU`, `PCMA`, `OPUS`).
        #[serde(skip_serializing_if = "Option::is_none")]
        codec: Option<Codec>,
        /// Packet time in ms.
        #[serde(skip_serializing_if = "Option::is_none")]
        ptime: Option<u32>,
    },
    /// A WebSocket (`wss://`).
    Ws {
        /// Its URI.
        uri: String,
        /// Codec (`PCMU`, `PCMA`, `OPUS`).
        #[serde(skip_serializing_if = "Option::is_none")]
        codec: Option<Codec>,
        /// Sample rate in Hz.
        #[serde(skip_serializing_if = "Option::is_none")]
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

    /// Refuses an address the service cannot send to.
    fn check(&self) -> Result<(), CommandError> {
        match self {
            TapDevice::Rtp { addr, .. } if addr.parse::<std::net::Ipv4Addr>().is_err() => Err(
                CommandError::InvalidOption(format!("rtp addr {addr:?} is not an IPv4 address")),
            ),
            TapDevice::Rtp { .. } => Ok(()),
            TapDevice::Ws { uri, .. } => check_stream_url(uri, false),
        }
    }
}

/// Options of `calling.tap`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

    setters! {
        /// Which side to tap.
        direction: MediaDirection;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
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
        check_status_url(&self.status_url)?;
        self.device.check()
    }
}

/// The wire form: `tap` (audio, with its direction), `device`, then the status url.
impl Serialize for TapOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct AudioParams {
            #[serde(skip_serializing_if = "Option::is_none")]
            direction: Option<MediaDirection>,
        }
        // The server schema requires `tap.params`: it is always sent, empty when unset.
        #[derive(Serialize)]
        struct Tap {
            #[serde(rename = "type")]
            kind: &'static str,
            params: AudioParams,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            tap: Tap,
            device: &'a TapDevice,
            #[serde(skip_serializing_if = "Option::is_none")]
            status_url: Option<&'a str>,
        }
        Wire {
            tap: Tap {
                kind: "audio",
                params: AudioParams {
                    direction: self.direction,
                },
            },
            device: &self.device,
            status_url: self.status_url.as_deref(),
        }
        .serialize(s)
    }
}

/// How `calling.tap` runs: it ends on `finished`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("tap", TerminalRule::states(&["finished"]))
}
