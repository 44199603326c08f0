//! The seed's app against the real service (or any RELAY server, such as `relay_sim`):
//! `SIGNALWIRE_*` and `STREAM_*` from the environment, the flags every live program shares,
//! ctrl-c for a graceful shutdown.

use crate::cli::{Flag, Parsed};
use crate::{handle_call, AppSettings};
use relay_tokio::{ClientBuilder, Error};
use std::sync::Arc;

/// The context the seed's example receives calls on unless `SIGNALWIRE_CONTEXTS` says otherwise.
pub const DEFAULT_CONTEXT: &str = "default";

/// The flags of `stream_tokio`, `stream_smol` and `stream_blocking`.
pub const FLAGS: &[Flag] = &[Flag::switch(
    "--insecure-loopback",
    "allow a ws:// STREAM_URL on a loopback host (a local stream receiver, for tests)",
)];

/// The environment those programs read.
pub const ENV: &[(&str, &str)] = crate::live_env!(
    (
        "STREAM_URL",
        "required: the wss:// url that receives the audio",
    ),
    ("STREAM_TOKEN", "bearer token the stream server expects"),
    (
        "STREAM_SECONDS",
        "stop each stream after N seconds (default: wait for it to end)",
    ),
);

/// The app's settings from the environment and the shared flags.
pub fn settings(parsed: &Parsed) -> Result<AppSettings, String> {
    let mut settings = AppSettings::from_env()?;
    settings.insecure_loopback = parsed.has("--insecure-loopback");
    Ok(settings)
}

/// `builder` with the seed's context and then the environment, which may name others.
pub fn client_builder(builder: ClientBuilder) -> Result<ClientBuilder, Error> {
    builder.contexts([DEFAULT_CONTEXT]).from_env()
}

/// Runs the app on tokio until ctrl-c or a final error.
pub async fn run_tokio(parsed: &Parsed) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Arc::new(settings(parsed)?);
    let client = client_builder(relay_tokio::client())?.build()?;
    client.on_call(move |call| {
        let settings = settings.clone();
        async move {
            match handle_call(call, &settings).await {
                Ok(_) => {}
                // The caller hanging up mid-call is how calls end, not a failure.
                Err(e) if e.is_call_gone() => println!("call done: the caller hung up"),
                Err(e) => eprintln!("call failed: {e}"),
            }
        }
    });
    let stopper = client.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.shutdown();
        }
    });
    client.run().await?;
    Ok(())
}
