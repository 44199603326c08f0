//! `calling.pay` ([§1.8](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): a card payment through a payment connector. Typed values in the
//! API, strings on the wire, as the server schema declares them. The result is the whole
//! terminal event (its payment fields are not documented).

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_nonempty, check_status_url, Params};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde_json::{Map, Value};
use std::time::Duration;

/// Options of `calling.pay`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PayOptions {
    /// URL of the payment connector (required).
    pub payment_connector_url: String,
    /// How the card is entered (`dtmf`).
    pub input_method: Option<String>,
    /// `credit-card`.
    pub payment_method: Option<String>,
    /// Time allowed per input.
    pub timeout: Option<Duration>,
    /// Attempts allowed.
    pub max_attempts: Option<u32>,
    /// Ask for the security code.
    pub security_code: Option<bool>,
    /// Ask for the postal code (`true`, `false`, or a known code).
    pub postal_code: Option<String>,
    /// Shortest postal code accepted.
    pub min_postal_code_length: Option<u32>,
    /// `one-time` or `reusable`.
    pub token_type: Option<String>,
    /// Amount as a decimal string, no currency sign.
    pub charge_amount: Option<String>,
    /// Currency, e.g. `usd`.
    pub currency: Option<String>,
    /// Prompt language, e.g. `en-US`.
    pub language: Option<String>,
    /// Prompt voice.
    pub voice: Option<String>,
    /// Description of the payment.
    pub description: Option<String>,
    /// Space-separated card types, e.g. `visa mastercard`.
    pub valid_card_types: Option<String>,
    /// Extra `{name, value}` parameters for the connector.
    pub parameters: Vec<(String, String)>,
    /// Custom prompts, as the service defines them.
    pub prompts: Option<Value>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    pub control_id: Option<ControlId>,
}

impl PayOptions {
    /// Pays through the connector at `url`.
    pub fn new(payment_connector_url: impl Into<String>) -> Self {
        Self {
            payment_connector_url: payment_connector_url.into(),
            ..Self::default()
        }
    }

    /// Amount as a decimal string.
    pub fn charge_amount(mut self, amount: impl Into<String>) -> Self {
        self.charge_amount = Some(amount.into());
        self
    }

    /// Currency.
    pub fn currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = Some(currency.into());
        self
    }

    /// Time allowed per input.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Attempts allowed.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Ask for the security code.
    pub fn security_code(mut self, ask: bool) -> Self {
        self.security_code = Some(ask);
        self
    }

    /// Adds a connector parameter.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
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

fn as_text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

impl ActionRequest for PayOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Pay
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        self.wire_params().map(drop)
    }
}

impl PayOptions {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
        check_nonempty("payment_connector_url", &self.payment_connector_url)?;
        check_status_url(&self.status_url)?;
        let mut params = Params::new();
        params
            .set("payment_connector_url", self.payment_connector_url.as_str())
            .opt("input", &self.input_method)
            .opt("payment_method", &self.payment_method)
            .opt("timeout", &self.timeout.map(|t| t.as_secs().to_string()))
            .opt("max_attempts", &as_text(&self.max_attempts))
            .opt("security_code", &as_text(&self.security_code))
            .opt("postal_code", &self.postal_code)
            .opt(
                "min_postal_code_length",
                &as_text(&self.min_postal_code_length),
            )
            .opt("token_type", &self.token_type)
            .opt("charge_amount", &self.charge_amount)
            .opt("currency", &self.currency)
            .opt("language", &self.language)
            .opt("voice", &self.voice)
            .opt("description", &self.description)
            .opt("valid_card_types", &self.valid_card_types)
            .opt("prompts", &self.prompts)
            .opt("status_url", &self.status_url);
        if !self.parameters.is_empty() {
            let list: Vec<Value> = self
                .parameters
                .iter()
                .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
                .collect();
            params.set("parameters", list);
        }
        Ok(params.done())
    }
}

super::params::serialize_via_map!(PayOptions);

/// How `calling.pay` runs: it ends on `finished` or `error`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("pay", TerminalRule::states(&["finished", "error"]))
}
