//! A voice agent on a two-way stream, offline by default: a local simulator's caller speaks,
//! the agent replies, clears on barge-in, writes `voice-agent.wav` and prints one line
//! `turns N, reply latency p50 X ms, p99 Y ms, barge-ins B`. `voice_agent --help` lists the
//! flags; with `SIGNALWIRE_*` set it runs against the real service.

use examples::cli::{self, init_tracing};
use examples::voice_agent::{
    offline_script, run_live, run_offline, AgentSettings, OfflineOptions, PROGRAM,
};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_QUIET);
    let live = ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_JWT_TOKEN"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if live {
        return match run_live(&parsed).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("voice_agent: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match OfflineOptions::from_parsed(&parsed) {
        Ok(options) => options,
        Err(e) => PROGRAM.fail(&e),
    };
    let settings = AgentSettings::default();
    match run_offline(
        relay_tokio::runtime(),
        &options,
        offline_script(),
        &settings,
    )
    .await
    {
        Ok(report) => {
            println!("{}", report.summary());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("voice_agent failed: {e}");
            ExitCode::FAILURE
        }
    }
}
