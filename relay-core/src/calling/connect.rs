//! `calling.connect` (`docs/CALLING-API.md` [§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the plan that bridges a call to other
//! devices, and the `calling.call.connect` event that reports how the bridge goes.

use super::call::{CallInfo, CallState, Device, Direction};
use super::data::read_text;
use super::devices::{device_plan, DeviceGroups};
use super::dial::{check_price, minutes};
use super::params::check_status_url;
use super::params::lenient_text;
use super::play::PlayMedia;
use super::view::EventView;
use crate::error::CommandError;
use crate::ids::DialTag;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

super::wire_enum::wire_enum!(
    /// The `connect_state` of a `calling.call.connect` event.
    ConnectState {
        /// Ringing the devices of the plan.
        Connecting = "connecting",
        /// Bridged to a peer.
        Connected = "connected",
        /// No device of the plan answered; nothing was bridged.
        Failed = "failed",
        /// The bridge is over; both legs may go on.
        Disconnected = "disconnected",
    }
);

/// Whom to bridge a call to, and how: serial groups of parallel devices ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), what the
/// caller hears meanwhile, and caps.
///
/// ```
/// # mod relay_tokio { pub use relay_rs_core::*; } // the runtime crate re-exports these
/// use relay_tokio::{ConnectPlan, Device, PlayMedia};
/// use std::time::Duration;
///
/// let agent = Device::phone().from("+15550001111").to("+15550002222").timeout(Duration::from_secs(20));
/// let plan = ConnectPlan::single(agent)
///     .then(Device::sip("sip:desk@example.com", "sip:backup@example.com"))
///     .ringback([PlayMedia::ringtone("us")])
///     .max_duration(Duration::from_secs(30 * 60))
///     .tag("sales");
/// assert_eq!(plan.devices().len(), 2);
/// assert_eq!(plan.get_tag(), Some("sales"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectPlan {
    groups: DeviceGroups,
    ringback: Vec<PlayMedia>,
    tag: Option<String>,
    max_duration: Option<Duration>,
    max_price_per_minute: Option<f64>,
    status_url: Option<String>,
}

device_plan!(ConnectPlan);

impl ConnectPlan {
    /// What the caller hears while the devices ring (`ringback`).
    pub fn ringback(mut self, media: impl IntoIterator<Item = PlayMedia>) -> Self {
        self.ringback = media.into_iter().collect();
        self
    }

    /// The tag of the new legs' events; one is made up when unset (the client needs one to
    /// recognise the legs).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The longest the bridge may last: whole minutes on the wire, rounded up ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 2).
    pub fn max_duration(mut self, max: Duration) -> Self {
        self.max_duration = Some(max);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// The tag given to [`ConnectPlan::tag`], if any. Named as `std::process::Command`
    /// names its getters (`get_current_dir`), since the bare name is the builder.
    pub fn get_tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// Checks the plan and gives the `calling.connect` params other than `node_id` and
    /// `call_id` (the engine sets `tag`), written straight into the request.
    pub(crate) fn to_params(&self) -> Result<ConnectParams<'_>, CommandError> {
        self.groups.check()?;
        self.ringback.iter().try_for_each(PlayMedia::check)?;
        check_price(self.max_price_per_minute)?;
        check_status_url(&self.status_url)?;
        if let Some(tag) = &self.tag {
            super::params::check_nonempty("tag", tag)?;
        }
        Ok(ConnectParams {
            devices: &self.groups,
            ringback: &self.ringback,
            tag: None,
            max_duration: self.max_duration.map(minutes).transpose()?,
            max_price_per_minute: self.max_price_per_minute,
            status_url: self.status_url.as_deref(),
        })
    }
}

/// The `calling.connect` params after the call's ids: only what is set is written.
#[derive(Debug, Serialize)]
pub(crate) struct ConnectParams<'a> {
    devices: &'a DeviceGroups,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    ringback: &'a [PlayMedia],
    /// The tag of the new legs, the plan's or one the engine made up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tag: Option<&'a str>,
    /// Whole minutes ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_price_per_minute: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_url: Option<&'a str>,
}

/// One `calling.call.connect` event, typed: the state, and the peer or the failure.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectUpdate {
    /// `connect_state`.
    pub state: ConnectState,
    /// The other leg (on `connecting`, `connected`, `disconnected`), when the event names it.
    pub peer: Option<Arc<CallInfo>>,
    /// Why no device answered (on `failed`).
    pub failed_reason: Option<String>,
    /// The event's `tag`.
    pub tag: Option<DialTag>,
}

/// A borrowed view of a `calling.call.connect` event's data: what the engine routes and
/// judges the bridge by, read in place from the event's text. Every member reads as absent
/// when it is of another type (a connect event is never refused for a stray member); the
/// peer stays text until a call is read from it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConnectView<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub(crate) call_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    connect_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    failed_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    tag: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    peer: Option<&'a RawValue>,
}

impl ConnectUpdate {
    /// Reads an event's params from their text; never fails (params that are not an object
    /// read as empty, a missing state is `Other("")`).
    pub fn from_wire(params: &Payload) -> Self {
        Self::from_view(&params.parse().unwrap_or_default())
    }

    /// The update a view of the event says.
    pub(crate) fn from_view(view: &ConnectView<'_>) -> Self {
        let state = ConnectState::from_wire(view.connect_state.as_deref().unwrap_or_default());
        let peer = view.peer.and_then(|peer| {
            // A peer that is not a call (not an object, ids that are not strings) is none.
            let peer: EventView<'_> = read_text(Some(peer.get())).ok()?;
            let mut info = CallInfo::from_view(&peer)?;
            if info.call_id.as_str().is_empty() || info.node_id.as_str().is_empty() {
                return None;
            }
            // The peer is a leg this call placed; a peer that is bridged is up.
            info.direction = Direction::Outbound;
            if peer.call_state.is_none() {
                info = info.with_state(match state {
                    ConnectState::Connected | ConnectState::Disconnected => CallState::Answered,
                    _ => CallState::Created,
                });
            }
            Some(Arc::new(info))
        });
        Self {
            state,
            peer,
            failed_reason: view.failed_reason.as_deref().map(str::to_owned),
            tag: view.tag.as_deref().map(DialTag::new),
        }
    }
}
