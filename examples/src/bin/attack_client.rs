//! A hostile RELAY server against the relay-tokio client (issue 17), on loopback only and
//! bounded in time and count: each case runs in a child process of its own (so that its peak
//! RSS is its own), prints one line with its figures, and the program exits 1 if a goal is
//! missed.

use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use examples::cli::{CliError, Flag, Program};
use futures_util::{SinkExt, StreamExt};
use relay_tokio::{Device, DialPlan, Error};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

const PROGRAM: Program = Program {
    name: "attack_client",
    about: "Runs a hostile RELAY server on 127.0.0.1 against the relay-tokio client, one case at
a time, each in a child process: quadratic-peers (forged peers, then connected events with no
peer), forged-legs (legs under a dial's tag and peers of a call that never connected, then a
real offer), outgoing-queue (a server that stops reading and pings with huge ids),
log-flood (hostile events, counted log bytes) and blocking-handler (a handler that sleeps 3 s
on a current-thread runtime). One line per case with its figures (ack rate, ping answer gap,
peak RSS from /proc/self/status VmHWM, log bytes); exit status 1 if a goal is missed.",
    positional: &[],
    flags: &[
        Flag::value(
            "--only",
            "CASE",
            "run this case only (quadratic-peers, forged-legs, outgoing-queue, log-flood, \
             blocking-handler)",
        ),
        Flag::value(
            "--scale",
            "PERCENT",
            "event counts in percent of the issue's (default 100; 10 for a quick run)",
        ),
        Flag::value("--case", "CASE", "internal: run one case in this process"),
    ],
    env: &[],
};

const CASES: [&str; 5] = [
    "quadratic-peers",
    "forged-legs",
    "outgoing-queue",
    "log-flood",
    "blocking-handler",
];
/// A child that takes longer is killed and its case failed.
const CASE_DEADLINE: Duration = Duration::from_secs(40);
const PING_EVERY: Duration = Duration::from_millis(200);

fn main() {
    let parsed = PROGRAM.parse_env_args();
    let scale = parsed
        .parsed::<u64>("--scale")
        .and_then(|s| match s {
            Some(0) => Err(CliError::Usage("--scale must be positive".into())),
            Some(s) if s > 100 => Err(CliError::Usage("--scale is at most 100".into())),
            other => Ok(other.unwrap_or(100)),
        })
        .unwrap_or_else(|e| PROGRAM.fail(&e.to_string()));
    if let Some(case) = parsed.value("--case") {
        if !CASES.contains(&case) {
            PROGRAM.fail(&format!("unknown case {case:?}"));
        }
        let ok = run_case(case, scale);
        std::process::exit(if ok { 0 } else { 1 });
    }
    let only = parsed.value("--only");
    if let Some(only) = only {
        if !CASES.contains(&only) {
            PROGRAM.fail(&format!("unknown case {only:?}"));
        }
    }
    let mut failed = 0;
    for case in CASES.iter().filter(|c| only.is_none_or(|o| o == **c)) {
        if !spawn_case(case, scale) {
            failed += 1;
        }
    }
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

/// Runs one case in a child process, bounded by [`CASE_DEADLINE`]; whether it met its goal.
fn spawn_case(case: &str, scale: u64) -> bool {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            println!("case {case}: cannot find this program ({e}), FAILED");
            return false;
        }
    };
    let child = Command::new(exe)
        .args(["--case", case, "--scale", &scale.to_string()])
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            println!("case {case}: cannot start ({e}), FAILED");
            return false;
        }
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if started.elapsed() > CASE_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                println!("case {case}: still running after {CASE_DEADLINE:?}, FAILED");
                return false;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                println!("case {case}: {e}, FAILED");
                return false;
            }
        }
    }
}

/// Bytes the client's log lines took (written nowhere).
static LOG_BYTES: AtomicU64 = AtomicU64::new(0);

