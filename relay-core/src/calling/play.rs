//! `calling.play` ([§1.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): typed media, the options and their wire form.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, check_volume};
use super::{ActionKind, ActionRequest, MediaDirection};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// One item of a play list.
///
/// Its `Serialize` form is the `{type, params}` wire form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "params", rename_all = "lowercase")]
#[non_exhaustive]
pub enum PlayMedia {
    /// An audio file by url.
    Audio {
        /// Its url.
        url: String,
    },
    /// Text to speech.
    Tts {
        /// What to say.
        text: String,
        /// Language, e.g. `en-US`.
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        /// Voice gender.
        #[serde(skip_serializing_if = "Option::is_none")]
        gender: Option<Gender>,
        /// A named voice; overrides language and gender.
        #[serde(skip_serializing_if = "Option::is_none")]
        voice: Option<String>,
    },
    /// Silence.
    Silence {
        /// How long (seconds on the wire).
        #[serde(serialize_with = "seconds_f64")]
        duration: Duration,
    },
    /// A ringtone.
    Ringtone {
        /// Its name (country code such as `us`).
        name: String,
        /// How long (seconds on the wire); the whole tone when unset.
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "optional_seconds_f64"
        )]
        duration: Option<Duration>,
    },
}

/// The voice gender of a TTS item: the closed set the service knows (`male`, `female`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Gender {
    /// `male`.
    Male,
    /// `female`.
    Female,
}

/// A duration as JSON seconds with a fraction, as play's `duration` was always written.
fn seconds_f64<S: serde::Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(value.as_secs_f64())
}

fn optional_seconds_f64<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => seconds_f64(value, s),
        None => s.serialize_none(),
    }
}

impl PlayMedia {
    /// An audio file.
    pub fn audio(url: impl Into<String>) -> Self {
        PlayMedia::Audio { url: url.into() }
    }

    /// Text to speech with the default voice.
    pub fn tts(text: impl Into<String>) -> Self {
        PlayMedia::Tts {
            text: text.into(),
            language: None,
            gender: None,
            voice: None,
        }
    }

    /// A ringtone by country code (`us`, `uk`, …), played whole.
    pub fn ringtone(name: impl Into<String>) -> Self {
        PlayMedia::Ringtone {
            name: name.into(),
            duration: None,
        }
    }

    /// Sets the language of a TTS item; other items are unchanged.
    pub fn language(mut self, value: impl Into<String>) -> Self {
        if let PlayMedia::Tts { language, .. } = &mut self {
            *language = Some(value.into());
        }
        self
    }

    /// Sets the gender of a TTS item; other items are unchanged.
    pub fn gender(mut self, value: Gender) -> Self {
        if let PlayMedia::Tts { gender, .. } = &mut self {
            *gender = Some(value);
        }
        self
    }

    /// Sets the voice of a TTS item; other items are unchanged.
    pub fn voice(mut self, value: impl Into<String>) -> Self {
        if let PlayMedia::Tts { voice, .. } = &mut self {
            *voice = Some(value.into());
        }
        self
    }

    /// Sets how long a ringtone plays; other items are unchanged.
    pub fn ringtone_duration(mut self, length: Duration) -> Self {
        if let PlayMedia::Ringtone { duration, .. } = &mut self {
            *duration = Some(length);
        }
        self
    }

    /// Refuses an item the service cannot play.
    pub fn check(&self) -> Result<(), CommandError> {
        let bad = match self {
            PlayMedia::Audio { url } => url.trim().is_empty(),
            PlayMedia::Tts { text, .. } => text.trim().is_empty(),
            PlayMedia::Silence { .. } => false,
            PlayMedia::Ringtone { name, .. } => name.trim().is_empty(),
        };
        if bad {
            return Err(CommandError::InvalidOption(format!("cannot play {self:?}")));
        }
        Ok(())
    }

    /// Silence for `duration`.
    pub fn silence(duration: Duration) -> Self {
        PlayMedia::Silence { duration }
    }

    /// The `{type, params}` wire form.
    pub fn to_wire(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The `calling.play` params (without ids): a play list and an optional volume in dB.
#[derive(Debug, Serialize)]
pub(crate) struct PlayParams<'a> {
    pub(crate) play: &'a [PlayMedia],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) volume: Option<f64>,
}

/// Checks a play list: not empty, every item playable.
pub(crate) fn check_media(media: &[PlayMedia]) -> Result<(), CommandError> {
    if media.is_empty() {
        return Err(CommandError::InvalidOption("nothing to play".into()));
    }
    media.iter().try_for_each(PlayMedia::check)
}

/// Options of `calling.play`; build with the setters, then pass to `play`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PlayOptions {
    /// What to play, in order.
    #[serde(rename = "play")]
    pub media: Vec<PlayMedia>,
    /// Gain in dB, -40…+40.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
    /// Which side hears it; the service plays to the caller (`listen`) when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<MediaDirection>,
    /// How many times to play the list; `0` forever. Once when unset.
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_count: Option<u32>,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl PlayOptions {
    /// Plays `media`.
    pub fn new(media: impl IntoIterator<Item = PlayMedia>) -> Self {
        Self {
            media: media.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Gain in dB (-40…+40).
    pub fn volume(mut self, db: f64) -> Self {
        self.volume = Some(db);
        self
    }

    /// Which side hears it.
    pub fn direction(mut self, direction: MediaDirection) -> Self {
        self.direction = Some(direction);
        self
    }

    /// Plays the list `count` times; `0` forever.
    pub fn loop_count(mut self, count: u32) -> Self {
        self.loop_count = Some(count);
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

impl ActionRequest for PlayOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Play
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_media(&self.media)?;
        check_volume(self.volume)?;
        check_status_url(&self.status_url)
    }
}

/// How `calling.play` runs: it ends on `finished` or `error`, and can be paused, resumed
/// and made louder.
pub(crate) fn descriptor() -> ActionDescriptor {
    // `playing`/`paused` say only the state.
    ActionDescriptor::simple("play", TerminalRule::states(&["finished", "error"]))
        .without_last_event()
        .control("pause")
        .control("resume")
        .control("volume")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_the_play_list() {
        let params = PlayParams {
            play: &[PlayMedia::audio("https://a/b.mp3"), PlayMedia::tts("hi")],
            volume: None,
        };
        assert_eq!(
            serde_json::to_value(params).unwrap(),
            json!({"play": [
                {"type": "audio", "params": {"url": "https://a/b.mp3"}},
                {"type": "tts", "params": {"text": "hi"}}
            ]})
        );
    }
}
