//! The SMS auto-reply example on tokio against the real service (`SIGNALWIRE_*`): answers
//! every text on the contexts of `SIGNALWIRE_CONTEXTS` (default: `default`) and logs what
//! became of each answer.

use examples::cli::{self, init_tracing, Program};
use examples::{live, sms_autoreply};
use std::process::ExitCode;

const PROGRAM: Program = Program {
    name: "sms_autoreply",
    about: "The SMS auto-reply example on tokio. Receives messages on the contexts of
SIGNALWIRE_CONTEXTS (default: default) and answers each from the number it was sent to:
HELP gets the help text, STOP the opt-out confirmation, anything else a thank-you quoting
it. Each answer is followed to its final state (delivered, undelivered or failed with the
carrier's reason), which is printed. Ctrl-c stops gracefully.",
    positional: &[],
    flags: &[],
    env: sms_autoreply::ENV,
};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client = live::client_builder(relay_tokio::client())?.build()?;
    let stopper = client.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.shutdown();
        }
    });
    let replier = client.clone();
    client.on_message(move |message| {
        let client = replier.clone();
        async move {
            sms_autoreply::auto_reply(&client, message).await;
        }
    });
    client.run().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let _parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_SESSIONS);
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sms_autoreply: {e}");
            ExitCode::FAILURE
        }
    }
}
