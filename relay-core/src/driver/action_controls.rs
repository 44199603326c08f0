//! The controls of each action beyond `stop`: pause, resume, volume, input timers.

use super::action::{CollectAction, PlayAction, PromptAction, RecordAction};
use super::error::Error;
use crate::action::record::PauseBehavior;
use crate::error::CommandError;
use serde_json::{Map, Value};

fn volume_params(db: f64) -> Result<Map<String, Value>, Error> {
    if !(-40.0..=40.0).contains(&db) {
        return Err(Error::Command(CommandError::InvalidOption(format!(
            "volume {db} dB is outside -40…+40"
        ))));
    }
    let mut params = Map::new();
    params.insert("volume".into(), db.into());
    Ok(params)
}

impl PlayAction {
    /// Pauses playback (`calling.play.pause`).
    pub async fn pause(&self) -> Result<(), Error> {
        self.0.control("calling.play.pause", Map::new()).await
    }

    /// Resumes playback (`calling.play.resume`).
    pub async fn resume(&self) -> Result<(), Error> {
        self.0.control("calling.play.resume", Map::new()).await
    }

    /// Sets the gain in dB, -40…+40 (`calling.play.volume`).
    pub async fn set_volume(&self, db: f64) -> Result<(), Error> {
        let params = volume_params(db)?;
        self.0.control("calling.play.volume", params).await
    }
}

impl RecordAction {
    /// Pauses the recording (`calling.record.pause`); `behavior` says what the paused span
    /// becomes (the service cuts it when unset).
    pub async fn pause(&self, behavior: Option<PauseBehavior>) -> Result<(), Error> {
        let mut params = Map::new();
        if let Some(behavior) = behavior {
            params.insert("behavior".into(), behavior.as_wire().into());
        }
        self.0.control("calling.record.pause", params).await
    }

    /// Resumes the recording (`calling.record.resume`).
    pub async fn resume(&self) -> Result<(), Error> {
        self.0.control("calling.record.resume", Map::new()).await
    }
}

impl CollectAction {
    /// Starts the input timers now (`calling.collect.start_input_timers`), for a collect
    /// started with `start_input_timers(false)`.
    pub async fn start_input_timers(&self) -> Result<(), Error> {
        let method = "calling.collect.start_input_timers";
        self.0.control(method, Map::new()).await
    }
}

impl PromptAction {
    /// Sets the prompt's gain in dB, -40…+40 (`calling.play_and_collect.volume`).
    pub async fn set_volume(&self, db: f64) -> Result<(), Error> {
        let params = volume_params(db)?;
        self.0
            .control("calling.play_and_collect.volume", params)
            .await
    }

    /// Starts the input timers now (`calling.collect.start_input_timers` with this
    /// action's control id).
    pub async fn start_input_timers(&self) -> Result<(), Error> {
        let method = "calling.collect.start_input_timers";
        self.0.control(method, Map::new()).await
    }
}
