//! Typed media for `calling.play`.

use serde_json::{json, Map, Value};

/// One item of a play list.
#[derive(Debug, Clone, PartialEq)]
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
        language: Option<String>,
        /// Voice gender.
        gender: Option<String>,
    },
    /// Silence.
    Silence {
        /// Seconds.
        duration: f64,
    },
    /// A ringtone.
    Ringtone {
        /// Its name (country code such as `us`).
        name: String,
        /// Seconds; the whole tone when unset.
        duration: Option<f64>,
    },
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
        }
    }

    /// Silence for `duration` seconds.
    pub fn silence(duration: f64) -> Self {
        PlayMedia::Silence { duration }
    }

    /// The `{type, params}` wire form.
    pub fn to_wire(&self) -> Value {
        match self {
            PlayMedia::Audio { url } => json!({"type": "audio", "params": {"url": url}}),
            PlayMedia::Tts {
                text,
                language,
                gender,
            } => {
                let mut params = Map::new();
                params.insert("text".into(), text.as_str().into());
                if let Some(language) = language {
                    params.insert("language".into(), language.as_str().into());
                }
                if let Some(gender) = gender {
                    params.insert("gender".into(), gender.as_str().into());
                }
                json!({"type": "tts", "params": params})
            }
            PlayMedia::Silence { duration } => {
                json!({"type": "silence", "params": {"duration": duration}})
            }
            PlayMedia::Ringtone { name, duration } => {
                let mut params = Map::new();
                params.insert("name".into(), name.as_str().into());
                if let Some(duration) = duration {
                    params.insert("duration".into(), json!(duration));
                }
                json!({"type": "ringtone", "params": params})
            }
        }
    }
}

/// The `calling.play` params (without ids) for a play list and an optional volume in dB.
pub fn play_params(media: &[PlayMedia], volume: Option<f64>) -> Map<String, Value> {
    let mut params = Map::new();
    params.insert(
        "play".into(),
        Value::Array(media.iter().map(PlayMedia::to_wire).collect()),
    );
    if let Some(volume) = volume {
        params.insert("volume".into(), json!(volume));
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_play_list() {
        let params = play_params(
            &[PlayMedia::audio("https://a/b.mp3"), PlayMedia::tts("hi")],
            None,
        );
        assert_eq!(
            Value::Object(params),
            json!({"play": [
                {"type": "audio", "params": {"url": "https://a/b.mp3"}},
                {"type": "tts", "params": {"text": "hi"}}
            ]})
        );
    }
}
