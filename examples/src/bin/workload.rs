//! The benchmark workload, the same one the Python SDK runs (`scripts/bench/python_load.py`):
//! answer every inbound call, start one stream on it, wait for the stream to finish; exit once
//! `BENCH_CALLS` streams finished. With `BENCH_MODE=receive` it only takes the offered calls
//! (the workload a client that cannot answer can still run). Credentials and host from
//! `SIGNALWIRE_*`. `workload --help` lists the variables.

use examples::cli::{self, init_tracing, Program, RUST_LOG};
use relay_tokio::transport::Runtime;
use relay_tokio::{ActionOutcome, Client, ClientBuilder, Codec, StreamOptions, Track};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROGRAM: Program = Program {
    name: "workload",
    about: "The benchmark workload (the one scripts/bench runs on each client): answer every
inbound call on the context office, start one stream on it, wait for the stream to finish;
exit once BENCH_CALLS streams finished, then print one JSON line.",
    positional: &[("RUNTIME", "tokio (default) or smol")],
    flags: &[],
    env: &[
        (
            "SIGNALWIRE_PROJECT_ID",
            "project id (with SIGNALWIRE_API_TOKEN)",
        ),
        ("SIGNALWIRE_API_TOKEN", "API token"),
        (
            "SIGNALWIRE_JWT_TOKEN",
            "a JWT instead of project id and token",
        ),
        ("SIGNALWIRE_SPACE", "the server's host:port"),
        (
            "SIGNALWIRE_RELAY_SCHEME",
            "ws for a plain-WebSocket server on loopback",
        ),
        ("SIGNALWIRE_RELAY_CA_FILE", "extra CA (PEM) to trust"),
        (
            "SIGNALWIRE_CONTEXTS",
            "more contexts to receive on besides office, comma list",
        ),
        (
            "BENCH_CALLS",
            "streams to finish before exiting (default 1000)",
        ),
        (
            "BENCH_MODE",
            "receive: only take the offered calls, do not answer",
        ),
        (
            "BENCH_TIMEOUT",
            "give up after this many seconds (default 120)",
        ),
        (
            "BENCH_TOKIO_FLAVOR",
            "current (default: one thread) or multi (work-stealing threads)",
        ),
        RUST_LOG,
    ],
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_QUIET);
    let runtime = parsed.positional(0).unwrap_or("tokio").to_owned();
    if runtime != "tokio" && runtime != "smol" {
        PROGRAM.fail(&format!("unknown runtime {runtime:?}: give tokio or smol"));
    }
    let calls: usize = std::env::var("BENCH_CALLS")
        .unwrap_or_else(|_| "1000".into())
        .parse()?;
    let began = Instant::now();
    match runtime.as_str() {
        // One thread by default: the client is one event loop, and a work-stealing pool only
        // adds cross-thread wake-ups per frame (see BENCHMARKS.md, "where the time goes").
        "tokio" => match std::env::var("BENCH_TOKIO_FLAVOR").as_deref() {
            Ok("multi") => tokio::runtime::Builder::new_multi_thread(),
            _ => tokio::runtime::Builder::new_current_thread(),
        }
        .enable_all()
        .build()?
        .block_on(serve(relay_tokio::runtime(), calls))?,
        "smol" => smol::block_on(serve(relay_smol::runtime(), calls))?,
        other => return Err(format!("unknown runtime {other:?}").into()),
    }
    println!(
        "{}",
        serde_json::json!({"client": format!("relay-rs ({runtime})"), "calls": calls,
            "wall_s": began.elapsed().as_secs_f64()})
    );
    Ok(())
}

async fn serve(rt: Arc<dyn Runtime>, calls: usize) -> Result<(), Box<dyn std::error::Error>> {
    let client: Client = ClientBuilder::new(rt.clone())
        .from_env()?
        .contexts(["office"])
        .max_active_calls(calls.max(1) * 2)
        .build()?;
    let receive_only = std::env::var("BENCH_MODE").is_ok_and(|m| m == "receive");
    let finished = Arc::new(AtomicUsize::new(0));
    let done = finished.clone();
    let stopper = client.clone();
    client.on_call(move |call| {
        let (done, stopper) = (done.clone(), stopper.clone());
        async move {
            if receive_only {
                if done.fetch_add(1, Ordering::SeqCst) + 1 == calls {
                    stopper.shutdown();
                }
                return;
            }
            if call.answer().await.is_err() {
                return;
            }
            let options = StreamOptions::new()
                .codec(Codec::Pcmu)
                .track(Track::Inbound);
            let Ok(stream) = call.stream("wss://media.example.com/bench", options).await else {
                return;
            };
            if let Ok(ActionOutcome::Finished { .. }) = stream.wait().await {
                if done.fetch_add(1, Ordering::SeqCst) + 1 == calls {
                    stopper.shutdown();
                }
            }
        }
    });
    let watchdog = client.clone();
    let timeout: u64 = std::env::var("BENCH_TIMEOUT")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(120);
    rt.spawn(Box::pin({
        let rt = rt.clone();
        async move {
            rt.sleep(Duration::from_secs(timeout)).await;
            watchdog.shutdown();
        }
    }));
    client.run().await?;
    let finished = finished.load(Ordering::SeqCst);
    if finished < calls {
        return Err(format!("only {finished} of {calls} streams finished").into());
    }
    Ok(())
}
