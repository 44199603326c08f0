//! Every call action and call command of the Calling API on [`Call`]: each returns its
//! typed handle once the server has accepted the start.

use super::action::{
    self, ActionHandle, AiAction, CollectAction, DetectAction, FaxAction, PayAction, PlayAction,
    PromptAction, RecordAction, SendDigitsAction, TapAction, TranscribeAction,
};
use super::call::Call;
use super::error::Error;
use crate::action::ai::{AiHold, AiMessage, AiOptions, AiUnhold};
use crate::action::collect::{CollectOptions, PromptOptions};
use crate::action::detect::{DetectOptions, Detector, FaxTone};
use crate::action::fax::{ReceiveFaxOptions, SendFaxOptions};
use crate::action::pay::PayOptions;
use crate::action::play::{PlayMedia, PlayOptions};
use crate::action::record::RecordOptions;
use crate::action::simple::{EchoOptions, SendDigitsOptions, TranscribeOptions};
use crate::action::tap::TapOptions;
use crate::action::ActionRequest;
use crate::payload::Payload;
use serde::Serialize;
use std::time::Duration;

impl Call {
    /// Starts any typed action and returns the generic handle.
    pub async fn start<R>(&self, request: R) -> Result<ActionHandle, Error>
    where
        R: ActionRequest + Send + 'static,
    {
        let id = self.id().clone();
        action::start(
            &self.client,
            id.clone(),
            request.kind(),
            move |engine, now| engine.start(&id, &request, now),
        )
        .await
        .map_err(|e| self.gone(e))
    }

    /// Sends a call command that is not an action (`node_id` and `call_id` are added) and
    /// waits for the server to accept. `params` is any value that serialises as a JSON
    /// object (a typed struct, a map, `json!({…})`); the result is kept as its text.
    pub async fn command<P>(&self, method: &str, params: P) -> Result<Payload, Error>
    where
        P: Serialize + Send + 'static,
    {
        let id = self.id().clone();
        let method = method.to_owned();
        self.client
            .ask(move |engine, now| engine.call_command(&id, &method, params, now))
            .await
            .map_err(|e| self.gone(e))
    }

    /// Plays media with every option (`calling.play`): volume, direction, loop, status url.
    pub async fn play_with(&self, options: PlayOptions) -> Result<PlayAction, Error> {
        self.start(options).await.map(PlayAction)
    }

    /// Says `text` (TTS with the default voice).
    pub async fn play_tts(&self, text: &str) -> Result<PlayAction, Error> {
        self.play_with(PlayOptions::new([PlayMedia::tts(text)]))
            .await
    }

    /// Plays the audio file at `url`.
    pub async fn play_audio(&self, url: &str) -> Result<PlayAction, Error> {
        self.play_with(PlayOptions::new([PlayMedia::audio(url)]))
            .await
    }

    /// Plays silence for `duration`.
    pub async fn play_silence(&self, duration: Duration) -> Result<PlayAction, Error> {
        let media = PlayMedia::silence(duration);
        self.play_with(PlayOptions::new([media])).await
    }

    /// Plays a country's ringtone (`us`, `uk`, …).
    pub async fn play_ringtone(&self, name: &str) -> Result<PlayAction, Error> {
        self.play_with(PlayOptions::new([PlayMedia::ringtone(name)]))
            .await
    }

    /// Records the call (`calling.record`, audio).
    pub async fn record(&self, options: RecordOptions) -> Result<RecordAction, Error> {
        self.start(options).await.map(RecordAction)
    }

    /// Collects digits or speech without a prompt (`calling.collect`).
    pub async fn collect(&self, options: CollectOptions) -> Result<CollectAction, Error> {
        self.start(options).await.map(CollectAction)
    }

    /// Plays a prompt, then collects (`calling.play_and_collect`).
    pub async fn play_and_collect(&self, options: PromptOptions) -> Result<PromptAction, Error> {
        self.start(options).await.map(PromptAction)
    }

    /// Says `text`, then collects.
    pub async fn prompt_tts(
        &self,
        text: &str,
        collect: CollectOptions,
    ) -> Result<PromptAction, Error> {
        self.play_and_collect(PromptOptions::new([PlayMedia::tts(text)], collect))
            .await
    }

