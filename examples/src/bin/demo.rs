//! The whole job on this machine, no account needed: a local RELAY simulator offers a call, the
//! seed's app answers it and streams its inbound audio as PCMU with custom parameters, and a
//! stream receiver writes what arrives to `stream-demo.wav` and prints a summary.
//!
//! With `SIGNALWIRE_PROJECT_ID` set, the same app runs against the real service instead
//! (see `stream_tokio`). Flags: `--seconds N` (audio length, default 3), `--fast` (no 20 ms
//! pacing), `--out FILE` (default `stream-demo.wav`).

use examples::demo::{run_offline, DemoOptions};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("SIGNALWIRE_PROJECT_ID").is_some() {
        return match examples::live::run_tokio().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match DemoOptions::from_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\n\nusage: demo [--seconds N] [--fast] [--out FILE]");
            return ExitCode::from(2);
        }
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
