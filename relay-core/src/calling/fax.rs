//! `calling.send_fax` and `calling.receive_fax` ([§1.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): options and the result, read from
//! the `fax` object of `calling.call.fax`.

use super::descriptor::{ActionDescriptor, Judge, Progress, TerminalRule, Verdict};
use super::lenient::{Nested, ObjectOr};
use super::params::{check_nonempty, check_status_url, status_url_options};
use super::params::{lenient_bool, lenient_count, lenient_text};
use super::result::outcome_result;
use super::{ActionKind, ActionOutcome, ActionRequest, ActionState};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Options of `calling.send_fax`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SendFaxOptions {
    /// URL of the PDF or TIFF to send.
    pub document: String,
    /// Who we are, shown to the receiver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The page header; `SignalWire` when unset, none when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_info: Option<String>,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl SendFaxOptions {
    /// Sends the document at `url`.
    pub fn new(document: impl Into<String>) -> Self {
        Self {
            document: document.into(),
            ..Self::default()
        }
    }

    /// Who we are.
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(identity.into());
        self
    }

    /// The page header.
    pub fn header_info(mut self, header: impl Into<String>) -> Self {
        self.header_info = Some(header.into());
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

impl ActionRequest for SendFaxOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::SendFax
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_nonempty("document", &self.document)?;
        check_status_url(&self.status_url)?;
        Ok(())
    }
}

status_url_options!(
    /// Options of `calling.receive_fax`.
    ReceiveFaxOptions => ReceiveFax
);

outcome_result!(
    /// How a fax ended, from the `fax.params` of its last event.
    FaxResult reads |o| event = FaxView::of(o); {
        /// `send` or `receive`.
        direction: Option<String> = event.text(|p| &p.direction),
        /// Our identity.
        identity: Option<String> = event.text(|p| &p.identity),
        /// The other side's identity.
        remote_identity: Option<String> = event.text(|p| &p.remote_identity),
        /// The document's URL (the received file, for `receive_fax`).
        document: Option<String> = event.text(|p| &p.document),
        /// Pages sent or received.
        pages: Option<u64> = event.params().and_then(|p| p.pages),
        /// Whether the service says the fax went through.
        success: bool = event.params().and_then(|p| p.success).unwrap_or(false),
    }
);

/// How `calling.send_fax` (`name` `send_fax`) and `calling.receive_fax` run: both hear
/// `calling.call.fax`.
pub(crate) fn descriptor(name: &str) -> ActionDescriptor {
    let mut d = ActionDescriptor::simple(name, TerminalRule::Judge(JUDGE));
    d.event_types = vec!["calling.call.fax".into()];
    d
}

/// How a fax ends, its rule handed to the descriptor.
pub(crate) const JUDGE: Judge = Judge::new("fax", judge);

/// The members of a `calling.call.fax` event its rule and its result read, from the
/// event's text (`fax.type` and `fax.params.*`), each absent when of another type.
#[derive(Default, Deserialize)]
struct FaxView<'a> {
    #[serde(borrow, default)]
    fax: Option<ObjectOr<Nested<'a, FaxParams<'a>>>>,
}

#[derive(Deserialize)]
struct FaxParams<'a> {
    #[serde(default, deserialize_with = "lenient_bool")]
    success: Option<bool>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    direction: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    identity: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    remote_identity: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    document: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_count")]
    pages: Option<u64>,
}

impl<'a> FaxView<'a> {
    fn read(event: &'a str) -> Self {
        serde_json::from_str(event).unwrap_or_default()
    }

    /// The view of an action's terminal event (empty when it ended without one).
    fn of(outcome: &'a ActionOutcome) -> Self {
        outcome
            .event()
            .map_or_else(Self::default, |event| Self::read(event.as_str()))
    }

    fn fax(&self) -> Option<&Nested<'a, FaxParams<'a>>> {
        self.fax.as_ref()?.0.as_ref()
    }

    fn params(&self) -> Option<&FaxParams<'a>> {
        self.fax()?.params()
    }

    fn text(
        &self,
        member: for<'p> fn(&'p FaxParams<'a>) -> &'p Option<Cow<'a, str>>,
    ) -> Option<String> {
        Some(member(self.params()?).as_deref()?.to_owned())
    }
}

/// [§1.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) and [§6.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): `fax.type` carries the state; `fax.params.success` says whether it worked.
fn judge(_: &str, event: &str, state: Option<&str>, _: &mut Progress) -> Verdict {
    let view = FaxView::read(event);
    let fax_type = view.fax().and_then(|f| f.kind.as_deref());
    let end = [fax_type, state]
        .into_iter()
        .flatten()
        .find(|s| matches!(*s, "finished" | "error"));
    match end {
        Some(end) => {
            let success = view.params().and_then(|p| p.success).unwrap_or(false);
            Verdict::End {
                state: ActionState::from_wire(end),
                failed: !success,
            }
        }
        None => Verdict::Update(ActionState::from_wire(
            fax_type.or(state).unwrap_or_default(),
        )),
    }
}
