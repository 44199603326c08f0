//! Serial groups of parallel devices, the plan of both `calling.dial` and `calling.connect`,
//! and the plan setters written once for both.

use super::Device;
use crate::error::CommandError;
use serde::Serialize;

/// Serial groups of parallel devices, the plan of both `calling.dial` and `calling.connect`
/// ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the outer list is tried one group after another, the devices of a group
/// ring at once. Its `Serialize` form is the wire's `devices`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub(crate) struct DeviceGroups(Vec<Vec<Device>>);

impl DeviceGroups {
    /// Adds a group of one device.
    pub(crate) fn then(&mut self, device: Device) {
        self.0.push(vec![device]);
    }

    /// Adds a group of devices rung at once.
    pub(crate) fn then_parallel(&mut self, devices: impl IntoIterator<Item = Device>) {
        self.0.push(devices.into_iter().collect());
    }

    /// The groups.
    pub(crate) fn as_slice(&self) -> &[Vec<Device>] {
        &self.0
    }

    /// How many devices in all.
    pub(crate) fn count(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// At least one device, no empty group, each device valid.
    pub(crate) fn check(&self) -> Result<(), CommandError> {
        if self.0.iter().all(Vec::is_empty) {
            return Err(CommandError::InvalidOption("the plan has no device".into()));
        }
        if self.0.iter().any(Vec::is_empty) {
            return Err(CommandError::InvalidOption(
                "the plan has an empty group".into(),
            ));
        }
        self.0.iter().flatten().try_for_each(Device::check)
    }

    /// The first device only `calling.connect` takes.
    pub(crate) fn connect_only(&self) -> Option<&Device> {
        self.0.iter().flatten().find(|d| d.is_connect_only())
    }
}

/// The setters and getters every plan of [`DeviceGroups`] has, written once for
/// [`DialPlan`](crate::DialPlan) and [`ConnectPlan`](crate::ConnectPlan): the plan type
/// must have `groups: DeviceGroups` and `max_price_per_minute: Option<f64>` and derive
/// `Default`.
macro_rules! device_plan {
    ($plan:ident) => {
        impl $plan {
            #[doc = concat!("An empty plan; add groups with [`", stringify!($plan),
                                        "::then`] and [`", stringify!($plan), "::then_parallel`].")]
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
                self.groups.then(device.into());
                self
            }

            /// Then (if nothing before answered) rings these devices at once.
            pub fn then_parallel(mut self, devices: impl IntoIterator<Item = Device>) -> Self {
                self.groups.then_parallel(devices);
                self
            }

            /// The highest price per minute to pay (`max_price_per_minute`): a finite,
            /// non-negative number.
            pub fn max_price_per_minute(mut self, price: f64) -> Self {
                self.max_price_per_minute = Some(price);
                self
            }

            /// The serial groups of parallel devices.
            pub fn devices(&self) -> &[Vec<Device>] {
                self.groups.as_slice()
            }

            /// How many devices the plan rings in all: the most legs it can bring.
            pub fn device_count(&self) -> usize {
                self.groups.count()
            }
        }
    };
}
pub(crate) use device_plan;
