//! The seed's example on tokio: `SIGNALWIRE_*` and `STREAM_URL` from the environment;
//! ctrl-c shuts the client down gracefully.

use examples::cli::{self, init_tracing, Program};
use examples::live;
use std::process::ExitCode;

const PROGRAM: Program = Program {
    name: "stream_tokio",
    about: "The seed's app on tokio: receives calls on the contexts of SIGNALWIRE_CONTEXTS
(default: default), answers each, streams its inbound audio as PCMU with custom parameters
to STREAM_URL, stops after STREAM_SECONDS or waits for the stream to end, hangs up.
Ctrl-c shuts the client down gracefully.",
    positional: &[],
    flags: live::FLAGS,
    env: live::ENV,
};

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_SESSIONS);
    match live::run_tokio(&parsed).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stream_tokio: {e}");
            ExitCode::FAILURE
        }
    }
}
