//! Typed results: what an action's end means, read from its [`ActionOutcome`].
//!
//! Every result keeps the outcome it was read from, so success, stop, failure, call end and
//! a gone call all yield a value of the same type, with the raw event still reachable.

use super::params::{lenient_count, lenient_number, lenient_text};
use super::ActionOutcome;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

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

/// The members a result reads from a terminal event, each absent when of another type.
#[derive(Default, Deserialize)]
pub(crate) struct Members<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    recording_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_number")]
    duration: Option<f64>,
    #[serde(default, deserialize_with = "lenient_count")]
    size: Option<u64>,
}

/// A terminal event's top-level members and the objects `record` and `transcribe` in
/// which those events nest them (G§"Events with non-standard structure"), in one reading.
#[derive(Default, Deserialize)]
struct TopLevel<'a> {
    #[serde(borrow, default)]
    record: Option<&'a RawValue>,
    #[serde(borrow, default)]
    transcribe: Option<&'a RawValue>,
    // The members again, not `flatten`ed: flattening would buffer the whole event.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    recording_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_number")]
    duration: Option<f64>,
    #[serde(default, deserialize_with = "lenient_count")]
    size: Option<u64>,
}

/// The object a family nests its result members in.
#[derive(Clone, Copy)]
pub(crate) enum Nest {
    /// `record`.
    Record,
    /// `transcribe`.
    Transcribe,
}

/// A terminal event's result members, read from its text (no tree): each from the family's
/// nested object first, then from the top level.
#[derive(Default)]
pub(crate) struct Fields<'a> {
    nested: Members<'a>,
    top: Members<'a>,
}

impl<'a> Fields<'a> {
    pub(crate) fn read(outcome: &'a ActionOutcome, nest: Nest) -> Self {
        let Some(event) = outcome.event() else {
            return Self::default();
        };
        let top: TopLevel<'a> = serde_json::from_str(event.as_str()).unwrap_or_default();
        let nested = match nest {
            Nest::Record => top.record,
            Nest::Transcribe => top.transcribe,
        };
        let nested = nested
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        let top_members = Members {
            url: top.url,
            recording_id: top.recording_id,
            duration: top.duration,
            size: top.size,
        };
        Self {
            nested,
            top: top_members,
        }
    }

    pub(crate) fn url(&self) -> Option<String> {
        owned(self.nested.url.as_ref().or(self.top.url.as_ref()))
    }

    pub(crate) fn recording_id(&self) -> Option<String> {
        owned(
            self.nested
                .recording_id
                .as_ref()
                .or(self.top.recording_id.as_ref()),
        )
    }

    pub(crate) fn duration(&self) -> Option<f64> {
        self.nested.duration.or(self.top.duration)
    }

    pub(crate) fn size(&self) -> Option<u64> {
        self.nested.size.or(self.top.size)
    }
}

fn owned(text: Option<&Cow<'_, str>>) -> Option<String> {
    text.map(|text| text.clone().into_owned())
}

/// Defines a result struct holding only the outcome plus the fields listed. With `reads
/// $view = $init;`, the outcome is read once into `$view` (borrowing it) and every field is
/// taken from that reading.
macro_rules! outcome_result {
    ($(#[$doc:meta])* $name:ident reads |$o:ident| $view:ident = $init:expr; { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $read:expr),* $(,)? }) => {
        $crate::calling::result::outcome_result!(@define $(#[$doc])* $name
            { $($(#[$fdoc])* $field: $ty),* }
            |outcome| {
                let $o = &outcome;
                let $view = $init;
                ($($read,)*)
            }
        );
    };
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = |$o:ident| $read:expr),* $(,)? }) => {
        $crate::calling::result::outcome_result!(@define $(#[$doc])* $name
            { $($(#[$fdoc])* $field: $ty),* }
            |outcome| ($({ let $o = &outcome; $read },)*)
        );
    };
    (@define $(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* } |$outcome:ident| $read_all:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// How the action ended, with its terminal event.
            pub outcome: $crate::calling::ActionOutcome,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl $crate::calling::result::ActionResult for $name {
            fn from_outcome($outcome: $crate::calling::ActionOutcome) -> Self {
                let ($($field,)*) = $read_all;
                Self { outcome: $outcome, $($field,)* }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calling::fax::FaxResult;
    use crate::calling::record::RecordResult;
    use crate::calling::transcribe::TranscribeResult;
    use crate::payload::Payload;

    fn stopped(event: &str) -> ActionOutcome {
        ActionOutcome::Stopped {
            event: Payload::from_json(event).expect("json"),
        }
    }

    #[test]
    fn results_read_their_nested_object_first_then_the_top_level_from_the_text() {
        let record = RecordResult::from_outcome(stopped(
            r#"{"url":"https://top","duration":"2.5","size":7,
                "record":{"url":"https://nested","duration":[1],"size":"8"}}"#,
        ));
        assert_eq!(record.url.as_deref(), Some("https://nested"));
        // A nested member of another type falls back to the top level's.
        assert_eq!(record.duration, Some(2.5));
        assert_eq!(record.size, Some(8));
        let transcribe = TranscribeResult::from_outcome(stopped(
            r#"{"transcribe":{"url":"u","recording_id":"r"},"record":{"size":3},"size":-1}"#,
        ));
        assert_eq!(
            (
                transcribe.url.as_deref(),
                transcribe.recording_id.as_deref()
            ),
            (Some("u"), Some("r"))
        );
        // Only its own nest counts, and a negative size is none.
        assert_eq!(transcribe.size, None);
        let odd = RecordResult::from_outcome(stopped(r#"{"record":"x","url":5}"#));
        assert_eq!((odd.url, odd.duration, odd.size), (None, None, None));
        let none = RecordResult::from_outcome(ActionOutcome::CallEnded);
        assert_eq!(none.url, None);
    }

    #[test]
    fn a_fax_result_reads_its_params_from_the_text() {
        let fax = FaxResult::from_outcome(stopped(
            r#"{"fax":{"type":"finished","params":{"direction":"send","identity":"+1",
                "remote_identity":"+2","document":"https://d.pdf","pages":"3","success":true}}}"#,
        ));
        assert_eq!(fax.direction.as_deref(), Some("send"));
        assert_eq!(fax.identity.as_deref(), Some("+1"));
        assert_eq!(fax.remote_identity.as_deref(), Some("+2"));
        assert_eq!(fax.document.as_deref(), Some("https://d.pdf"));
        assert_eq!(fax.pages, Some(3));
        assert!(fax.success);
        let odd = FaxResult::from_outcome(stopped(
            r#"{"fax":{"params":{"direction":1,"pages":2.5,"success":"true"}}}"#,
        ));
        assert_eq!((odd.direction, odd.pages, odd.success), (None, None, false));
    }
}
