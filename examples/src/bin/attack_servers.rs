//! Replays the attacks of issue 17 against our own servers, in-process on loopback: the stream
//! receiver (amplifying timestamps, idle WebSockets) and the simulator server (bad-auth
//! flood, slowloris sockets, a client that never reads). One line per case with its figure
//! and `ok` or `FAIL`; exits 1 when a goal is missed. Bounded in time (about 45 s) and count.

use examples::cli::{Flag, Program};
use relay_rs_core::driver::ByteStream;
use relay_rs_core::media::{
    test_signal, write_wav, Encoding, MediaChunk, MediaFormat, MediaScript, MediaTrack, StartInfo,
    StreamMessage,
};
use relay_rs_core::receiver::{
    StreamEvent, StreamReceiver, DEFAULT_MAX_CONNECTIONS, DEFAULT_START_TIMEOUT,
};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{
    RawWebSocket, SimServer, SimServerBuilder, SIM_HANDSHAKE_TIMEOUT, SIM_WRITE_TIMEOUT,
};
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROGRAM: Program = Program {
    name: "attack_servers",
    about: "Replays the hostile-peer cases of issue 17 against the stream receiver and the
simulator server, both started in this process on 127.0.0.1 with their default bounds, and
prints one line per case with its figure (peak RSS from /proc/self/status VmHWM, reset
between cases; bytes on disk; seconds until a real stream got in; sockets still open after
a time-out) and ok or FAIL. Exits 1 if a goal is missed, 2 on a bad flag. Loopback only.",
    positional: &[],
    flags: &[
        Flag::value(
            "--streams",
            "N",
            "amplifying streams sent at once (default 6; goal: peak RSS < 200 MB, files < 50 MB)",
        ),
        Flag::value(
            "--idle",
            "N",
            "idle WebSockets that take every place before a real stream (default 1024)",
        ),
        Flag::value(
            "--slowloris",
            "N",
            "sockets that send half a request to the simulator (default 200)",
        ),
        Flag::value(
            "--flood-connections",
            "N",
            "connections of the bad-auth flood (default 50, each sends 200 frames of 10 kB)",
        ),
        Flag::value(
            "--only",
            "CASE",
            "run one case: amplification, idle, flood, slowloris or no-read",
        ),
    ],
    env: &[],
};

const TOKEN: &str = "attack-token";
const MB: f64 = 1024.0 * 1024.0;

struct Args {
    streams: usize,
    idle: usize,
    slowloris: usize,
    flood_connections: usize,
    only: Option<String>,
}

fn parse_args() -> Args {
    let parsed = PROGRAM.parse_env_args();
    let read = || -> Result<Args, examples::cli::CliError> {
        Ok(Args {
            streams: parsed.parsed("--streams")?.unwrap_or(6),
            idle: parsed.parsed("--idle")?.unwrap_or(DEFAULT_MAX_CONNECTIONS),
            slowloris: parsed.parsed("--slowloris")?.unwrap_or(200),
            flood_connections: parsed.parsed("--flood-connections")?.unwrap_or(50),
            only: parsed.value("--only").map(str::to_owned),
        })
    };
    match read() {
        Ok(args)
            if args.only.as_deref().is_some_and(|case| {
                !["amplification", "idle", "flood", "slowloris", "no-read"].contains(&case)
            }) =>
        {
            PROGRAM.fail("--only takes amplification, idle, flood, slowloris or no-read")
        }
        Ok(args) if args.streams > 64 || args.idle > 4096 || args.slowloris > 4096 => {
            PROGRAM.fail("at most 64 streams and 4,096 idle or slowloris sockets")
        }
        Ok(args) => args,
        Err(e) => PROGRAM.fail(&e.to_string()),
    }
}

/// Peak resident memory since the last reset, in bytes (VmHWM).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident memory now, in bytes (VmRSS).
fn rss_now() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Starts a new peak: VmHWM falls back to the current RSS (Linux 4.0 and later). Returns
/// that RSS, so a case can tell its own growth from what earlier cases left resident.
fn reset_peak() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    rss_now()
}

