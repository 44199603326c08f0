//! Load tool: N concurrent calls, each answered and streamed, on one RELAY connection.
//! The simulator runs in a child process (this binary with `--serve`), so the memory
//! figure is the client's alone. Reports calls set up per second, event throughput, latency
//! from the server's event to the user's code (median and 99th percentile), and memory per
//! active call, as one JSON line. `load --help` lists the flags.
//!
//! Built with the feature `dhat-heap` and run with `--heap-profile FILE`, the client's
//! allocations are counted too: the report adds the live heap bytes per active call, and
//! FILE (open it in valgrind's `dh_view.html`) shows which allocation sites hold them. FILE is
//! written once every call streams, so its end-of-run figures are the active calls' heap.

use examples::cli::{self, init_tracing, CliError, Flag, Program, RUST_LOG};
use relay_tokio::testkit::{SimConfig, SimServerBuilder};
use relay_tokio::transport::Runtime;
use relay_tokio::{ClientBuilder, Codec, StreamOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const PROJECT: &str = "load-project";
const TOKEN: &str = "load-token";
const CONTEXT: &str = "load";

const PROGRAM: Program = Program {
    name: "load",
    about: "Load tool: N concurrent calls, each answered and streamed, on one RELAY connection.
The simulator runs in a child process (this program with --serve), so the memory figure is
the client's alone. Prints one JSON line: calls set up per second, event throughput, latency
from the server's event to the user's code (median, 99th percentile), memory per call.",
    positional: &[],
    flags: &[
        Flag::value(
            "--runtime",
            "tokio|smol",
            "the client's runtime (default tokio)",
        ),
        Flag::value("--calls", "N", "concurrent calls (default 10000)"),
        Flag::value(
            "--rate",
            "PER_S",
            "calls ended per second at the end (default 5000)",
        ),
        Flag::value(
            "--heap-profile",
            "FILE",
            "count the client's allocations (a build with --features dhat-heap): live heap per \
             call in the report, the heap profile in FILE",
        ),
        Flag::switch(
            "--serve",
            "internal: be the simulator side, driven by commands on stdin",
        ),
    ],
    env: &[RUST_LOG],
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parsed = PROGRAM.parse_env_args();
    init_tracing(cli::LOG_QUIET);
    if parsed.has("--serve") {
        return serve();
    }
    let read = || -> Result<(String, usize, u64), CliError> {
        let runtime = parsed.value("--runtime").unwrap_or("tokio").to_owned();
        if runtime != "tokio" && runtime != "smol" {
            return Err(CliError::Usage(format!(
                "--runtime {runtime:?}: give tokio or smol"
            )));
        }
        Ok((
            runtime,
            parsed.parsed("--calls")?.unwrap_or(10_000),
            parsed.parsed("--rate")?.unwrap_or(5_000),
        ))
    };
    let (runtime, calls, rate) = read().unwrap_or_else(|e| PROGRAM.fail(&e.to_string()));
    let heap_profile = parsed.value("--heap-profile").map(str::to_owned);
    if heap_profile.is_some() && cfg!(not(feature = "dhat-heap")) {
        PROGRAM.fail("--heap-profile needs a build with --features dhat-heap");
    }
    // Counts only this process: the simulator is a child with its own allocator.
    #[cfg(feature = "dhat-heap")]
    {
        *PROFILER.lock().unwrap_or_else(|e| e.into_inner()) = heap_profile
            .as_deref()
            .map(|file| dhat::Profiler::builder().file_name(file).build());
    }
    let report = match runtime.as_str() {
        "tokio" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(drive(
                relay_tokio::runtime(),
                calls,
                rate,
                heap_profile.is_some(),
            ))?,
        "smol" => smol::block_on(drive(
            relay_smol::runtime(),
            calls,
            rate,
            heap_profile.is_some(),
        ))?,
        other => return Err(format!("unknown runtime {other:?}").into()),
    };
    println!(
        "{}",
        serde_json::json!({ "runtime": runtime, "calls": calls, "report": report })
    );
    Ok(())
}

/// The simulator side: serves on a free port and obeys `offer N` / `end RATE` on stdin.
fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // Streams stay open until the call ends: no media sockets, only RELAY frames.
        let config = SimConfig::new()
            .credentials(PROJECT, TOKEN)
            .auto_media(Duration::from_secs(24 * 3600))
            .record_frames(false);
        let runtime = relay_tokio::runtime();
        let sim = SimServerBuilder::new(config).start(runtime.clone()).await?;
        let mut out = std::io::stdout();
        writeln!(out, "host {}", sim.host())?;
        out.flush()?;
        let (lines_tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let line = match lines.try_recv() {
                Ok(line) => line,
                Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
                Err(mpsc::TryRecvError::Empty) => {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
            };
            let mut words = line.split_whitespace();
            match (
                words.next(),
                words.next().and_then(|n| n.parse::<u64>().ok()),
            ) {
                (Some("offer"), Some(n)) => {
                    let offered = sim.offer_calls(runtime.as_ref(), CONTEXT, n).await;
                    writeln!(out, "offered {offered}")?;
                }
                (Some("end"), Some(rate)) => {
                    let ids = sim
                        .with_relay(|relay, _| relay.call_ids())
                        .await
                        .unwrap_or_default();
                    // Paced in 5 ms slices so the latency measured is not queueing behind a
                    // single 10,000-event burst.
                    let per_slice = (rate / 200).max(1) as usize;
                    let began = Instant::now();
                    for (slice, chunk) in ids.chunks(per_slice).enumerate() {
                        let due = began + Duration::from_millis(5 * slice as u64);
                        tokio::time::sleep(due.saturating_duration_since(Instant::now())).await;
                        let chunk = chunk.to_vec();
                        let stamp = unix_nanos();
                        sim.with_relay(move |relay, now| {
                            for id in &chunk {
                                relay.end_call(id, "hangup", now);
                            }
                        })
                        .await;
                        for id in ids.iter().skip(slice * per_slice).take(per_slice) {
                            writeln!(out, "t {id} {stamp}")?;
                        }
                    }
                    writeln!(out, "ended {}", ids.len())?;
                }
                _ => writeln!(out, "error unknown command {line:?}")?,
            }
            out.flush()?;
        }
    })
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// The heap profiler of `--heap-profile`, stopped (its file written) once every call streams.
#[cfg(feature = "dhat-heap")]
static PROFILER: Mutex<Option<dhat::Profiler>> = Mutex::new(None);