    /// Plays the audio at `url`, then collects.
    pub async fn prompt_audio(
        &self,
        url: &str,
        collect: CollectOptions,
    ) -> Result<PromptAction, Error> {
        self.play_and_collect(PromptOptions::new([PlayMedia::audio(url)], collect))
            .await
    }

    /// Detects a machine, a fax tone or digits (`calling.detect`).
    pub async fn detect(&self, options: DetectOptions) -> Result<DetectAction, Error> {
        self.start(options).await.map(DetectAction)
    }

    /// Detects whether a person or a machine answered; with `wait_for_beep`, a machine
    /// result comes when its greeting is over.
    pub async fn detect_answering_machine(
        &self,
        wait_for_beep: bool,
    ) -> Result<DetectAction, Error> {
        self.detect(DetectOptions::new(Detector::machine()).wait_for_beep(wait_for_beep))
            .await
    }

    /// Detects a fax tone.
    pub async fn detect_fax(&self, tone: Option<FaxTone>) -> Result<DetectAction, Error> {
        self.detect(DetectOptions::new(Detector::Fax { tone }))
            .await
    }

    /// Detects a digit (any of `digits`, all when `None`).
    pub async fn detect_digit(&self, digits: Option<&str>) -> Result<DetectAction, Error> {
        let digits = digits.map(str::to_owned);
        self.detect(DetectOptions::new(Detector::Digit { digits }))
            .await
    }

    /// Copies the call's audio to an RTP or WebSocket endpoint (`calling.tap`).
    pub async fn tap(&self, options: TapOptions) -> Result<TapAction, Error> {
        self.start(options).await.map(TapAction)
    }

    /// Sends a fax (`calling.send_fax`).
    pub async fn send_fax(&self, options: SendFaxOptions) -> Result<FaxAction, Error> {
        self.start(options).await.map(FaxAction)
    }

    /// Receives a fax (`calling.receive_fax`).
    pub async fn receive_fax(&self, options: ReceiveFaxOptions) -> Result<FaxAction, Error> {
        self.start(options).await.map(FaxAction)
    }

    /// Takes a card payment (`calling.pay`).
    pub async fn pay(&self, options: PayOptions) -> Result<PayAction, Error> {
        self.start(options).await.map(PayAction)
    }

    /// Transcribes the call (`calling.transcribe`); one per call.
    pub async fn transcribe(&self, options: TranscribeOptions) -> Result<TranscribeAction, Error> {
        self.start(options).await.map(TranscribeAction)
    }

    /// Sends DTMF (`calling.send_digits`); the handle ends on `finished`.
    pub async fn send_digits(&self, digits: &str) -> Result<SendDigitsAction, Error> {
        self.start(SendDigitsOptions::new(digits))
            .await
            .map(SendDigitsAction)
    }

    /// Starts an AI agent (`calling.ai`).
    pub async fn ai(&self, options: AiOptions) -> Result<AiAction, Error> {
        self.start(options).await.map(AiAction)
    }

    /// A message into the running agent's conversation (`calling.ai_message`).
    pub async fn ai_message(&self, message: AiMessage) -> Result<(), Error> {
        self.send_command(message).await.map(|_| ())
    }

    /// Puts the caller on hold with the agent (`calling.ai_hold`).
    pub async fn ai_hold(
        &self,
        timeout: Option<Duration>,
        prompt: Option<&str>,
    ) -> Result<(), Error> {
        let hold = AiHold {
            timeout,
            prompt: prompt.map(str::to_owned),
        };
        self.send_command(hold).await.map(|_| ())
    }

    /// Takes the caller off hold (`calling.ai_unhold`).
    pub async fn ai_unhold(&self, prompt: Option<&str>) -> Result<(), Error> {
        let unhold = AiUnhold {
            prompt: prompt.map(str::to_owned),
        };
        self.send_command(unhold).await.map(|_| ())
    }

    /// The caller hears themselves (`calling.echo`); its events come as
    /// [`CallEvent::Echo`](crate::CallEvent::Echo).
    pub async fn echo(&self, options: EchoOptions) -> Result<(), Error> {
        self.send_command(options).await.map(|_| ())
    }
}
