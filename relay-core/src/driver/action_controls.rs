//! The controls of each action beyond `stop`: pause, resume, volume, input timers.

use super::action::{CollectAction, PlayAction, PromptAction, RecordAction};
use super::error::Error;
use crate::action::record::PauseBehavior;
use crate::error::CommandError;
use serde::Serialize;

/// The params of `calling.play.volume` and `calling.play_and_collect.volume`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Volume {
    volume: f64,
}

impl Volume {
    /// A gain in dB, refused outside -40…+40 before anything is sent.
    pub(crate) fn new(db: f64) -> Result<Self, Error> {
        if !(-40.0..=40.0).contains(&db) {
            return Err(Error::Command(CommandError::InvalidOption(format!(
                "volume {db} dB is outside -40…+40"
            ))));
        }
        Ok(Self { volume: db })
    }
}

/// The params of `calling.record.pause`: `behavior` only when chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct RecordPause {
    #[serde(skip_serializing_if = "Option::is_none")]
    behavior: Option<&'static str>,
}

impl PlayAction {
    /// Pauses playback (`calling.play.pause`).
    pub async fn pause(&self) -> Result<(), Error> {
        self.0.control("calling.play.pause", ()).await
    }

    /// Resumes playback (`calling.play.resume`).
    pub async fn resume(&self) -> Result<(), Error> {
        self.0.control("calling.play.resume", ()).await
    }

    /// Sets the gain in dB, -40…+40 (`calling.play.volume`).
    pub async fn set_volume(&self, db: f64) -> Result<(), Error> {
        self.0
            .control("calling.play.volume", Volume::new(db)?)
            .await
    }
}

impl RecordAction {
    /// Pauses the recording (`calling.record.pause`); `behavior` says what the paused span
    /// becomes (the service cuts it when unset).
    pub async fn pause(&self, behavior: Option<PauseBehavior>) -> Result<(), Error> {
        let params = RecordPause {
            behavior: behavior.map(PauseBehavior::as_wire),
        };
        self.0.control("calling.record.pause", params).await
    }

    /// Resumes the recording (`calling.record.resume`).
    pub async fn resume(&self) -> Result<(), Error> {
        self.0.control("calling.record.resume", ()).await
    }
}

impl CollectAction {
    /// Starts the input timers now (`calling.collect.start_input_timers`), for a collect
    /// started with `start_input_timers(false)`.
    pub async fn start_input_timers(&self) -> Result<(), Error> {
        let method = "calling.collect.start_input_timers";
        self.0.control(method, ()).await
    }
}

impl PromptAction {
    /// Sets the prompt's gain in dB, -40…+40 (`calling.play_and_collect.volume`).
    pub async fn set_volume(&self, db: f64) -> Result<(), Error> {
        let params = Volume::new(db)?;
        self.0
            .control("calling.play_and_collect.volume", params)
            .await
    }

    /// Starts the input timers now (`calling.collect.start_input_timers` with this
    /// action's control id).
    pub async fn start_input_timers(&self) -> Result<(), Error> {
        let method = "calling.collect.start_input_timers";
        self.0.control(method, ()).await
    }
}
