//! The IVR example on tokio against the real service (`SIGNALWIRE_*`): answers calls on the
//! contexts of `SIGNALWIRE_CONTEXTS` (default: `default`) with a menu, or with `--dial` calls
//! a number and leaves a reminder, after the beep when a machine answers.

use examples::cli::{self, init_tracing, Program};
use examples::{ivr, live};
use std::process::ExitCode;

const PROGRAM: Program = Program {
    name: "ivr",
    about: "The IVR example on tokio. Without --dial: receives calls on the contexts of
SIGNALWIRE_CONTEXTS (default: default), answers each, says a menu and collects one key;
1 records a message after a beep (ends on silence or #), 2 says the time; then goodbye and
hang up. With --dial NUMBER --from NUMBER: calls NUMBER, detects an answering machine
(waiting for its beep), says a reminder and hangs up. Ctrl-c stops gracefully.",
    positional: &[],
    flags: ivr::FLAGS,
    env: ivr::ENV,
};

async fn run(parsed: &cli::Parsed) -> Result<(), Box<dyn std::error::Error>> {
    let client = live::client_builder(relay_tokio::client())?.build()?;
    let stopper = client.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.shutdown();
        }
    });
    if let Some(to) = parsed.value("--dial") {
        let from = parsed
            .value("--from")
            .ok_or("--dial needs --from NUMBER (a number of your space)")?;
        let running = client.clone();
        let session = tokio::spawn(async move { running.run().await });
        let reached = ivr::leave_reminder(&client, from, to).await;
        client.shutdown();
        let _ = session.await;
        println!("reached: {:?}", reached?);
        return Ok(());
    }
    client.on_call(|call| async move {
        match ivr::handle_inbound(call).await {
            Ok(outcome) => println!("call done: {outcome:?}"),
            Err(e) if e.is_call_gone() => println!("call done: the caller hung up ({e})"),
            Err(e) => eprintln!("call failed: {e}"),
        }
    });
    client.run().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_SESSIONS);
    match run(&parsed).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ivr: {e}");
            ExitCode::FAILURE
        }
    }
}
