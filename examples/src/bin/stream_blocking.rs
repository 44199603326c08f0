//! The seed's example from plain blocking code: one call at a time, no async anywhere.
//! `SIGNALWIRE_*` and `STREAM_URL` from the environment; ctrl-c stops after the current call.

use examples::AppSettings;
use relay_smol::blocking::BlockingClient;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = AppSettings::from_env()?;
    let client = BlockingClient::start(relay_smol::client().from_env()?.contexts(["office"]))?;
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