/// Live heap bytes, live blocks and blocks allocated so far, when the allocator counts them
/// (`--heap-profile` on a `dhat-heap` build).
fn heap_stats(counting: bool) -> Option<(u64, u64, u64)> {
    #[cfg(feature = "dhat-heap")]
    if counting {
        let stats = dhat::HeapStats::get();
        return Some((
            stats.curr_bytes as u64,
            stats.curr_blocks as u64,
            stats.total_blocks,
        ));
    }
    let _ = counting;
    None
}

/// Writes the heap profile now: its end-of-run figures (`eb`, `ebk`) are then the live heap
/// of the active calls, which heap_sites.py --active reads.
fn write_heap_profile() {
    #[cfg(feature = "dhat-heap")]
    drop(PROFILER.lock().unwrap_or_else(|e| e.into_inner()).take());
}

/// The resident bytes that /proc/self/status gives under `field` (`VmRSS`: all of them;
/// `RssAnon`: heap and stacks, without the code and files mapped in), 0 where there is none.
fn status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

async fn drive(
    rt: Arc<dyn Runtime>,
    calls: usize,
    rate: u64,
    counting: bool,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_sim = child.stdin.take().ok_or("no stdin")?;
    let (lines_tx, from_sim) = mpsc::channel::<String>();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = |prefix: &str| -> Result<String, String> {
        loop {
            let line = from_sim
                .recv_timeout(Duration::from_secs(300))
                .map_err(|_| format!("the simulator stopped before {prefix:?}"))?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.trim().to_owned());
            }
        }
    };
    let host = next_line("host ")?;

    let client = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(host)
        .allow_insecure_loopback(true)
        .contexts([CONTEXT])
        .max_active_calls(calls + 1)
        .build()?;
    let streaming = Arc::new(AtomicUsize::new(0));
    let ended: Arc<Mutex<Vec<(String, u128)>>> = Arc::new(Mutex::new(Vec::with_capacity(calls)));
    let (s, e) = (streaming.clone(), ended.clone());
    client.on_call(move |call| {
        let (streaming, ended) = (s.clone(), e.clone());
        async move {
            if call.answer().await.is_err() {
                return;
            }
            let options = StreamOptions::new()
                .codec(Codec::Pcmu)
                .custom_parameter("load", true);
            let Ok(_stream) = call.stream("wss://media.example.com/load", options).await else {
                return;
            };
            streaming.fetch_add(1, Ordering::Relaxed);
            if call.wait_for_ended().await.is_ok() {
                let at = unix_nanos();
                if let Ok(mut ended) = ended.lock() {
                    ended.push((call.id().as_str().to_owned(), at));
                }
            }
        }
    });
    let runner = client.clone();
    rt.spawn(Box::pin(async move {
        let _ = runner.run().await;
    }));

    let rss_before = status_bytes("VmRSS");
    let anon_before = status_bytes("RssAnon");
    let heap_before = heap_stats(counting);
    let setup_began = Instant::now();
    writeln!(to_sim, "offer {calls}")?;
    to_sim.flush()?;
    let mut last_report = Instant::now();
    while streaming.load(Ordering::Relaxed) < calls {
        if setup_began.elapsed() > Duration::from_secs(600) {
            return Err("calls did not all start streaming within 600 s".into());
        }
        if last_report.elapsed() > Duration::from_secs(1) {
            eprintln!("streaming {}/{calls}", streaming.load(Ordering::Relaxed));
            last_report = Instant::now();
        }
        rt.sleep(Duration::from_millis(5)).await;
    }
    let setup = setup_began.elapsed();
    let rss_active = status_bytes("VmRSS");
    let anon_active = status_bytes("RssAnon");
    let heap_active = heap_stats(counting);
    write_heap_profile();
    eprintln!("{calls} calls streaming after {:.2} s", setup.as_secs_f64());

    writeln!(to_sim, "end {rate}")?;
    to_sim.flush()?;
    let mut emitted = std::collections::HashMap::with_capacity(calls);
    loop {
        let line = from_sim
            .recv_timeout(Duration::from_secs(300))
            .map_err(|_| "the simulator stopped while ending calls")?;
        if line.starts_with("ended ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("t ") {
            let mut parts = rest.split_whitespace();
            if let (Some(id), Some(stamp)) = (parts.next(), parts.next()) {
                emitted.insert(id.to_owned(), stamp.parse::<u128>().unwrap_or(0));
            }
        }
    }
    let wait_began = Instant::now();
    while ended.lock().map(|e| e.len()).unwrap_or(0) < calls {
        if wait_began.elapsed() > Duration::from_secs(120) {
            break;
        }
        rt.sleep(Duration::from_millis(5)).await;
    }
    client.shutdown();
    drop(to_sim);
    let _ = child.wait();

    let ended = ended.lock().map(|e| e.clone()).unwrap_or_default();
    let mut latencies_us: Vec<f64> = ended
        .iter()
        .filter_map(|(id, at)| {
            emitted
                .get(id)
                .map(|sent| (*at as f64 - *sent as f64) / 1000.0)
        })
        .collect();
    latencies_us.sort_by(f64::total_cmp);
    let pick = |q: f64| -> f64 {
        if latencies_us.is_empty() {
            return f64::NAN;
        }
        latencies_us[((latencies_us.len() - 1) as f64 * q).round() as usize]
    };
    // Frames the client handled while setting up: receive event, answer reply, answered
    // state event, stream reply, streaming event; while ending: stream finished (with the call),
    // ending and ended state events. Each server event is also acked.
    let setup_frames = 5.0 * calls as f64;
    Ok(serde_json::json!({
        "ended": ended.len(),
        "setup_s": setup.as_secs_f64(),
        "calls_per_s": calls as f64 / setup.as_secs_f64(),
        "setup_frames_per_s": setup_frames / setup.as_secs_f64(),
        "latency_us_p50": pick(0.5),
        "latency_us_p99": pick(0.99),
        "latency_us_max": pick(1.0),
        "end_rate_per_s": rate,
        "rss_before_bytes": rss_before,
        "rss_active_bytes": rss_active,
        "bytes_per_call": (rss_active.saturating_sub(rss_before)) as f64 / calls as f64,
        // The same without the pages of code and libraries that the set-up runs for the
        // first time (a fixed ~1 MiB, not a cost of each call).
        "anon_bytes_per_call": (anon_active.saturating_sub(anon_before)) as f64 / calls as f64,
        "heap_bytes_per_call": heap_before.zip(heap_active)
            .map(|(before, active)| active.0.saturating_sub(before.0) as f64 / calls as f64),
        // Blocks live per active call, and blocks allocated per call while setting up (each
        // call answered and streamed, with everything the client did meanwhile).
        "heap_blocks_per_call": heap_before.zip(heap_active)
            .map(|(before, active)| active.1.saturating_sub(before.1) as f64 / calls as f64),
        "allocations_per_call": heap_before.zip(heap_active)
            .map(|(before, active)| active.2.saturating_sub(before.2) as f64 / calls as f64),
        "latencies_us": latencies_us.iter().step_by((latencies_us.len() / 2000).max(1)).collect::<Vec<_>>(),
    }))
}
