//! `calling.dial` plans (`docs/CALLING-API.md` §2.3): serial groups of parallel devices and
//! the dial's options, checked before anything is sent.

use super::call::Device;
use super::devices::{ceil_minutes, check_groups, groups_to_wire};
use crate::error::CommandError;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// An outbound dial plan: groups dialled one after another, the devices of a group at once;
/// the first device to answer wins.
///
/// ```
/// use relay_rs_core::{Device, DialPlan};
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
    groups: Vec<Vec<Device>>,
    region: Option<String>,
    max_price_per_minute: Option<f64>,
    max_duration: Option<Duration>,
}

impl DialPlan {
    /// An empty plan; add groups with [`DialPlan::then`] and [`DialPlan::then_parallel`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A plan that rings one device.
    pub fn single(device: impl Into<Device>) -> Self {
        Self::new().then(device)
    }

    /// A plan that rings these devices at once.
    pub fn parallel(devices: impl IntoIterator<Item = Device>) -> Self {
        Self::new().then_parallel(devices)
    }

    /// Then (if nothing before answered) rings this device.
    pub fn then(mut self, device: impl Into<Device>) -> Self {
        self.groups.push(vec![device.into()]);
        self
    }

    /// Then (if nothing before answered) rings these devices at once.
    pub fn then_parallel(mut self, devices: impl IntoIterator<Item = Device>) -> Self {
        self.groups.push(devices.into_iter().collect());
        self
    }

    /// Where to originate the call (`region`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The highest price per minute to pay (`max_price_per_minute`).
    pub fn max_price_per_minute(mut self, price: f64) -> Self {
        self.max_price_per_minute = Some(price);
        self
    }

    /// The longest the call may last, sent as the top-level `max_duration` in whole minutes
    /// (rounded up), as both SDKs send it (§6 items 1 and 2).
    ///
    /// The server's own schema for `calling.dial` has no `max_duration`, so the service may
    /// ignore it: for a cap that holds, set [`PhoneDevice::max_duration`](crate::PhoneDevice)
    /// (or the sip one) on each device too.
    pub fn max_duration(mut self, max: Duration) -> Self {
        self.max_duration = Some(max);
        self
    }

    /// The serial groups of parallel devices.
    pub fn devices(&self) -> &[Vec<Device>] {
        &self.groups
    }

    /// Checks the plan and writes the `calling.dial` params other than `tag`.
    pub(crate) fn to_params(&self) -> Result<Map<String, Value>, CommandError> {
        check_groups(&self.groups)?;
        if let Some(device) = self.groups.iter().flatten().find(|d| d.is_connect_only()) {
            return Err(CommandError::ConnectOnlyDevice(device.kind().to_owned()));
        }
        let mut params = Map::new();
        params.insert("devices".into(), groups_to_wire(&self.groups));
        if let Some(region) = &self.region {
            super::params::check_nonempty("region", region)?;
            params.insert("region".into(), region.as_str().into());
        }
        check_price(self.max_price_per_minute)?;
        if let Some(price) = self.max_price_per_minute {
            params.insert("max_price_per_minute".into(), json!(price));
        }
        if let Some(max) = self.max_duration {
            params.insert("max_duration".into(), json!(minutes(max)?));
        }
        Ok(params)
    }
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
