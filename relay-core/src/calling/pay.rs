//! `calling.pay` ([§1.8](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): a card payment through a payment connector. Typed values in the
//! API, strings on the wire, as the server schema declares them. The result is the whole
//! terminal event (its payment fields are not documented).

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{as_text, check_nonempty, check_status_url, secs_text, setters};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::ser::SerializeSeq;
use serde::Serialize;
use std::time::Duration;

/// Options of `calling.pay`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PayOptions {
    /// URL of the payment connector (required).
    pub payment_connector_url: String,
    /// How the card is entered (`dtmf`).
    #[serde(rename = "input", skip_serializing_if = "Option::is_none")]
    pub input_method: Option<String>,
    /// `credit-card`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// Time allowed per input (whole seconds, a string on the wire).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs_text")]
    pub timeout: Option<Duration>,
    /// Attempts allowed.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub max_attempts: Option<u32>,
    /// Ask for the security code.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub security_code: Option<bool>,
    /// Ask for the postal code (`true`, `false`, or a known code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Shortest postal code accepted.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub min_postal_code_length: Option<u32>,
    /// `one-time` or `reusable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Amount as a decimal string, no currency sign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_amount: Option<String>,
    /// Currency, e.g. `usd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Prompt language, e.g. `en-US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Prompt voice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Description of the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Space-separated card types, e.g. `visa mastercard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_card_types: Option<String>,
    /// Extra `{name, value}` parameters for the connector.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "name_value_list"
    )]
    pub parameters: Vec<(String, String)>,
    /// Custom prompts; not sent when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<PayPrompt>,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

/// `parameters` as the server schema writes them: `[{name, value}]`.
fn name_value_list<S: serde::Serializer>(
    list: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Parameter<'a> {
        name: &'a str,
        value: &'a str,
    }
    let mut seq = s.serialize_seq(Some(list.len()))?;
    for (name, value) in list {
        seq.serialize_element(&Parameter { name, value })?;
    }
    seq.end()
}

impl PayOptions {
    /// Pays through the connector at `url`.
    pub fn new(payment_connector_url: impl Into<String>) -> Self {
        Self {
            payment_connector_url: payment_connector_url.into(),
            ..Self::default()
        }
    }

    setters! {
        /// How the card is entered (`dtmf`).
        input_method: impl String;
        /// `credit-card`.
        payment_method: impl String;
        /// Amount as a decimal string.
        charge_amount: impl String;
        /// Currency.
        currency: impl String;
        /// Time allowed per input.
        timeout: Duration;
        /// Attempts allowed.
        max_attempts: u32;
        /// Ask for the security code.
        security_code: bool;
        /// Ask for the postal code (`true`, `false`, or a known code).
        postal_code: impl String;
        /// Shortest postal code accepted.
        min_postal_code_length: u32;
        /// `one-time` or `reusable`.
        token_type: impl String;
        /// Prompt language.
        language: impl String;
        /// Prompt voice.
        voice: impl String;
        /// Description of the payment.
        description: impl String;
        /// Space-separated card types.
        valid_card_types: impl String;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
    }

    /// Adds a connector parameter.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }

    /// Adds a custom prompt.
    pub fn prompt(mut self, prompt: PayPrompt) -> Self {
        self.prompts.push(prompt);
        self
    }
}

/// A custom prompt of `calling.pay`, as the server schema shapes it: what it replaces
/// (`for`, e.g. `payment-card-number`) and what is said or played. Numbers and flags are
/// strings on the wire, as the schema declares them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PayPrompt {
    /// The step it prompts for (`payment-card-number`, `expiration-date`, …).
    #[serde(rename = "for")]
    pub step: String,
    /// What is said or played, in order.
    pub actions: Vec<PayPromptAction>,
    /// Only on this attempt.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub attempt: Option<u32>,
    /// Only for these card types (space separated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_type: Option<String>,
    /// Only after this error (`timeout`, `invalid-card-number`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Ask for the input twice and require both to match.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub require_matching_inputs: Option<bool>,
}

impl PayPrompt {
    /// A prompt for `step`, with nothing to say yet.
    pub fn new(step: impl Into<String>) -> Self {
        Self {
            step: step.into(),
            actions: Vec::new(),
            attempt: None,
            card_type: None,
            error_type: None,
            require_matching_inputs: None,
        }
    }

    /// Says `phrase`.
    pub fn say(mut self, phrase: impl Into<String>) -> Self {
        self.actions.push(PayPromptAction::Say {
            phrase: phrase.into(),
        });
        self
    }

    /// Plays the audio at `url`.
    pub fn play(mut self, url: impl Into<String>) -> Self {
        self.actions
            .push(PayPromptAction::Play { phrase: url.into() });
        self
    }

    setters! {
        /// Only on this attempt.
        attempt: u32;
        /// Only for these card types (space separated).
        card_type: impl String;
        /// Only after this error.
        error_type: impl String;
        /// Ask twice and require both inputs to match.
        require_matching_inputs: bool;
    }

    fn check(&self) -> Result<(), CommandError> {
        check_nonempty("pay prompt `for`", &self.step)?;
        if self.actions.is_empty() {
            return Err(CommandError::InvalidOption(format!(
                "pay prompt for {:?} says nothing",
                self.step
            )));
        }
        Ok(())
    }
}

/// One step of a [`PayPrompt`]: `{type: "Say" | "Play", phrase}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum PayPromptAction {
    /// Text to speech.
    Say {
        /// What is said.
        phrase: String,
    },
    /// An audio file.
    Play {
        /// Its url.
        phrase: String,
    },
}

impl ActionRequest for PayOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Pay
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_nonempty("payment_connector_url", &self.payment_connector_url)?;
        check_status_url(&self.status_url)?;
        self.prompts.iter().try_for_each(PayPrompt::check)
    }
}

/// How `calling.pay` runs: it ends on `finished` or `error`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("pay", TerminalRule::states(&["finished", "error"]))
}
