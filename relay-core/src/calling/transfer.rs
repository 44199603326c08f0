//! `calling.transfer` and `calling.refer` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): handing the call's control elsewhere, and a
//! SIP REFER of a SIP call.

use super::params::{check_status_url, lenient_code, setters};
use super::{invalid, CallCommand};
use crate::error::CommandError;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where `calling.transfer` sends the call ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): `dest`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferDest {
    /// An `https://` URL that returns SWML or cXML.
    Url(String),
    /// An inline SWML script (JSON or YAML text).
    Swml(String),
    /// A RELAY context: the call is offered to the clients receiving it (`context:<name>`).
    Context(String),
}

impl TransferDest {
    /// The `dest` string on the wire.
    pub fn to_wire(&self) -> String {
        match self {
            TransferDest::Url(url) => url.clone(),
            TransferDest::Swml(script) => script.clone(),
            TransferDest::Context(name) => format!("context:{name}"),
        }
    }

    pub(crate) fn check(&self) -> Result<(), CommandError> {
        match self {
            TransferDest::Url(url) if !url.to_ascii_lowercase().starts_with("https://") => {
                invalid(format!("transfer url {url:?} is not https://"))
            }
            TransferDest::Url(url) if url.len() <= "https://".len() => {
                invalid("transfer url has no host")
            }
            TransferDest::Swml(script) if script.trim().is_empty() => {
                invalid("transfer SWML script is empty")
            }
            TransferDest::Context(name) if name.trim().is_empty() || name.contains(':') => {
                invalid(format!("transfer context {name:?} is empty or has a ':'"))
            }
            _ => Ok(()),
        }
    }
}

/// The `dest` string, written straight (see [`TransferDest::to_wire`]).
impl Serialize for TransferDest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TransferDest::Url(text) | TransferDest::Swml(text) => s.serialize_str(text),
            TransferDest::Context(name) => s.collect_str(&format_args!("context:{name}")),
        }
    }
}

/// `calling.transfer`: control of the call moves to `dest`. Once the service accepts it,
/// this client no longer controls the call (see
/// [`Event::CallHandedOver`](crate::Event::CallHandedOver)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Transfer {
    /// Where to.
    pub dest: TransferDest,
}

impl Transfer {
    /// To an `https://` URL returning SWML or cXML.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            dest: TransferDest::Url(url.into()),
        }
    }

    /// To an inline SWML script.
    pub fn swml(script: impl Into<String>) -> Self {
        Self {
            dest: TransferDest::Swml(script.into()),
        }
    }

    /// To the clients receiving a RELAY context.
    pub fn context(name: impl Into<String>) -> Self {
        Self {
            dest: TransferDest::Context(name.into()),
        }
    }
}

impl CallCommand for Transfer {
    fn method(&self) -> &'static str {
        "calling.transfer"
    }

    fn check(&self) -> Result<(), CommandError> {
        self.dest.check()
    }
}

/// The SIP device a call is referred to (`device` of `calling.refer`, type `sip`).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferDevice {
    /// `sip:` or `sips:` URI, required.
    pub to: String,
    /// Digest user for the REFER target.
    pub username: Option<String>,
    /// Digest password for the REFER target.
    pub password: Option<String>,
    /// Extra SIP headers (TS-Gen: an object of name to value).
    pub headers: BTreeMap<String, String>,
}

impl ReferDevice {
    /// Refers to `to` (`sip:…`).
    pub fn new(to: impl Into<String>) -> Self {
        Self {
            to: to.into(),
            ..Self::default()
        }
    }

    /// Digest credentials.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// One more SIP header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

// The password is a secret: only its presence is shown.
impl std::fmt::Debug for ReferDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferDevice")
            .field("to", &self.to)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("headers", &self.headers)
            .finish()
    }
}

/// The wire form `{type: "sip", params: {to, username?, password?, headers?}}`.
impl Serialize for ReferDevice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Params<'a> {
            to: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            username: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            password: Option<&'a str>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            headers: &'a BTreeMap<String, String>,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            params: Params<'a>,
        }
        Wire {
            kind: "sip",
            params: Params {
                to: &self.to,
                username: self.username.as_deref(),
                password: self.password.as_deref(),
                headers: &self.headers,
            },
        }
        .serialize(s)
    }
}

/// `calling.refer`: a SIP REFER (SIP calls only); progress comes as
/// [`CallEvent::Refer`](crate::CallEvent::Refer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Refer {
    /// The target.
    pub device: ReferDevice,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

impl Refer {
    /// Refers the call to `device`.
    pub fn new(device: ReferDevice) -> Self {
        Self {
            device,
            status_url: None,
        }
    }

    setters! {
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
    }
}

impl CallCommand for Refer {
    fn method(&self) -> &'static str {
        "calling.refer"
    }

    fn check(&self) -> Result<(), CommandError> {
        let to = self.device.to.to_ascii_lowercase();
        if !(to.starts_with("sip:") || to.starts_with("sips:")) || to.len() < 5 {
            return invalid(format!(
                "refer target {:?} is not a sip: URI",
                self.device.to
            ));
        }
        if self
            .device
            .headers
            .keys()
            .any(|name| name.trim().is_empty())
        {
            return invalid("a SIP header name is empty");
        }
        check_status_url(&self.status_url)
    }
}

/// `calling.call.refer`: how a SIP REFER goes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReferEvent {
    /// `state` (values undocumented).
    pub state: Option<String>,
    /// `sip_refer_to`: where the call was referred.
    pub sip_refer_to: Option<String>,
    /// `sip_refer_response_code`: the far end's answer to the REFER.
    pub sip_refer_response_code: Option<String>,
    /// `sip_notify_response_code`: the outcome the far end reported by NOTIFY.
    pub sip_notify_response_code: Option<String>,
    /// The event's params.
    pub params: Payload,
}

/// The members of a `calling.call.refer` event, read from its text (SIP codes may come as
/// numbers); each absent when of another type.
#[derive(Default, Deserialize)]
struct ReferView {
    #[serde(default, deserialize_with = "lenient_code")]
    state: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    sip_refer_to: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    sip_refer_response_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_code")]
    sip_notify_response_code: Option<String>,
}

impl ReferEvent {
    /// Reads one event; never fails.
    pub fn from_wire(params: Payload) -> Self {
        let view: ReferView = params.parse().unwrap_or_default();
        Self {
            state: view.state,
            sip_refer_to: view.sip_refer_to,
            sip_refer_response_code: view.sip_refer_response_code,
            sip_notify_response_code: view.sip_notify_response_code,
            params,
        }
    }
}
