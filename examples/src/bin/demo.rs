//! The whole job on this machine, no account needed: a local RELAY simulator offers a call, the
//! seed's app answers it and streams its inbound audio, and a stream receiver writes what
//! arrives to `stream-demo.wav` and prints a summary. `demo --help` lists the flags.

use examples::cli::{self, init_tracing};
use examples::demo::{run_offline, DemoOptions, PROGRAM};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_QUIET);
    let live = ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_JWT_TOKEN"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if live {
        return match examples::live::run_tokio(&parsed).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match DemoOptions::from_parsed(&parsed) {
        Ok(options) => options,
        Err(e) => PROGRAM.fail(&e),
    };
    match run_offline(relay_tokio::runtime(), &options).await {
        Ok(report) => {
            print!("{report}");
            if report.matches_source {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
