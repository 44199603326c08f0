//! The seed's example on smol: `SIGNALWIRE_*` and `STREAM_URL` from the environment;
//! ctrl-c shuts the client down gracefully.

use examples::{handle_call, AppSettings};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Arc::new(AppSettings::from_env()?);
    let client = relay_smol::client()
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
    ctrlc::set_handler(move || stopper.shutdown())?;
    smol::block_on(client.run())?;
    Ok(())
}
