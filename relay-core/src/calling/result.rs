//! Typed results: what an action's end means, read from its [`ActionOutcome`].
//!
//! Every result keeps the outcome it was read from, so success, stop, failure, call end and
//! a gone call all yield a value of the same type, with the raw event still reachable.

use super::ActionOutcome;
use serde_json::Value;

/// A typed result read from how an action ended.
pub trait ActionResult: Clone + Send + Sync + 'static {
    /// Reads the result.
    fn from_outcome(outcome: ActionOutcome) -> Self;

    /// The outcome it was read from.
    fn outcome(&self) -> &ActionOutcome;
}

impl ActionResult for ActionOutcome {
    fn from_outcome(outcome: ActionOutcome) -> Self {
        outcome
    }

    fn outcome(&self) -> &ActionOutcome {
        self
    }
}

/// `key` of the terminal event, or of its object `inner` first (the record event nests its
/// fields under `record`, G§"Events with non-standard structure"). The event is read from
/// its text here, once per field of a result: results are read once per action.
pub(crate) fn field(outcome: &ActionOutcome, inner: &str, key: &str) -> Option<Value> {
    let mut event = outcome.event()?.to_value();
    match event.get_mut(inner).and_then(|i| i.get_mut(key)) {
        Some(value) => Some(value.take()),
        None => event.get_mut(key).map(Value::take),
    }
}

pub(crate) fn text(value: Option<Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A number that may come as a JSON string.
pub(crate) fn number(value: Option<Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A whole number that may come as a JSON string.
pub(crate) fn count(value: Option<Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Defines a result struct holding only the outcome plus the fields listed.
macro_rules! outcome_result {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = |$o:ident| $read:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// How the action ended, with its terminal event.
            pub outcome: $crate::calling::ActionOutcome,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl $crate::calling::result::ActionResult for $name {
            fn from_outcome(outcome: $crate::calling::ActionOutcome) -> Self {
                $(let $field = { let $o = &outcome; $read };)*
                Self { outcome, $($field,)* }
            }

            fn outcome(&self) -> &$crate::calling::ActionOutcome {
                &self.outcome
            }
        }

        impl $name {
            /// Whether the action did its work (see [`ActionOutcome::is_success`]).
            ///
            /// [`ActionOutcome::is_success`]: $crate::calling::ActionOutcome::is_success
            pub fn is_success(&self) -> bool {
                self.outcome.is_success()
            }
        }
    };
}
pub(crate) use outcome_result;
