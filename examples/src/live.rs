//! The seed's app against the real service (or any RELAY server): `SIGNALWIRE_*` and
//! `STREAM_URL` from the environment, ctrl-c for a graceful shutdown.

use crate::{handle_call, AppSettings};
use std::sync::Arc;

/// Runs the app on tokio until ctrl-c or a final error.
pub async fn run_tokio() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Arc::new(AppSettings::from_env()?);
    let client = relay_tokio::client()
        .from_env()?
        .contexts(["office"])
        .build()?;
    client.on_call(move |call| {
        let settings = settings.clone();
        async move {
            if let Err(e) = handle_call(call, &settings).await {
                eprintln!("call failed: {e}");
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