struct CountingWriter;

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG_BYTES.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run_case(case: &str, scale: u64) -> bool {
    // Every log line of the client at INFO and above is formatted and counted.
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_writer(|| CountingWriter)
        .with_ansi(false)
        .init();
    let n = |full: u64| (full * scale / 100).max(1) as usize;
    let runtime = if case == "blocking-handler" {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            println!("case {case}: no runtime ({e}), FAILED");
            return false;
        }
    };
    let result = runtime.block_on(async {
        match case {
            "quadratic-peers" => quadratic_peers(n(60_000), n(20_000)).await,
            "forged-legs" => forged_legs(n(200_000)).await,
            "outgoing-queue" => outgoing_queue(n(100_000)).await,
            "log-flood" => log_flood(n(1_000_000)).await,
            _ => blocking_handler().await,
        }
    });
    let (figures, ok) = match result {
        Ok(outcome) => outcome,
        Err(e) => (format!("error: {e}"), false),
    };
    println!(
        "case {case}: {figures}, peak RSS {} MB, log {} bytes, {}",
        peak_rss_kb() / 1024,
        LOG_BYTES.load(Ordering::Relaxed),
        if ok { "ok" } else { "FAILED" }
    );
    let _ = std::io::stdout().flush();
    ok
}

/// `VmHWM` of /proc/self/status, in kB (0 where there is none).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
type Sink = async_tungstenite::WebSocketSender<Compat<TcpStream>>;
type Source = async_tungstenite::WebSocketReceiver<Compat<TcpStream>>;

/// What the hostile server saw of the client.
#[derive(Default)]
struct Seen {
    acks: AtomicUsize,
    first_event: Mutex<Option<Instant>>,
    last_ack: Mutex<Option<Instant>>,
    pings: Mutex<HashMap<String, (Instant, Option<Duration>)>>,
    requests: Mutex<Vec<Value>>,
}

impl Seen {
    fn ack_rate(&self) -> f64 {
        let first = *self.first_event.lock().unwrap_or_else(|e| e.into_inner());
        let last = *self.last_ack.lock().unwrap_or_else(|e| e.into_inner());
        match (first, last) {
            (Some(first), Some(last)) if last > first => {
                self.acks.load(Ordering::Relaxed) as f64 / (last - first).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// The longest a ping waited for its answer (unanswered ones: until now).
    fn max_ping_gap(&self) -> Duration {
        let pings = self.pings.lock().unwrap_or_else(|e| e.into_inner());
        pings
            .values()
            .map(|(sent, took)| took.unwrap_or_else(|| sent.elapsed()))
            .max()
            .unwrap_or_default()
    }

    fn requests(&self, method: &str) -> Vec<Value> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|r| r["method"] == method)
            .cloned()
            .collect()
    }
}

/// The server's side of one connection: the sink behind a lock (the reader answers
/// requests on it while a flood writes).
struct Server {
    sink: Arc<tokio::sync::Mutex<Sink>>,
    seen: Arc<Seen>,
}

impl Server {
    /// Listens on 127.0.0.1, accepts one client, answers its `signalwire.connect`; with
    /// `read`, a task then reads on: acks counted, pings timed, calling requests answered 200.
    async fn start(read: bool) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<Server>>)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let ws = async_tungstenite::accept_async(tcp.compat()).await?;
            let (mut sink, mut source) = ws.split();
            let connect = loop {
                match source.next().await {
                    Some(Ok(Message::Text(text))) => break serde_json::from_str::<Value>(&text)?,
                    Some(Ok(_)) => continue,
                    _ => return Err("the client left before connecting".into()),
                }
            };
            let answer = json!({"jsonrpc": "2.0", "id": connect["id"],
                "result": {"protocol": "attack", "identity": "attack"}});
            sink.send(Message::text(answer.to_string())).await?;
            let server = Server {
                sink: Arc::new(tokio::sync::Mutex::new(sink)),
                seen: Arc::new(Seen::default()),
            };
            if read {
                tokio::spawn(read_loop(source, server.sink.clone(), server.seen.clone()));
            } else {
                // Never read again, but keep the socket open.
                tokio::spawn(async move {
                    tokio::time::sleep(CASE_DEADLINE).await;
                    drop(source);
                });
            }
            Ok(server)
        });
        Ok((addr, task))
    }

    async fn send_all(&self, frames: impl IntoIterator<Item = String>) -> Result<()> {
        let mut first = true;
        let mut sink = self.sink.lock().await;
        for (i, frame) in frames.into_iter().enumerate() {
            if first {
                first = false;
                let mut at = self
                    .seen
                    .first_event
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                at.get_or_insert_with(Instant::now);
            }
            sink.feed(Message::text(frame)).await?;
            if i % 512 == 511 {
                sink.flush().await?;
                // Let the reader answer requests between batches.
                drop(sink);
                tokio::task::yield_now().await;
                sink = self.sink.lock().await;
            }
        }
        sink.flush().await?;
        Ok(())
    }

    /// Pings every 200 ms for `span`, timing each answer.
    fn ping_for(&self, span: Duration) -> tokio::task::JoinHandle<()> {
        let sink = self.sink.clone();
        let seen = self.seen.clone();
        tokio::spawn(async move {
            let end = Instant::now() + span;
            let mut n = 0;
            while Instant::now() < end {
                let id = format!("ping-{n}");
                n += 1;
                let ping = json!({"jsonrpc": "2.0", "id": id, "method": "signalwire.ping",
                    "params": {}});
                seen.pings
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, (Instant::now(), None));
                let _ = sink
                    .lock()
                    .await
                    .send(Message::text(ping.to_string()))
                    .await;
                tokio::time::sleep(PING_EVERY).await;
            }
        })
    }
}