/// One result line.
fn report(case: &str, figure: String, ok: bool) -> bool {
    println!("{case:<14} {figure}  {}", if ok { "ok" } else { "FAIL" });
    ok
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn start_info(format: MediaFormat, tracks: Vec<MediaTrack>, sid: String) -> StartInfo {
    StartInfo::new(sid, "attack", "attack", tracks, format)
}

/// A stream receiver as `stream_receiver` runs it (token, default bounds), writing one WAV
/// per track of each stream into `out`; each ended stream is reported on the channel.
async fn receiver(
    rt: Arc<dyn ServerRuntime>,
    out: PathBuf,
) -> (
    SocketAddr,
    relay_rs_core::receiver::ReceiverStats,
    tokio::sync::mpsc::UnboundedReceiver<bool>,
) {
    let receiver = StreamReceiver::builder()
        .bearer_token(TOKEN)
        .bind(rt, loopback())
        .await
        .expect("the receiver binds on loopback");
    let addr = receiver.local_addr().expect("bound");
    let stats = receiver.stats();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let out = Arc::new(out);
    tokio::spawn(receiver.serve(move |opened| {
        let tx = tx.clone();
        let out = out.clone();
        async move {
            let Ok(mut stream) = opened else { return };
            while let Some(event) = stream.next().await {
                if matches!(event, Ok(StreamEvent::Stopped)) {
                    break;
                }
            }
            let started = stream.start().is_some();
            if let (Some(start), Some(assembler)) = (stream.start(), stream.assembler()) {
                for &track in &start.tracks {
                    let path = out.join(format!("{}-{}.wav", start.stream_sid, track.as_wire()));
                    if let Ok(file) = std::fs::File::create(&path) {
                        let _ = write_wav(
                            std::io::BufWriter::new(file),
                            start.media_format.sample_rate,
                            1,
                            assembler.samples(track),
                        );
                    }
                }
            }
            let _ = tx.send(started);
        }
    }));
    (addr, stats, rx)
}

fn bytes_in(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// 17.1: streams of about 36 kB whose chunks jump 30 s each, L16 48 kHz, both tracks.
async fn amplification(rt: Arc<dyn ServerRuntime>, streams: usize) -> bool {
    let out = std::env::temp_dir().join(format!("attack_servers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    if let Err(e) = std::fs::create_dir_all(&out) {
        return report(
            "amplification",
            format!("cannot create {}: {e}", out.display()),
            false,
        );
    }
    // The first case, so its peak is the process's own: the goal is on the whole RSS.
    reset_peak();
    let (addr, _stats, mut ended) = receiver(rt.clone(), out.clone()).await;
    let mut senders = Vec::new();
    for s in 0..streams {
        let rt = rt.clone();
        senders.push(tokio::spawn(async move {
            let auth = format!("Bearer {TOKEN}");
            let Ok(mut ws) =
                RawWebSocket::connect(rt.as_ref(), addr, &[("Authorization", &auth)]).await
            else {
                return (0, None);
            };
            let tracks = vec![MediaTrack::Inbound, MediaTrack::Outbound];
            let start = StreamMessage::Start {
                sequence_number: 1,
                start: start_info(MediaFormat::l16(48_000), tracks.clone(), format!("amp{s}")),
            };
            let mut sent = 0usize;
            let mut messages = vec![start.to_json()];
            for n in 0..8u64 {
                for &track in &tracks {
                    let media = StreamMessage::Media {
                        sequence_number: 2 + n,
                        media: MediaChunk::new(
                            track,
                            n + 1,
                            n * 30_000,
                            Encoding::L16.encode(&[1000; 960]),
                        ),
                    };
                    messages.push(media.to_json());
                }
            }
            for message in messages {
                if sent >= 36_000 || ws.send_text(&message).await.is_err() {
                    break;
                }
                sent += message.len();
            }
            let close = tokio::time::timeout(Duration::from_secs(10), ws.close_frame())
                .await
                .ok()
                .flatten();
            (sent, close)
        }));
    }
    let mut sent = 0;
    let mut refused = 0;
    for sender in senders {
        if let Ok((bytes, close)) = sender.await {
            sent += bytes;
            refused += usize::from(close.is_some_and(|(code, _)| code == 1008));
        }
    }
    for _ in 0..streams {
        if tokio::time::timeout(Duration::from_secs(30), ended.recv())
            .await
            .is_err()
        {
            break;
        }
    }
    let rss = peak_rss();
    let disk = bytes_in(&out);
    let _ = std::fs::remove_dir_all(&out);
    let ok = rss < 200 << 20 && disk < 50 << 20 && refused == streams;
    report(
        "amplification",
        format!(
            "{streams} streams, {:.0} kB sent: peak RSS {:.1} MB, {:.1} MB on disk, {refused} closed with 1008 (goal: < 200 MB, < 50 MB)",
            sent as f64 / 1000.0,
            rss as f64 / MB,
            disk as f64 / MB
        ),
        ok,
    )
}

/// 17.2: every place taken by WebSockets that say nothing, then one real stream.
async fn idle(rt: Arc<dyn ServerRuntime>, count: usize) -> bool {
    let out = std::env::temp_dir().join(format!("attack_servers-idle-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&out);
    let (addr, stats, mut ended) = receiver(rt.clone(), out.clone()).await;
    let auth = format!("Bearer {TOKEN}");
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        match RawWebSocket::connect(rt.as_ref(), addr, &[("Authorization", &auth)]).await {
            Ok(ws) => sockets.push(ws),
            Err(_) => break,
        }
    }
    let filled = sockets.len();
    let began = Instant::now();
    let signal = test_signal(8000, 1000);
    let info = start_info(
        MediaFormat::pcmu(),
        vec![MediaTrack::Inbound],
        "real".into(),
    );
    let script = MediaScript::new(info, &signal, 20);
    let deadline = began + DEFAULT_START_TIMEOUT + Duration::from_secs(10);
    let mut got_in = None;
    while Instant::now() < deadline {
        if let Ok(mut ws) =
            RawWebSocket::connect(rt.as_ref(), addr, &[("Authorization", &auth)]).await
        {
            let mut ok = true;
            for (_, message) in script.messages() {
                ok &= ws.send_text(&message.to_json()).await.is_ok();
            }
            if ok {
                got_in = Some(began.elapsed());
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The real stream's recording is the one with a start message.
    let served = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(started) = ended.recv().await {
            if started {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    let mut open = 0;
    for ws in &mut sockets {
        let closed = tokio::time::timeout(Duration::from_millis(50), ws.wait_closed()).await;
        open += usize::from(closed.is_err());
    }
    let _ = std::fs::remove_dir_all(&out);
    let limit = DEFAULT_START_TIMEOUT + Duration::from_secs(3);
    let ok = served && got_in.is_some_and(|t| t <= limit) && open == 0 && filled == count;
    report(
        "idle",
        format!(
            "{filled} idle WebSockets: the real stream got in after {}, {open} still open, {} timed out (goal: <= {} s)",
            got_in.map_or("never".to_owned(), |t| format!("{:.1} s", t.as_secs_f64())),
            stats.timeouts(),
            limit.as_secs()
        ),
        ok,
    )
}

async fn simulator() -> SimServer {
    SimServerBuilder::new(SimConfig::new())
        .addr(loopback())
        .start(relay_tokio::runtime())
        .await
        .expect("the simulator starts on loopback")
}

/// 17.6: connections sending bad `signalwire.connect` frames of 10 kB as fast as they can.
async fn flood(rt: Arc<dyn ServerRuntime>, connections: usize) -> bool {
    const FRAMES: usize = 200;
    let sim = simulator().await;
    let base = reset_peak();
    let addr = sim.local_addr();
    let pad = "x".repeat(10_000);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let rt = rt.clone();
        let pad = pad.clone();
        tasks.push(tokio::spawn(async move {
            let Ok(mut ws) = RawWebSocket::connect(rt.as_ref(), addr, &[]).await else {
                return 0;
            };
            let mut sent = 0;
            for n in 0..FRAMES {
                let connect = json!({"jsonrpc": "2.0", "id": n.to_string(),
                    "method": "signalwire.connect",
                    "params": {"version": {"major": 2, "minor": 0, "revision": 0},
                        "agent": pad, "authentication": {"project": "project", "token": "bad"}}})
                .to_string();
                if ws.send_text(&connect).await.is_err() {
                    break;
                }
                sent += connect.len();
            }
            sent
        }));
    }
    let mut sent = 0;
    for task in tasks {
        sent += tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0);
    }
    // Let the service take in what is still in flight.
    let kept = sim
        .with_relay(|relay, _| (relay.received_all().len(), relay.forgotten_frames()))
        .await
        .unwrap_or_default();
    let rss = peak_rss();
    let growth = rss.saturating_sub(base);
    let ok = growth < 200 << 20;
    report(
        "flood",
        format!(
            "{:.0} MB of bad-auth frames on {connections} connections: peak RSS {:.1} MB ({:.1} MB over the case's start), record holds {} frames ({} forgotten) (goal: < 200 MB growth)",
            sent as f64 / 1e6,
            rss as f64 / MB,
            growth as f64 / MB,
            kept.0,
            kept.1
        ),
        ok,
    )
}

/// 17.6: sockets that send half an HTTP request and nothing more.
async fn slowloris(rt: Arc<dyn ServerRuntime>, count: usize) -> bool {
    let sim = simulator().await;
    let addr = sim.local_addr();
    let mut sockets: Vec<Box<dyn ByteStream>> = Vec::new();
    for _ in 0..count {
        let Ok(mut socket) = rt.connect_tcp("127.0.0.1", addr.port()).await else {
            break;
        };
        use futures_util::AsyncWriteExt;
        let _ = socket
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await;
        sockets.push(socket);
    }
    let opened = sockets.len();
    tokio::time::sleep(SIM_HANDSHAKE_TIMEOUT + Duration::from_secs(1)).await;
    let mut open = 0;
    for socket in &mut sockets {
        use futures_util::AsyncReadExt;
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_millis(20), socket.read(&mut buf)).await;
        // Still open: nothing to read yet (time-out) or data; closed: EOF or an error.
        let still_open = match read {
            Err(_) => true,
            Ok(Ok(n)) => n > 0,
            Ok(Err(_)) => false,
        };
        open += usize::from(still_open);
    }
    let stats = sim.stats();
    report(
        "slowloris",
        format!(
            "{opened} half-open sockets: {open} still open {} s later, {} handshake time-outs (goal: 0 open)",
            (SIM_HANDSHAKE_TIMEOUT + Duration::from_secs(1)).as_secs(),
            stats.handshake_timeouts()
        ),
        open == 0 && opened == count,
    )
}

/// 17.6: an authenticated client that sends pings with 500 kB ids and never reads.
async fn no_read(rt: Arc<dyn ServerRuntime>) -> bool {
    let sim = simulator().await;
    let base = reset_peak();
    let addr = sim.local_addr();
    let stats = sim.stats();
    let began = Instant::now();
    let closed_after = async {
        let mut ws = RawWebSocket::connect(rt.as_ref(), addr, &[]).await.ok()?;
        let connect = json!({"jsonrpc": "2.0", "id": "auth", "method": "signalwire.connect",
            "params": {"version": {"major": 2, "minor": 0, "revision": 0},
                "authentication": {"project": "project", "token": "token"}}});
        ws.send_text(&connect.to_string()).await.ok()?;
        let id = "p".repeat(500_000);
        for n in 0..2_000 {
            let ping = json!({"jsonrpc": "2.0", "id": format!("{id}{n}"),
                "method": "signalwire.ping", "params": {}});
            if ws.send_text(&ping.to_string()).await.is_err() {
                return Some(began.elapsed());
            }
        }
        None
    };
    let limit = SIM_WRITE_TIMEOUT + Duration::from_secs(10);
    let closed = tokio::time::timeout(limit, closed_after)
        .await
        .ok()
        .flatten();
    let rss = peak_rss();
    let growth = rss.saturating_sub(base);
    report(
        "no-read",
        format!(
            "a client that never reads: closed after {}, {} write time-outs, {} queue overflows, peak RSS {:.1} MB ({:.1} MB over the case's start) (goal: closed within {} s, < 200 MB growth)",
            closed.map_or("never".to_owned(), |t| format!("{:.1} s", t.as_secs_f64())),
            stats.write_timeouts(),
            stats.queue_overflows(),
            rss as f64 / MB,
            growth as f64 / MB,
            limit.as_secs()
        ),
        closed.is_some() && growth < 200 << 20,
    )
}

fn main() {
    let args = parse_args();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let all_ok = tokio.block_on(async {
        let rt: Arc<dyn ServerRuntime> = relay_tokio::runtime();
        let runs = |case: &str| args.only.as_deref().is_none_or(|only| only == case);
        let mut ok = true;
        if runs("amplification") {
            ok &= amplification(rt.clone(), args.streams).await;
        }
        if runs("idle") {
            ok &= idle(rt.clone(), args.idle).await;
        }
        if runs("flood") {
            ok &= flood(rt.clone(), args.flood_connections).await;
        }
        if runs("slowloris") {
            ok &= slowloris(rt.clone(), args.slowloris).await;
        }
        if runs("no-read") {
            ok &= no_read(rt.clone()).await;
        }
        ok
    });
    // The servers' tasks may still hold sockets: do not wait for them.
    tokio.shutdown_background();
    std::process::exit(if all_ok { 0 } else { 1 });
}
