//! The seed's voice app, written once: answer the call, stream its inbound audio as PCMU
//! with custom parameters, stop after a while or wait for the stream to end, hang up.
//!
//! The binaries only choose the runtime: `stream_tokio`, `stream_smol`, `stream_blocking`;
//! `demo` runs it offline against the local simulator, `relay_sim` is that simulator.
//! The IVR example (answer, a spoken menu, a voicemail, an answering machine on an outbound
//! dial) is [`ivr`], run by the `ivr` binary; the call centre (menu, connect to an agent with
//! a ringback, voicemail when the agent cannot answer) is [`call_centre`], run by
//! `call_centre`. The SMS auto-reply (answer each text by its keyword, follow the answer to
//! its final state) is [`sms_autoreply`], run by the `sms_autoreply` binary.
#![warn(missing_docs)]

pub mod call_centre;
pub mod cli;
pub mod demo;
pub mod ivr;
pub mod live;
pub mod media_server;
pub mod sms_autoreply;
pub mod voice_agent;

use relay_tokio::{ActionOutcome, Call, Codec, Error, StreamOptions, Track};
use std::time::Duration;

/// What the app needs to know besides the RELAY credentials.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Where the call audio goes (`wss://…`).
    pub stream_url: String,
    /// Bearer token the stream server expects, if any.
    pub bearer_token: Option<String>,
    /// Stop the stream after this long; `None` waits for it to end by itself.
    pub stream_for: Option<Duration>,
    /// Accept a `ws://` stream url on loopback (the offline demo).
    pub insecure_loopback: bool,
}

impl AppSettings {
    /// Reads `STREAM_URL` (required), `STREAM_TOKEN` and `STREAM_SECONDS`.
    pub fn from_env() -> Result<Self, String> {
        let stream_url = std::env::var("STREAM_URL")
            .map_err(|_| "set STREAM_URL to the wss:// url that receives the audio".to_owned())?;
        let stream_for = match std::env::var("STREAM_SECONDS") {
            Ok(s) => {
                Some(Duration::from_secs(s.parse().map_err(|_| {
                    format!("STREAM_SECONDS={s} is not a number")
                })?))
            }
            Err(_) => None,
        };
        Ok(Self {
            stream_url,
            bearer_token: std::env::var("STREAM_TOKEN").ok(),
            stream_for,
            insecure_loopback: false,
        })
    }

    /// The stream options of the seed's example: inbound track, PCMU, custom parameters.
    pub fn stream_options(&self, call: &Call) -> StreamOptions {
        let mut options = StreamOptions::new()
            .name("seed-stream")
            .track(Track::Inbound)
            .codec(Codec::Pcmu)
            .custom_parameter("call_id", call.id().as_str())
            .custom_parameter("from", call.from_number().unwrap_or_default())
            .custom_parameter("app", "relay-rs seed example")
            .allow_insecure_loopback(self.insecure_loopback);
        if let Some(token) = &self.bearer_token {
            options = options.authorization_bearer_token(token.clone());
        }
        options
    }
}

/// Answers, streams, stops or waits, hangs up. Returns how the stream ended.
pub async fn handle_call(call: Call, settings: &AppSettings) -> Result<ActionOutcome, Error> {
    println!(
        "call {} from {} to {}",
        call.id(),
        call.from_number().unwrap_or("?"),
        call.to_number().unwrap_or("?")
    );
    call.answer().await?;
    let stream = call
        .stream(&settings.stream_url, settings.stream_options(&call))
        .await?;
    stream.on_completed(|outcome| println!("stream completed: {}", describe(&outcome)));
    let outcome = match settings.stream_for {
        None => stream.wait().await?,
        Some(limit) => match stream.wait_timeout(limit).await {
            Err(Error::WaitTimedOut) => {
                stream.stop().await?;
                stream.wait().await?
            }
            other => other?,
        },
    };
    // `Ok` too when the caller hung up first: the call is over either way.
    call.hangup().await?;
    Ok(outcome)
}

/// A one-line account of how an action ended.
pub fn describe(outcome: &ActionOutcome) -> String {
    match outcome {
        ActionOutcome::Finished { state, .. } => format!("{state} (ended by the server)"),
        ActionOutcome::Stopped { .. } => "stopped by the app".into(),
        ActionOutcome::CallEnded => "the call ended".into(),
        ActionOutcome::CallGone(gone) => gone.to_string(),
        ActionOutcome::Unsuccessful { state, reason, .. } => match reason {
            Some(reason) => format!("did not stream: {state} ({reason})"),
            None => {
                format!("did not stream: {state} (no reason given; see the status_url webhook)")
            }
        },
        ActionOutcome::Failed(e) => format!("failed to start: {e}"),
        ActionOutcome::SessionClosed => "the client closed".into(),
        other => format!("{other:?}"),
    }
}