async fn read_loop(mut source: Source, sink: Arc<tokio::sync::Mutex<Sink>>, seen: Arc<Seen>) {
    while let Some(Ok(message)) = source.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let id = frame["id"].as_str().unwrap_or_default().to_owned();
        if frame.get("method").is_some() {
            // A request of the client: calling.* get 200, pings an empty result.
            let result = match frame["method"].as_str() {
                Some("signalwire.ping") => json!({}),
                _ => json!({"code": "200", "message": "OK"}),
            };
            seen.requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(frame);
            let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
            let _ = sink
                .lock()
                .await
                .send(Message::text(answer.to_string()))
                .await;
            continue;
        }
        if let Some(entry) = seen
            .pings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&id)
        {
            entry.1.get_or_insert_with(|| entry.0.elapsed());
            continue;
        }
        seen.acks.fetch_add(1, Ordering::Relaxed);
        *seen.last_ack.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
}

fn event(id: &str, event_type: &str, params: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":"{id}","method":"signalwire.event","params":{{"event_type":"{event_type}","params":{params}}}}}"#
    )
}

fn offer(id: &str, call_id: &str) -> String {
    event(
        id,
        "calling.call.receive",
        &format!(
            r#"{{"call_id":"{call_id}","node_id":"n1","context":"office","call_state":"ringing","direction":"inbound","device":{{"type":"phone","params":{{"from_number":"+15550001","to_number":"+15550002"}}}}}}"#
        ),
    )
}

fn client_of(addr: SocketAddr) -> relay_tokio::ClientBuilder {
    relay_tokio::client()
        .project_token("attack-project", "attack-token")
        .host(addr.to_string())
        .allow_insecure_loopback(true)
        .contexts(["office"])
        .seed(17)
}

/// Waits until `done` or `limit` passes; whether `done` held.
async fn until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

/// Case 3: `peers` forged peers on a call that never connected, then `events` connected
/// events without a peer, with 5,000 real calls tracked.
async fn quadratic_peers(peers: usize, events: usize) -> Result<(String, bool)> {
    const CALLS: usize = 5_000;
    let (addr, server) = Server::start(true).await?;
    let client = client_of(addr).max_active_calls(100_000).build()?;
    client.on_call(|_call| async {});
    let runner = client.clone();
    tokio::spawn(async move { runner.run().await });
    let server = server.await??;
    let pinger = server.ping_for(Duration::from_secs(60));
    server
        .send_all((0..CALLS).map(|i| offer(&format!("o{i}"), &format!("c{i}"))))
        .await?;
    server
        .send_all((0..peers).map(|i| {
            event(
                &format!("p{i}"),
                "calling.call.connect",
                &format!(
                    r#"{{"call_id":"c0","node_id":"n1","connect_state":"connected","peer":{{"call_id":"peer{i}","node_id":"n1"}}}}"#
                ),
            )
        }))
        .await?;
    server
        .send_all((0..events).map(|i| {
            event(
                &format!("x{i}"),
                "calling.call.connect",
                &format!(
                    r#"{{"call_id":"c{}","node_id":"n1","connect_state":"connected"}}"#,
                    i % CALLS
                ),
            )
        }))
        .await?;
    let total = CALLS + peers + events;
    let seen = server.seen.clone();
    let all = until(Duration::from_secs(25), || {
        seen.acks.load(Ordering::Relaxed) >= total
    })
    .await;
    pinger.abort();
    let rate = seen.ack_rate();
    let gap = seen.max_ping_gap();
    client.shutdown();
    let ok = all && rate >= 5_000.0 && gap < Duration::from_secs(1);
    Ok((
        format!(
            "{peers} forged peers + {events} connected events, {CALLS} calls tracked, acks {}/{total} at {:.0}/s, max ping gap {} ms",
            seen.acks.load(Ordering::Relaxed),
            rate,
            gap.as_millis()
        ),
        ok,
    ))
}

