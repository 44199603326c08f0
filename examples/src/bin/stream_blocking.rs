//! The seed's example from plain blocking code: one call at a time, no async anywhere.
//! `SIGNALWIRE_*` and `STREAM_URL` from the environment; ctrl-c stops after the current call.

use examples::cli::{self, init_tracing, Program};
use examples::live;
use relay_smol::blocking::BlockingClient;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const PROGRAM: Program = Program {
    name: "stream_blocking",
    about: "The seed's app from blocking code, one call at a time: receives calls on the
contexts of SIGNALWIRE_CONTEXTS (default: default), answers each, streams its inbound audio
as PCMU with custom parameters to STREAM_URL, stops after STREAM_SECONDS or waits for the
stream to end, hangs up. Ctrl-c stops after the current call.",
    positional: &[],
    flags: live::FLAGS,
    env: live::ENV,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_SESSIONS);
    let settings = live::settings(&parsed)?;
    let client = BlockingClient::start(live::client_builder(relay_smol::client())?)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;
    while !stop.load(Ordering::SeqCst) {
        let Some(call) = client.next_call(Duration::from_millis(500)) else {
            continue;
        };
        call.answer()?;
        let stream = call.stream(&settings.stream_url, settings.stream_options(&call.0))?;
        let outcome = match settings.stream_for {
            Some(limit) => match stream.wait_timeout(limit) {
                Ok(outcome) => outcome,
                Err(_) => {
                    stream.stop()?;
                    stream.wait()?
                }
            },
            None => stream.wait()?,
        };
        println!("stream ended: {outcome:?}");
        if !call.0.is_ended() {
            let _ = call.hangup();
        }
    }
    client.shutdown()?;
    Ok(())
}
