//! What a `calling.ai` agent hears and says ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): pronunciation rules, speech hints and
//! its languages with their voices, typed after SignalWire's `ai` schema and the arrays both
//! SDKs send (`pronounce: [{replace, with, ignore_case?}]`, `hints: [string]`, `languages: [{…}]`).

use super::invalid;
use crate::error::CommandError;
use serde::Serialize;

/// A pronunciation rule: say `replace` as `with`.
///
/// ```
/// # use relay_rs_core::AiPronounce;
/// let rule = AiPronounce::new("SQL", "sequel").ignore_case(true);
/// # let _ = rule;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AiPronounce {
    /// The expression to replace.
    pub replace: String,
    /// How to say it.
    pub with: String,
    /// Whether case is ignored (the service's default: `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_case: Option<bool>,
}

impl AiPronounce {
    /// Says `replace` as `with`.
    pub fn new(replace: impl Into<String>, with: impl Into<String>) -> Self {
        Self {
            replace: replace.into(),
            with: with.into(),
            ignore_case: None,
        }
    }

    /// Whether case is ignored.
    pub fn ignore_case(mut self, ignore: bool) -> Self {
        self.ignore_case = Some(ignore);
        self
    }
}

/// A speech hint: a word or phrase to expect (written as the bare string both SDKs send),
/// or a pattern that rewrites what was heard (`{hint, pattern, replace, ignore_case?}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum AiHint {
    /// A word or phrase to expect.
    Word(String),
    /// Where `pattern` (a regular expression) matches the heard `hint`, `replace` it.
    Pattern {
        /// The hint to match, exactly as given.
        hint: String,
        /// The regular expression checked against the hint.
        pattern: String,
        /// The replacement text.
        replace: String,
        /// Whether case is ignored (the service's default: `false`).
        #[serde(skip_serializing_if = "Option::is_none")]
        ignore_case: Option<bool>,
    },
}

impl AiHint {
    /// A rewriting hint, case as the service defaults.
    pub fn pattern(
        hint: impl Into<String>,
        pattern: impl Into<String>,
        replace: impl Into<String>,
    ) -> Self {
        AiHint::Pattern {
            hint: hint.into(),
            pattern: pattern.into(),
            replace: replace.into(),
            ignore_case: None,
        }
    }
}

impl From<&str> for AiHint {
    fn from(word: &str) -> Self {
        AiHint::Word(word.to_owned())
    }
}

impl From<String> for AiHint {
    fn from(word: String) -> Self {
        AiHint::Word(word)
    }
}

/// A language the agent speaks: its name (told to the model), its speech-recognition code
/// and its voice (`<engine>.<voice>`, e.g. `gcloud.fr-FR-Neural2-B`); what is unset is left
/// to the service.
///
/// ```
/// # use relay_rs_core::AiLanguage;
/// let french = AiLanguage::new("French", "fr-FR", "gcloud.fr-FR-Neural2-B")
///     .speech_fillers(["euh", "voyons"]);
/// # let _ = french;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AiLanguage {
    /// The language's name (`English`), used in the model's prompt.
    pub name: String,
    /// The recognition code (`en-US`).
    pub code: String,
    /// The voice, `<engine>.<voice>`.
    pub voice: String,
    /// The text-to-speech model of the voice's engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Said between the model's turns to break silence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub speech_fillers: Vec<String>,
    /// Said while one of the agent's functions runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub function_fillers: Vec<String>,
}

impl AiLanguage {
    /// Speaks `name` (code `code`) with `voice`.
    pub fn new(name: impl Into<String>, code: impl Into<String>, voice: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            code: code.into(),
            voice: voice.into(),
            model: None,
            speech_fillers: Vec::new(),
            function_fillers: Vec::new(),
        }
    }

    /// The text-to-speech model of the voice's engine.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// What is said between the model's turns.
    pub fn speech_fillers(mut self, fillers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.speech_fillers = fillers.into_iter().map(Into::into).collect();
        self
    }

    /// What is said while a function runs.
    pub fn function_fillers(
        mut self,
        fillers: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.function_fillers = fillers.into_iter().map(Into::into).collect();
        self
    }
}

/// Refuses rules, hints and languages the service could not use: an empty expression,
/// hint, name, code or voice.
pub(crate) fn check(
    pronounce: &[AiPronounce],
    hints: &[AiHint],
    languages: &[AiLanguage],
) -> Result<(), CommandError> {
    let blank = |text: &str| text.trim().is_empty();
    if pronounce.iter().any(|rule| blank(&rule.replace)) {
        return invalid("a pronunciation rule replaces nothing");
    }
    let empty_hint = hints.iter().any(|hint| match hint {
        AiHint::Word(word) => blank(word),
        AiHint::Pattern { hint, pattern, .. } => blank(hint) || blank(pattern),
    });
    if empty_hint {
        return invalid("a speech hint is empty");
    }
    if let Some(language) = languages
        .iter()
        .find(|l| blank(&l.name) || blank(&l.code) || blank(&l.voice))
    {
        return invalid(format!(
            "language {:?} needs a name, a code and a voice",
            language.name
        ));
    }
    Ok(())
}