/// Case 4: `count` legs under a pending dial's tag and `count` peers of a call that never
/// asked to connect, then a real offer, which must be taken (answered), not passed.
async fn forged_legs(count: usize) -> Result<(String, bool)> {
    let (addr, server) = Server::start(true).await?;
    let client = client_of(addr).build()?;
    client.on_call(|call| async move {
        let _ = call.answer().await;
    });
    let runner = client.clone();
    tokio::spawn(async move { runner.run().await });
    let server = server.await??;
    let dialer = client.clone();
    tokio::spawn(async move {
        let _ = dialer
            .dial(DialPlan::single(
                Device::phone().from("+15550001").to("+15550002"),
            ))
            .await;
    });
    let seen = server.seen.clone();
    if !until(Duration::from_secs(5), || {
        !seen.requests("calling.dial").is_empty()
    })
    .await
    {
        return Ok(("the client never dialled".into(), false));
    }
    let tag = seen.requests("calling.dial")[0]["params"]["tag"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    server.send_all([offer("o0", "c0")]).await?;
    server
        .send_all((0..count).map(|i| {
            event(
                &format!("l{i}"),
                "calling.call.state",
                &format!(
                    r#"{{"call_id":"leg{i}","node_id":"n1","tag":"{tag}","call_state":"ringing"}}"#
                ),
            )
        }))
        .await?;
    server
        .send_all((0..count).map(|i| {
            event(
                &format!("p{i}"),
                "calling.call.connect",
                &format!(
                    r#"{{"call_id":"c0","node_id":"n1","connect_state":"connected","peer":{{"call_id":"peer{i}","node_id":"n1"}}}}"#
                ),
            )
        }))
        .await?;
    server.send_all([offer("o-real", "real")]).await?;
    let answered = |seen: &Seen| {
        seen.requests("calling.answer")
            .iter()
            .any(|r| r["params"]["call_id"] == "real")
    };
    let taken = until(Duration::from_secs(20), || answered(&seen)).await;
    let passed = seen.requests("calling.pass").len();
    client.shutdown();
    Ok((
        format!(
            "{count} forged legs + {count} forged peers, real offer {}, {passed} offers passed",
            if taken { "answered" } else { "NOT answered" }
        ),
        taken && passed == 0 && peak_rss_kb() < 128 * 1024,
    ))
}

/// Case 5: the server stops reading and floods pings, some with 9 MB ids; the client's
/// queue stays bounded and a request fails at once.
async fn outgoing_queue(pings: usize) -> Result<(String, bool)> {
    let (addr, server) = Server::start(false).await?;
    let client = client_of(addr).max_outgoing_bytes(4 << 20).build()?;
    let runner = client.clone();
    tokio::spawn(async move { runner.run().await });
    let server = server.await??;
    let huge = Utf8Bytes::from(
        json!({"jsonrpc": "2.0", "id": "h".repeat(9 << 20), "method": "signalwire.ping",
            "params": {}})
        .to_string(),
    );
    let flood = {
        let sink = server.sink.clone();
        tokio::spawn(async move {
            let pad = "x".repeat(990);
            let mut sink = sink.lock().await;
            for i in 0..pings {
                if i % 5_000 == 0 {
                    sink.feed(Message::Text(huge.clone())).await?;
                }
                let ping = format!(
                    r#"{{"jsonrpc":"2.0","id":"{pad}{i:08}","method":"signalwire.ping","params":{{}}}}"#
                );
                sink.feed(Message::text(ping)).await?;
            }
            sink.flush().await?;
            Ok::<_, async_tungstenite::tungstenite::Error>(())
        })
    };
    // Requests fail fast once the queue is full.
    let mut refused = None;
    let end = Instant::now() + Duration::from_secs(8);
    while Instant::now() < end && refused.is_none() {
        let asked = Instant::now();
        match tokio::time::timeout(
            Duration::from_millis(50),
            client.execute("attack.noop", json!({})),
        )
        .await
        {
            Ok(Err(Error::SendQueueFull { queued, limit })) => {
                refused = Some((queued, limit, asked.elapsed()))
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    flood.abort();
    client.shutdown();
    let rss_mb = peak_rss_kb() / 1024;
    let figures = match refused {
        Some((queued, limit, took)) => format!(
            "{pings} pings unread (1 KB ids, and 9 MB ids refused), request refused in {} us with {queued}/{limit} bytes queued",
            took.as_micros()
        ),
        None => format!("{pings} pings unread, no request refused"),
    };
    Ok((figures, refused.is_some() && rss_mb < 128))
}

/// Case 7: hostile events of four kinds (unknown calls, invalid events, frames that are not
/// JSON, state events of a call whose event subscriber never reads); log bytes counted.
async fn log_flood(events: usize) -> Result<(String, bool)> {
    let (addr, server) = Server::start(true).await?;
    let client = client_of(addr).build()?;
    client.on_call(|call| async move {
        // Subscribes and never reads: every later event of the call is dropped for it.
        let _events = call.events();
        tokio::time::sleep(CASE_DEADLINE).await;
    });
    let runner = client.clone();
    tokio::spawn(async move { runner.run().await });
    let server = server.await??;
    server.send_all([offer("o0", "c0")]).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server
        .send_all((0..events).map(|i| match i % 4 {
            0 => event(
                &format!("u{i}"),
                "calling.call.state",
                &format!(r#"{{"call_id":"nobody{i}","node_id":"n1","call_state":"ringing"}}"#),
            ),
            1 => event(&format!("d{i}"), "calling.call.dial", r#"{"x":1}"#),
            2 => format!("{{not json {i}"),
            _ => event(
                &format!("s{i}"),
                "calling.call.state",
                r#"{"call_id":"c0","node_id":"n1","call_state":"ringing"}"#,
            ),
        }))
        .await?;
    let seen = server.seen.clone();
    let acked = events * 3 / 4 + 1;
    until(Duration::from_secs(30), || {
        seen.acks.load(Ordering::Relaxed) >= acked
    })
    .await;
    client.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let bytes = LOG_BYTES.load(Ordering::Relaxed);
    let per_million = bytes as f64 * 1_000_000.0 / events as f64;
    Ok((
        format!(
            "{events} hostile events, {bytes} log bytes ({:.0} kB per million events), acks {:.0}/s",
            per_million / 1024.0,
            seen.ack_rate()
        ),
        per_million < 1_000_000.0,
    ))
}

/// Case 8: on a current-thread runtime a handler sleeps 3 s; the server pings every 200 ms
/// and sends 1,000 events meanwhile.
async fn blocking_handler() -> Result<(String, bool)> {
    // The server runs on a thread and runtime of its own: the client's only thread will be
    // blocked by the handler.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let (addr, server) = Server::start(true).await?;
            addr_tx.send(addr)?;
            let server = server.await??;
            server.send_all([offer("o0", "c0")]).await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let pinger = server.ping_for(Duration::from_secs(4));
            for burst in 0..10 {
                server
                    .send_all((0..100).map(|i| {
                        event(
                            &format!("e{burst}-{i}"),
                            "calling.call.state",
                            &format!(
                                r#"{{"call_id":"other{i}","node_id":"n1","call_state":"ringing"}}"#
                            ),
                        )
                    }))
                    .await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let _ = pinger.await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let seen = server.seen;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((
                seen.acks.load(Ordering::Relaxed),
                seen.max_ping_gap(),
            ))
        })
    });
    let addr = addr_rx.recv()?;
    let client = client_of(addr).build()?;
    client.on_call(|_call| async {
        // What a handler must not do.
        std::thread::sleep(Duration::from_secs(3));
    });
    let runner = client.clone();
    tokio::spawn(async move { runner.run().await });
    let (acks, gap) = tokio::task::spawn_blocking(move || server.join())
        .await?
        .map_err(|_| "the server thread panicked")??;
    client.shutdown();
    // 1,000 events and the offer.
    let ok = acks >= 1_001 && gap < Duration::from_secs(1);
    Ok((
        format!(
            "handler sleeping 3 s on a current-thread runtime, {acks}/1001 events acked, max ping gap {} ms",
            gap.as_millis()
        ),
        ok,
    ))
}
