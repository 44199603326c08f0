//! The seed's example on smol: `SIGNALWIRE_*` and `STREAM_URL` from the environment;
//! ctrl-c shuts the client down gracefully.

use examples::cli::{self, init_tracing, Program};
use examples::{handle_call, live};
use std::sync::Arc;

const PROGRAM: Program = Program {
    name: "stream_smol",
    about: "The seed's app on smol: receives calls on the contexts of SIGNALWIRE_CONTEXTS
(default: default), answers each, streams its inbound audio as PCMU with custom parameters
to STREAM_URL, stops after STREAM_SECONDS or waits for the stream to end, hangs up.
Ctrl-c shuts the client down gracefully.",
    positional: &[],
    flags: live::FLAGS,
    env: live::ENV,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_SESSIONS);
    let settings = Arc::new(live::settings(&parsed)?);
    let client = live::client_builder(relay_smol::client())?.build()?;
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
    ctrlc::set_handler(move || stopper.shutdown())?;
    smol::block_on(client.run())?;
    Ok(())
}
