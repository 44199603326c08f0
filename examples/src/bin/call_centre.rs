//! The call-centre example on tokio against the real service (`SIGNALWIRE_*`): answers calls
//! on the contexts of `SIGNALWIRE_CONTEXTS` (default: `default`), asks for a team by one key,
//! connects the caller to that team's agent with a ringback, and takes a voicemail after a
//! beep when the agent is busy or does not answer.

use examples::cli::{self, init_tracing, Program};
use examples::{call_centre, live};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const PROGRAM: Program = Program {
    name: "call_centre",
    about: "The call-centre example on tokio. Receives calls on the contexts of
SIGNALWIRE_CONTEXTS (default: default), answers each, says a menu and collects one key
(1 sales, 2 support), then connects the caller to that agent (--sales / --support) while
they hear a US ringtone. When the bridge ends (either side hangs up) the call is hung up.
When the agent is busy or does not answer within --ring seconds, the caller leaves a
voicemail after a beep. Ctrl-c stops gracefully.",
    positional: &[],
    flags: call_centre::FLAGS,
    env: call_centre::ENV,
};

fn agents(parsed: &cli::Parsed) -> Result<call_centre::Agents, String> {
    let need = |flag: &str| {
        parsed
            .value(flag)
            .map(str::to_owned)
            .ok_or(format!("{flag} NUMBER is required (see --help)"))
    };
    let ring = parsed
        .parsed::<u64>("--ring")
        .map_err(|e| e.to_string())?
        .unwrap_or(20);
    Ok(call_centre::Agents {
        from: need("--from")?,
        sales: need("--sales")?,
        support: need("--support")?,
        ring_for: Duration::from_secs(ring),
    })
}

async fn run(parsed: &cli::Parsed) -> Result<(), Box<dyn std::error::Error>> {
    let agents = Arc::new(agents(parsed)?);
    let client = live::client_builder(relay_tokio::client())?.build()?;
    let stopper = client.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.shutdown();
        }
    });
    client.on_call(move |call| {
        let agents = agents.clone();
        async move {
            match call_centre::handle_inbound(call, &agents).await {
                Ok(outcome) => println!("call done: {outcome:?}"),
                Err(e) if e.is_call_gone() => println!("call done: the caller hung up ({e})"),
                Err(e) => eprintln!("call failed: {e}"),
            }
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
            eprintln!("call_centre: {e}");
            ExitCode::FAILURE
        }
    }
}
