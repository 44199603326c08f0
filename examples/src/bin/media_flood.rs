//! The two-way media benchmark (issue 19 item 6): `--streams N` concurrent 20 ms PCMU streams
//! paced in real time against an echo agent, the media session on one core (its own
//! current-thread runtime on its own thread) unless `--connect URL` names another echo server
//! (e.g. scripts/bench/python_media_echo.py, whose `--server-pid` is then measured). Prints
//! one JSON line: the server's CPU per stream-second, the streams one core would carry, and
//! the round trip from a frame leaving the load generator to its echo coming back (p50/p99),
//! which is the latency the server adds plus loopback and the load generator's own delay.

use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use examples::cli::{Flag, Program, RUST_LOG};
use futures_util::StreamExt;
use relay_tokio::media::SessionConfig;
use relay_tokio::media::StreamEvent;
use relay_tokio::media::{
    test_signal, MediaChunk, MediaFormat, MediaTrack, StartInfo, StreamMessage,
};
use relay_tokio::receiver::{MediaListener, MediaSession, StreamReceiver, DEFAULT_MAX_CONNECTIONS};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::compat::TokioAsyncReadCompatExt;

const PROGRAM: Program = Program {
    name: "media_flood",
    about: "Drives concurrent two-way 20 ms PCMU streams in real time through an echo agent and
prints one JSON line: server CPU per stream-second, streams per core, and the echo round trip
p50/p99. Without --connect the server is this crate's media session on one core.",
    positional: &[],
    flags: &[
        Flag::value("--streams", "N", "concurrent streams (default 500)"),
        Flag::value("--seconds", "S", "seconds of audio per stream (default 10)"),
        Flag::value(
            "--connect",
            "URL",
            "an external echo server instead of the built-in one",
        ),
        Flag::value(
            "--server-pid",
            "PID",
            "with --connect: the process whose CPU is measured (its main thread)",
        ),
    ],
    env: &[RUST_LOG],
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// CPU time of one thread, from the scheduler's own accounting (nanoseconds).
fn thread_cpu(schedstat: &str) -> Result<u64, BoxError> {
    let text = std::fs::read_to_string(schedstat)?;
    Ok(text
        .split_whitespace()
        .next()
        .ok_or("empty schedstat")?
        .parse()?)
}

/// The built-in server: a media listener whose sessions echo every frame back.
fn start_echo_server(streams: usize) -> Result<(String, String), BoxError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("media-echo".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                // The thread's scheduler statistics: its CPU time, read by the main thread.
                let me = std::fs::read_link("/proc/thread-self")
                    .map(|p| format!("/proc/{}/schedstat", p.display()))
                    .unwrap_or_default();
                let runtime = relay_tokio::runtime();
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                // The receiver's caps sized for the run, so they measure the session and
                // never refuse one of the load generator's streams.
                let session = MediaSession::builder();
                let queue = SessionConfig::default().max_queued_bytes as u64;
                let settings = StreamReceiver::builder()
                    .max_connections(streams.max(DEFAULT_MAX_CONNECTIONS))
                    .memory_budget(queue * (streams as u64 + 1));
                let mut listener = MediaListener::from_receiver(settings, runtime, addr, session)
                    .await
                    .expect("a listener");
                let _ = tx.send((listener.url().expect("url"), me));
                while let Ok(Ok((session, _))) = listener.accept().await {
                    tokio::spawn(echo(session));
                }
            });
        })?;
    Ok(rx.recv()?)
}

async fn echo(mut session: MediaSession) {
    while let Some(Ok(event)) = session.next().await {
        match event {
            StreamEvent::Audio { pcm, .. } if session.send_audio(&pcm).is_err() => break,
            StreamEvent::Stopped => break,
            _ => {}
        }
    }
}

struct Shared {
    latencies_us: Mutex<Vec<u32>>,
    echoed: std::sync::atomic::AtomicU64,
}

