//! `calling.dial` plans (`docs/CALLING-API.md` [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): serial groups of parallel devices and
//! the dial's options, checked before anything is sent.

use super::call::Device;
use super::devices::{ceil_minutes, device_plan, DeviceGroups};
use crate::error::CommandError;
use serde::Serialize;
use std::time::Duration;

/// An outbound dial plan: groups dialled one after another, the devices of a group at once;
/// the first device to answer wins.
///
/// ```
/// # mod relay_tokio { pub use relay_rs_core::*; } // the runtime crate re-exports these
/// use relay_tokio::{Device, DialPlan};
/// use std::time::Duration;
///
/// // Ring the desk phone for 20 s; then the mobile and the softphone together.
/// let plan = DialPlan::single(Device::phone().from("+15550001111").to("+15550002222").timeout(Duration::from_secs(20)))
///     .then_parallel([
///         Device::phone().from("+15550001111").to("+15550003333").into(),
///         Device::sip("sip:desk@example.com", "sip:alice@example.com").into(),
///     ])
///     .region("us")
///     .max_price_per_minute(0.05);
/// assert_eq!(plan.devices().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DialPlan {
    groups: DeviceGroups,
    region: Option<String>,
    max_price_per_minute: Option<f64>,
    max_duration: Option<Duration>,
    tag: Option<String>,
    timeout: Option<Duration>,
}

/// Where a dial is (`calling.call.dial`'s `dial_state`, [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), as [`Event::DialState`]
/// reports it.
///
/// [`Event::DialState`]: crate::Event::DialState
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialState {
    /// The devices are being rung.
    Dialing,
    /// A device answered: the dial's call is up.
    Answered,
    /// No device answered (busy, no answer, …).
    Failed,
    /// Nothing was answered within the dial's time-out; the legs were cancelled.
    TimedOut,
    /// A state this client does not know, as the service sent it.
    Other(String),
}

impl DialState {
    /// Reads a wire `dial_state`.
    pub fn from_wire(state: &str) -> Self {
        match state {
            "dialing" => DialState::Dialing,
            "answered" => DialState::Answered,
            "failed" => DialState::Failed,
            other => DialState::Other(other.to_owned()),
        }
    }

    /// Whether the dial is over (answered, failed or timed out).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            DialState::Answered | DialState::Failed | DialState::TimedOut
        )
    }
}

device_plan!(DialPlan);

impl DialPlan {
    /// Where to originate the call (`region`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The longest the call may last, sent as the top-level `max_duration` in whole minutes
    /// (rounded up), as both SDKs send it ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) items 1 and 2).
    ///
    /// The server's own schema for `calling.dial` has no `max_duration`, so the service may
    /// ignore it: for a cap that holds, set [`PhoneDevice::max_duration`](crate::PhoneDevice)
    /// (or the sip one) on each device too.
    pub fn max_duration(mut self, max: Duration) -> Self {
        self.max_duration = Some(max);
        self
    }

    /// Chooses the dial's `tag` (default: a new uuid), the correlation id its events carry.
    /// It must not be empty nor name a dial still pending or a connect in progress
    /// ([`CommandError::InvalidDialTag`]).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// How long this dial may wait to be answered before it completes as timed out and its
    /// ringing legs are cancelled (default:
    /// [`EngineConfig::dial_timeout`](crate::EngineConfig::dial_timeout), 120 s as in both
    /// SDKs). Zero is refused.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The tag chosen with [`DialPlan::tag`].
    pub fn get_tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The time-out chosen with [`DialPlan::timeout`].
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Checks the plan and gives the `calling.dial` params other than `tag`, written
    /// straight into the request.
    pub(crate) fn to_params(&self) -> Result<DialParams<'_>, CommandError> {
        self.groups.check()?;
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(CommandError::InvalidOption("dial timeout is zero".into()));
        }
        if let Some(device) = self.groups.connect_only() {
            return Err(CommandError::ConnectOnlyDevice(device.kind().to_owned()));
        }
        if let Some(region) = &self.region {
            super::params::check_nonempty("region", region)?;
        }
        check_price(self.max_price_per_minute)?;
        Ok(DialParams {
            devices: &self.groups,
            region: self.region.as_deref(),
            max_price_per_minute: self.max_price_per_minute,
            max_duration: self.max_duration.map(minutes).transpose()?,
        })
    }
}

/// The `calling.dial` params (the engine adds `tag`): only what is set is written.
#[derive(Debug, Serialize)]
pub(crate) struct DialParams<'a> {
    devices: &'a DeviceGroups,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_price_per_minute: Option<f64>,
    /// Whole minutes ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    max_duration: Option<u64>,
}

/// A price cap must be a finite, non-negative number.
pub(crate) fn check_price(price: Option<f64>) -> Result<(), CommandError> {
    match price {
        Some(p) if !(p.is_finite() && p >= 0.0) => Err(CommandError::InvalidOption(format!(
            "max_price_per_minute {p} is not a price"
        ))),
        _ => Ok(()),
    }
}

/// A top-level `max_duration` in whole minutes; zero is refused.
pub(crate) fn minutes(max: Duration) -> Result<u64, CommandError> {
    if max.is_zero() {
        return Err(CommandError::InvalidOption("max_duration is zero".into()));
    }
    Ok(ceil_minutes(max))
}
