//! The seed's example on tokio: `SIGNALWIRE_*` and `STREAM_URL` from the environment.

use examples::{handle_call, AppSettings};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