/// One stream: connect, `connected` and `start`, then a frame every 20 ms from `first`.
async fn stream(
    url: String,
    n: usize,
    frames: Arc<Vec<Utf8Bytes>>,
    first: Instant,
    shared: Arc<Shared>,
) -> Result<(), BoxError> {
    let host = url
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_owned();
    let tcp = tokio::net::TcpStream::connect(&host).await?;
    tcp.set_nodelay(true)?;
    // A small read buffer: tungstenite zero-fills all of it before every read.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) =
        async_tungstenite::client_async_with_config(url.as_str(), tcp.compat(), Some(config))
            .await?;
    let (mut sink, mut incoming) = ws.split();
    let start = StartInfo::new(
        format!("flood-{n}"),
        "project",
        format!("call-{n}"),
        vec![MediaTrack::Inbound],
        MediaFormat::pcmu(),
    );
    let hello = StreamMessage::Connected {
        protocol: "Call".into(),
        version: "1.0.0".into(),
    };
    sink.send(Message::text(hello.to_json())).await?;
    let start = StreamMessage::Start {
        sequence_number: 1,
        start,
    };
    sink.send(Message::text(start.to_json())).await?;
    let sent: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    let reader = {
        let sent = sent.clone();
        let shared = shared.clone();
        let expected = frames.len();
        tokio::spawn(async move {
            let mut got = 0;
            while let Some(Ok(message)) = incoming.next().await {
                if let Message::Text(text) = message {
                    let text = text.as_str();
                    // Echo servers write either compact or spaced JSON.
                    if text.contains("\"event\":\"media\"") || text.contains("\"event\": \"media\"")
                    {
                        let now = Instant::now();
                        if let Some(at) = sent.lock().expect("lock").pop_front() {
                            let us = now.duration_since(at).as_micros().min(u128::from(u32::MAX));
                            shared.latencies_us.lock().expect("lock").push(us as u32);
                        }
                        shared
                            .echoed
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        got += 1;
                        if got == expected {
                            break;
                        }
                    }
                }
            }
        })
    };
    for (k, frame) in frames.iter().enumerate() {
        tokio::time::sleep_until((first + Duration::from_millis(20 * k as u64)).into()).await;
        sent.lock().expect("lock").push_back(Instant::now());
        sink.send(Message::Text(frame.clone())).await?;
    }
    // The last echoes come back within a few frames; then stop.
    let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
    let stop = StreamMessage::Stop {
        sequence_number: frames.len() as u64 + 2,
    };
    sink.send(Message::text(stop.to_json())).await?;
    let _ = sink.close(None).await;
    Ok(())
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

fn main() -> Result<(), BoxError> {
    let parsed = PROGRAM.parse_env_args();
    let streams: usize = match parsed.value("--streams").map(str::parse).transpose() {
        Ok(n) => n.unwrap_or(500),
        Err(_) => PROGRAM.fail("--streams: give a number"),
    };
    let seconds: u64 = match parsed.value("--seconds").map(str::parse).transpose() {
        Ok(s) => s.unwrap_or(10),
        Err(_) => PROGRAM.fail("--seconds: give a number"),
    };
    let (url, schedstat) = match parsed.value("--connect") {
        Some(url) => {
            let pid = parsed
                .value("--server-pid")
                .unwrap_or_else(|| PROGRAM.fail("--connect needs --server-pid"));
            (url.to_owned(), format!("/proc/{pid}/schedstat"))
        }
        None => start_echo_server(streams)?,
    };
    let format = MediaFormat::pcmu();
    let samples = test_signal(format.sample_rate, (seconds * 1000) as u32);
    let frames: Arc<Vec<Utf8Bytes>> = Arc::new(
        samples
            .chunks(160)
            .enumerate()
            .map(|(k, chunk)| {
                let media = StreamMessage::Media {
                    sequence_number: k as u64 + 2,
                    media: MediaChunk::new(
                        MediaTrack::Inbound,
                        k as u64 + 1,
                        20 * k as u64,
                        format.encoding.encode(chunk),
                    ),
                };
                Utf8Bytes::from(media.to_json())
            })
            .collect(),
    );
    let shared = Arc::new(Shared {
        latencies_us: Mutex::new(Vec::with_capacity(streams * frames.len())),
        echoed: Default::default(),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (cpu_ns, generator_ns, wall) = rt.block_on(async {
        // Everyone connects first; the frames start together, each stream offset within the
        // 20 ms so that the load is spread as calls' audio is.
        let first = Instant::now() + Duration::from_millis(500 + streams as u64 * 2);
        let mut tasks = Vec::with_capacity(streams);
        for n in 0..streams {
            let offset = Duration::from_micros(20_000 * n as u64 / streams.max(1) as u64);
            tasks.push(tokio::spawn(stream(
                url.clone(),
                n,
                frames.clone(),
                first + offset,
                shared.clone(),
            )));
        }
        tokio::time::sleep_until(first.into()).await;
        let cpu_before = thread_cpu(&schedstat)?;
        let own_before = thread_cpu("/proc/thread-self/schedstat")?;
        let began = Instant::now();
        for task in tasks {
            task.await??;
        }
        let wall = began.elapsed();
        let own = thread_cpu("/proc/thread-self/schedstat")?.saturating_sub(own_before);
        let cpu = thread_cpu(&schedstat)?.saturating_sub(cpu_before);
        Ok::<_, BoxError>((cpu, own, wall))
    })?;
    let mut latencies = std::mem::take(&mut *shared.latencies_us.lock().expect("lock"));
    latencies.sort_unstable();
    let stream_seconds = streams as f64 * seconds as f64;
    let cpu_us_per_stream_second = cpu_ns as f64 / 1000.0 / stream_seconds;
    println!(
        "{}",
        serde_json::json!({
            "server": if parsed.value("--connect").is_some() { "external" } else { "relay-rs media session" },
            "streams": streams,
            "seconds": seconds,
            "frames_sent": streams * frames.len(),
            "frames_echoed": shared.echoed.load(std::sync::atomic::Ordering::Relaxed),
            "server_cpu_s": cpu_ns as f64 / 1e9,
            "wall_s": wall.as_secs_f64(),
            // Near 1.0 the load generator itself is saturated and its delay is in the latency.
            "generator_cpu_share": generator_ns as f64 / 1e9 / wall.as_secs_f64().max(1e-9),
            "cpu_us_per_stream_second": cpu_us_per_stream_second,
            "streams_per_core": 1e6 / cpu_us_per_stream_second.max(1e-9),
            "echo_p50_ms": percentile(&latencies, 0.5),
            "echo_p99_ms": percentile(&latencies, 0.99),
        })
    );
    Ok(())
}
