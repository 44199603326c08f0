//! The stream receiver under hostile peers, on every runtime: bad formats, far timestamps,
//! floods, idle sockets, the connection cap and an open-file limit. Real sockets on loopback;
//! `relay-tokio` and `relay-smol` include this file and run `receiver_tests!`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use futures_util::future::{self, Either};
use futures_util::{AsyncReadExt, AsyncWriteExt, StreamExt};
use relay_rs_core::driver::{
    connect_websocket, ByteStream, ConnectOptions, Transport, WsTransport,
};
use relay_rs_core::media::SessionError;
use relay_rs_core::media::{
    test_signal, AssembleError, Encoding, FormatError, MediaFormat, MediaScript, MediaTrack,
    MessageError, StartInfo, StreamMessage, MAX_ECHO_CHARS,
};
use relay_rs_core::receiver::{
    MediaSession, ReceiveError, ReceiverBuilder, StreamEvent, StreamReceiver, StreamRecording,
};
use relay_rs_core::server::ServerRuntime;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One `#[test]` per case for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! receiver_tests {
    ($block_on:path, $runtime:path) => {
        receiver_tests!(@tests $block_on, $runtime;
            hostile_formats_are_refused_with_typed_errors,
            a_chunk_far_ahead_is_refused_without_allocating,
            media_after_stop_is_refused,
            bytes_per_connection_are_capped,
            collect_keeps_a_bounded_number_of_errors,
            an_idle_socket_times_out_in_the_handshake,
            connections_over_the_cap_are_closed_at_once,
            a_thousand_idle_sockets_time_out_while_a_stream_is_served,
            the_receiver_keeps_serving_through_an_open_file_limit,
            amplifying_timestamps_cost_what_the_stream_sent_and_close_it,
            the_memory_budget_spans_every_stream_and_comes_back,
            idle_websockets_are_closed_so_a_real_stream_gets_in,
            a_started_stream_that_goes_quiet_is_closed,
            the_application_can_refuse_a_stream_with_a_reason,
            a_message_over_the_size_bound_ends_the_stream,
            a_two_way_stream_without_the_token_is_refused_as_a_one_way_one,
            a_two_way_stream_too_slow_to_start_or_quiet_is_closed_as_a_one_way_one,
            a_two_way_session_holds_its_place_under_the_cap_and_its_memory,
            both_readers_of_a_stream_give_the_same_events,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { receiver_suite::$name($runtime()).await });
            }
        )*
    };
}

const LOOPBACK: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn within<T>(
    rt: &Arc<dyn ServerRuntime>,
    secs: u64,
    what: &str,
    fut: impl Future<Output = T>,
) -> T {
    let fut = std::pin::pin!(fut);
    match future::select(fut, rt.sleep(Duration::from_secs(secs))).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out after {secs} s: {what}"),
    }
}

/// Polls `check` every 5 ms until it holds (at most `secs`).
async fn until(rt: &Arc<dyn ServerRuntime>, secs: u64, what: &str, check: impl Fn() -> bool) {
    within(rt, secs, what, async {
        while !check() {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

async fn bind(rt: &Arc<dyn ServerRuntime>, builder: ReceiverBuilder) -> StreamReceiver {
    builder
        .bind(rt.clone(), SocketAddr::from(LOOPBACK))
        .await
        .expect("receiver binds")
}

fn start_info(format: MediaFormat, tracks: Vec<MediaTrack>) -> StartInfo {
    StartInfo::new("sid-1", "acc-1", "call-1", tracks, format)
}

fn start(format: MediaFormat) -> String {
    StreamMessage::Start {
        sequence_number: 1,
        start: start_info(format, vec![MediaTrack::Inbound]),
    }
    .to_json()
}

/// A start message with the format fields written by hand (values no typed format holds).
fn raw_start(encoding: &str, rate: u64, channels: u64, tracks: &str) -> String {
    format!(
        r#"{{"event":"start","sequenceNumber":"1","start":{{"streamSid":"s","callSid":"c","tracks":{tracks},"mediaFormat":{{"encoding":"{encoding}","sampleRate":{rate},"channels":{channels}}}}}}}"#
    )
}

/// A 20 ms PCMU chunk of the inbound track.
fn media(chunk: u64, timestamp_ms: u64) -> String {
    StreamMessage::Media {
        sequence_number: chunk + 1,
        media: relay_rs_core::media::MediaChunk::new(
            MediaTrack::Inbound,
            chunk,
            timestamp_ms,
            vec![0x55; 160],
        ),
    }
    .to_json()
}

fn stop() -> String {
    StreamMessage::Stop {
        sequence_number: 99,
    }
    .to_json()
}

/// Connects to `url` as `calling.stream` would and sends `messages`, then closes.
async fn send(rt: &Arc<dyn ServerRuntime>, url: &str, messages: Vec<String>) {
    let options = ConnectOptions {
        url: url.to_owned(),
        allow_insecure: true,
        extra_ca_pem: None,
        max_frame_size: 1 << 20,
    };
    let ws = connect_websocket(rt.as_ref(), &options, &[])
        .await
        .expect("the stream connects");
    let (_reader, mut writer) = Box::new(WsTransport::new(ws)).split();
    for message in messages {
        writer.send(message).await.expect("queued");
        writer.flush().await.expect("sent");
    }
    writer.close().await;
}

/// The messages of a real one-second PCMU stream, and the samples the receiver must get.
fn real_stream() -> (Vec<String>, Vec<i16>) {
    let signal = test_signal(8000, 1000);
    let script = MediaScript::new(
        start_info(MediaFormat::pcmu(), vec![MediaTrack::Inbound]),
        &signal,
        20,
    );
    let messages = script.messages().iter().map(|(_, m)| m.to_json()).collect();
    let expected = Encoding::Mulaw.decode(&Encoding::Mulaw.encode(&signal));
    (messages, expected)
}

fn assert_real_stream(recording: &StreamRecording, expected: &[i16]) {
    assert!(recording.stopped);
    assert_eq!(recording.errors, []);
    assert_eq!(recording.media_messages, 50);
    let assembler = recording.assembler.as_ref().expect("assembled");
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected);
}

/// Serves in the background; every opened stream is collected and sent on the channel.
fn serve(
    rt: &Arc<dyn ServerRuntime>,
    receiver: StreamReceiver,
) -> futures_channel::mpsc::UnboundedReceiver<StreamRecording> {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    rt.spawn(Box::pin(receiver.serve(move |opened| {
        let tx = tx.clone();
        async move {
            if let Ok(stream) = opened {
                let _ = tx.unbounded_send(stream.collect().await);
            }
        }
    })));
    rx
}

/// Sends `messages` on one connection and returns every event the receiver read.
async fn exchange(
    rt: &Arc<dyn ServerRuntime>,
    mut receiver: StreamReceiver,
    messages: Vec<String>,
) -> (
    Vec<Result<StreamEvent, ReceiveError>>,
    relay_rs_core::receiver::IncomingStream,
) {
    let url = receiver.url().unwrap();
    let server = async {
        let mut stream = receiver.accept().await.unwrap().open().await.unwrap();
        let mut events = Vec::new();
        while let Some(event) = stream.next().await {
            events.push(event);
        }
        (events, stream)
    };
    let (_, got) = within(
        rt,
        10,
        "the exchange",
        future::join(send(rt, &url, messages), server),
    )
    .await;
    got
}

/// A short name for an event, so whole sequences compare in one assert.
fn kind(event: &Result<StreamEvent, ReceiveError>) -> String {
    match event {
        Ok(StreamEvent::Started(_)) => "started".into(),
        Ok(StreamEvent::Audio { timestamp_ms, .. }) => format!("audio@{timestamp_ms}"),
        Ok(StreamEvent::Stopped) => "stopped".into(),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("error: {e:?}"),
    }
}

pub async fn hostile_formats_are_refused_with_typed_errors(rt: Arc<dyn ServerRuntime>) {
    let receiver = bind(&rt, StreamReceiver::builder()).await;
    let huge_name = "x".repeat(200_000);
    let messages = vec![
        raw_start("audio/x-L16", 192_000, 8, r#"["inbound"]"#),
        media(1, 3_599_000),
        raw_start(&huge_name, 8000, 1, r#"["inbound"]"#),
        raw_start("audio/x-mulaw", 8000, 1, "[]"),
        raw_start("audio/x-L16", 44_100, 1, r#"["inbound"]"#),
        start(MediaFormat::pcmu()),
        media(1, 0),
        stop(),
    ];
    let (events, stream) = exchange(&rt, receiver, messages).await;
    let clipped = format!("{}…", "x".repeat(MAX_ECHO_CHARS));
    assert_eq!(
        events,
        vec![
            Err(ReceiveError::UnsupportedFormat(FormatError::NotMono(8))),
            Err(ReceiveError::MediaBeforeStart),
            Err(ReceiveError::Message(MessageError::BadEncoding(
                clipped.clone()
            ))),
            Err(ReceiveError::NoTracks),
            Err(ReceiveError::UnsupportedFormat(
                FormatError::UnsupportedRate(44_100)
            )),
            Ok(StreamEvent::Started(start_info(
                MediaFormat::pcmu(),
                vec![MediaTrack::Inbound]
            ))),
            Ok(StreamEvent::Audio {
                track: MediaTrack::Inbound,
                chunk: 1,
                timestamp_ms: 0,
                pcm: Encoding::Mulaw.decode(&[0x55; 160]),
            }),
            Ok(StreamEvent::Stopped),
        ]
    );
    // The 500 kB name is not echoed whole, in the error or its message.
    let shown = ReceiveError::Message(MessageError::BadEncoding(clipped)).to_string();
    assert!(shown.len() < 200, "{} bytes", shown.len());
    assert_eq!(
        stream.assembler().unwrap().duration_ms(MediaTrack::Inbound),
        20
    );
}

pub async fn a_chunk_far_ahead_is_refused_without_allocating(rt: Arc<dyn ServerRuntime>) {
    let receiver = bind(&rt, StreamReceiver::builder().max_gap_ms(1000)).await;
    let messages = vec![
        start(MediaFormat::pcmu()),
        media(1, 0),
        media(2, 3_599_000),
        media(3, 1020),
        media(4, 2100),
    ];
    let (events, stream) = exchange(&rt, receiver, messages).await;
    let kinds: Vec<String> = events.iter().map(kind).collect();
    let refusal = |end_ms, timestamp_ms| {
        format!(
            "error: {:?}",
            ReceiveError::Assemble(AssembleError::GapTooLong {
                track: MediaTrack::Inbound,
                end_ms,
                timestamp_ms,
                max_gap_ms: 1000,
            })
        )
    };
    assert_eq!(
        kinds,
        [
            "started".to_owned(),
            "audio@0".into(),
            refusal(20, 3_599_000),
            "audio@1020".into(),
            refusal(1040, 2100),
        ]
    );
    let assembler = stream.assembler().unwrap();
    // 1,040 ms of audio: nothing was allocated for the refused hour.
    assert_eq!(assembler.samples(MediaTrack::Inbound).len(), 8320);
    assert_eq!(assembler.gap_count(), 1);
}

pub async fn media_after_stop_is_refused(rt: Arc<dyn ServerRuntime>) {
    let receiver = bind(&rt, StreamReceiver::builder()).await;
    let messages = vec![
        start(MediaFormat::pcmu()),
        media(1, 0),
        stop(),
        media(2, 20),
        start(MediaFormat::pcma()),
    ];
    let (events, stream) = exchange(&rt, receiver, messages).await;
    let kinds: Vec<String> = events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "started",
            "audio@0",
            "stopped",
            "error: AfterStop",
            "error: AfterStop"
        ]
    );
    assert_eq!(
        stream.assembler().unwrap().duration_ms(MediaTrack::Inbound),
        20
    );
}

pub async fn bytes_per_connection_are_capped(rt: Arc<dyn ServerRuntime>) {
    let mut messages = vec![start(MediaFormat::pcmu())];
    messages.extend((1..=10).map(|n| media(n, (n - 1) * 20)));
    // Room for the start message and exactly three chunks.
    let limit: u64 = messages[..4].iter().map(|m| m.len() as u64).sum();
    let fourth = messages[4].len() as u64;
    let receiver = bind(
        &rt,
        StreamReceiver::builder().max_bytes_per_connection(limit),
    )
    .await;
    let (events, stream) = exchange(&rt, receiver, messages).await;
    let kinds: Vec<String> = events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "started".to_owned(),
            "audio@0".into(),
            "audio@20".into(),
            "audio@40".into(),
            format!("error: TooManyBytes {{ limit: {limit} }}"),
        ]
    );
    assert_eq!(stream.bytes(), limit + fourth);
}

pub async fn collect_keeps_a_bounded_number_of_errors(rt: Arc<dyn ServerRuntime>) {
    let mut receiver = bind(&rt, StreamReceiver::builder().max_kept_errors(4)).await;
    let url = receiver.url().unwrap();
    let mut messages = vec!["x".to_owned(); 1000];
    messages.push(stop());
    let server = async {
        receiver
            .accept()
            .await
            .unwrap()
            .open()
            .await
            .unwrap()
            .collect()
            .await
    };
    let (_, recording) = within(
        &rt,
        10,
        "the flood",
        future::join(send(&rt, &url, messages), server),
    )
    .await;
    assert_eq!(recording.messages, 1001);
    assert_eq!(recording.errors.len(), 4);
    assert_eq!(recording.errors_dropped, 996);
    assert!(recording.stopped);
}

async fn idle_socket(rt: &Arc<dyn ServerRuntime>, addr: SocketAddr) -> Box<dyn ByteStream> {
    rt.connect_tcp(&addr.ip().to_string(), addr.port())
        .await
        .expect("tcp connects")
}

/// Whether the peer closed the socket (EOF or reset), within 10 s.
async fn closed_by_peer(rt: &Arc<dyn ServerRuntime>, socket: &mut Box<dyn ByteStream>) -> bool {
    let mut buf = [0u8; 16];
    let read = within(
        rt,
        10,
        "the server to close the socket",
        socket.read(&mut buf),
    )
    .await;
    matches!(read, Ok(0) | Err(_))
}

pub async fn an_idle_socket_times_out_in_the_handshake(rt: Arc<dyn ServerRuntime>) {
    let timeout = Duration::from_millis(200);
    let mut receiver = bind(&rt, StreamReceiver::builder().handshake_timeout(timeout)).await;
    let stats = receiver.stats();
    let mut socket = idle_socket(&rt, receiver.local_addr().unwrap()).await;
    let began = Instant::now();
    let pending = receiver.accept().await.unwrap();
    assert_eq!(stats.active(), 1);
    let opened = within(&rt, 5, "the handshake time-out", pending.open()).await;
    assert_eq!(opened.unwrap_err(), ReceiveError::HandshakeTimeout);
    assert!(began.elapsed() >= timeout);
    assert_eq!((stats.handshake_timeouts(), stats.active()), (1, 0));
    assert!(closed_by_peer(&rt, &mut socket).await);
}

pub async fn connections_over_the_cap_are_closed_at_once(rt: Arc<dyn ServerRuntime>) {
    let receiver = bind(&rt, StreamReceiver::builder().max_connections(2)).await;
    let addr = receiver.local_addr().unwrap();
    let url = receiver.url().unwrap();
    let stats = receiver.stats();
    let mut recordings = serve(&rt, receiver);
    let first = idle_socket(&rt, addr).await;
    let _second = idle_socket(&rt, addr).await;
    until(&rt, 10, "two connections taken", || stats.accepted() == 2).await;
    let mut third = idle_socket(&rt, addr).await;
    assert!(closed_by_peer(&rt, &mut third).await);
    assert_eq!((stats.refused_over_cap(), stats.active()), (1, 2));
    // A place frees up: the next connection is a real stream and is served.
    drop(first);
    until(&rt, 10, "the first socket's place freed", || {
        stats.active() == 1
    })
    .await;
    let (messages, expected) = real_stream();
    send(&rt, &url, messages).await;
    let recording = within(&rt, 10, "the stream", recordings.next())
        .await
        .unwrap();
    assert_real_stream(&recording, &expected);
    assert_eq!(
        (
            stats.accepted(),
            stats.refused_over_cap(),
            stats.handshake_failures()
        ),
        (3, 1, 1)
    );
}

pub async fn a_thousand_idle_sockets_time_out_while_a_stream_is_served(rt: Arc<dyn ServerRuntime>) {
    const IDLE: usize = 1000;
    let receiver = bind(
        &rt,
        // Long enough that a loaded 2-core machine accepts all 1,000 and serves the real
        // stream before the first idle socket times out.
        StreamReceiver::builder().handshake_timeout(Duration::from_secs(8)),
    )
    .await;
    let addr = receiver.local_addr().unwrap();
    let url = receiver.url().unwrap();
    let stats = receiver.stats();
    let mut recordings = serve(&rt, receiver);
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(idle_socket(&rt, addr).await);
    }
    until(&rt, 10, "every idle socket accepted", || {
        stats.accepted() == IDLE as u64
    })
    .await;
    let (messages, expected) = real_stream();
    send(&rt, &url, messages).await;
    let recording = within(&rt, 10, "the stream", recordings.next())
        .await
        .unwrap();
    assert_real_stream(&recording, &expected);
    assert_eq!(stats.handshake_timeouts(), 0, "served while all were idle");
    until(&rt, 20, "the idle sockets to time out", || {
        stats.handshake_timeouts() == IDLE as u64
    })
    .await;
    until(&rt, 10, "every place freed", || stats.active() == 0).await;
    assert!(closed_by_peer(&rt, &mut idle[0]).await);
    assert!(closed_by_peer(&rt, &mut idle[IDLE - 1]).await);
}

const FD_CHILD: &str = "RELAY_RECEIVER_FD_CHILD";
const FD_LIMIT: u32 = 128;
/// The line the child prints once it holds every descriptor, followed by the address.
const FD_READY: &str = "idle client wanted at ";

/// Runs itself again under `prlimit --nofile=128` (the child does the work below), so the
/// limit hits only that process. The waiting client socket is opened here, in the parent:
/// were it opened in the child, its own `connect` could meet the limit before the
/// receiver's accept did.
pub async fn the_receiver_keeps_serving_through_an_open_file_limit(rt: Arc<dyn ServerRuntime>) {
    use std::io::{BufRead, Read};
    use std::process::Stdio;
    if std::env::var_os(FD_CHILD).is_some() {
        return open_file_limit_child(rt).await;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = std::process::Command::new("prlimit")
        .arg(format!("--nofile={FD_LIMIT}:{FD_LIMIT}"))
        .arg(exe)
        .args([
            "the_receiver_keeps_serving_through_an_open_file_limit",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FD_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit runs (util-linux)");
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        // libtest may have begun the line with the test's name.
        if let Some((_, addr)) = line.trim().split_once(FD_READY) {
            let addr: SocketAddr = addr.parse().expect("the child's address");
            // Closed at once: the connection waits in the listener's queue all the same,
            // and the receiver, once it can accept it, reads the end of an idle socket.
            drop(std::net::TcpStream::connect(addr).expect("tcp connects"));
        }
        seen.push_str(&line);
    }
    let status = child.wait().expect("the child ends");
    let stderr = stderr.join().unwrap();
    assert!(status.success(), "{seen}\n{stderr}");
    assert!(seen.contains(FD_READY), "{seen}");
    assert!(seen.contains("1 passed"), "{seen}");
    assert!(seen.contains("accept errors survived:"), "{seen}");
}

async fn open_file_limit_child(rt: Arc<dyn ServerRuntime>) {
    use std::io::Write;
    let receiver = bind(&rt, StreamReceiver::builder()).await;
    let addr = receiver.local_addr().unwrap();
    let url = receiver.url().unwrap();
    let stats = receiver.stats();
    let mut recordings = serve(&rt, receiver);
    // Take every descriptor left; the parent then connects, and the receiver's accept of
    // that connection fails with EMFILE, again and again.
    let mut files = Vec::new();
    while let Ok(file) = std::fs::File::open("/dev/null") {
        files.push(file);
        assert!(
            files.len() <= FD_LIMIT as usize,
            "the limit is not in force"
        );
    }
    println!("{FD_READY}{addr}");
    std::io::stdout().flush().unwrap();
    // A descriptor the runtime frees meanwhile is taken again at once, so that the limit
    // still holds when the parent's connection arrives (a loaded machine once let the
    // accept through).
    let files = std::sync::Mutex::new(files);
    let limit_held = || {
        let mut files = files.lock().unwrap();
        while let Ok(file) = std::fs::File::open("/dev/null") {
            files.push(file);
        }
        assert_eq!(
            stats.accepted(),
            0,
            "accepted under the limit ({} accept errors before)",
            stats.accept_errors()
        );
        stats.accept_errors() >= 3
    };
    until(&rt, 10, "accept errors", limit_held).await;
    let files = files.into_inner().unwrap();
    // The limit clears: the receiver takes the waiting socket and serves a real stream.
    drop(files);
    let (messages, expected) = real_stream();
    send(&rt, &url, messages).await;
    let recording = within(&rt, 10, "the stream", recordings.next())
        .await
        .unwrap();
    assert_real_stream(&recording, &expected);
    println!("accept errors survived: {}", stats.accept_errors());
}

/// A WebSocket client written by hand, so a test sees the close frame's code and reason
/// (the crate's transport hides them): the upgrade request, masked text frames, and a reader
/// of the server's unmasked frames.
struct RawWs {
    socket: Box<dyn ByteStream>,
}

impl RawWs {
    async fn open(rt: &Arc<dyn ServerRuntime>, addr: SocketAddr) -> RawWs {
        Self::open_with(rt, addr, None)
            .await
            .unwrap_or_else(|status| panic!("{status}"))
    }

    /// The upgrade with `authorization` as that header: the socket after a `101`, else the
    /// answer's status line.
    async fn open_with(
        rt: &Arc<dyn ServerRuntime>,
        addr: SocketAddr,
        authorization: Option<&str>,
    ) -> Result<RawWs, String> {
        let mut socket = idle_socket(rt, addr).await;
        let authorization = authorization
            .map(|value| format!("Authorization: {value}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             {authorization}\r\n"
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket
                .read_exact(&mut byte)
                .await
                .expect("the upgrade answer");
            head.push(byte[0]);
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            let head = String::from_utf8_lossy(&head);
            return Err(head.lines().next().unwrap_or_default().to_owned());
        }
        Ok(RawWs { socket })
    }

    async fn send(&mut self, text: &str) -> std::io::Result<()> {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [1u8, 2, 3, 4];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.socket.write_all(&frame).await?;
        self.socket.flush().await
    }

    /// Reads frames until a close frame: its code and reason (`None` if the socket ended
    /// without one).
    async fn close_frame(&mut self) -> Option<(u16, String)> {
        loop {
            let mut head = [0u8; 2];
            self.socket.read_exact(&mut head).await.ok()?;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut n = [0u8; 2];
                    self.socket.read_exact(&mut n).await.ok()?;
                    u64::from(u16::from_be_bytes(n))
                }
                127 => {
                    let mut n = [0u8; 8];
                    self.socket.read_exact(&mut n).await.ok()?;
                    u64::from_be_bytes(n)
                }
                n => u64::from(n),
            };
            let mut body = vec![0u8; len as usize];
            self.socket.read_exact(&mut body).await.ok()?;
            if head[0] & 0x0f == 0x8 {
                let code = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
                return Some((code, String::from_utf8_lossy(&body[2..]).into_owned()));
            }
        }
    }
}

/// A hand-written client and the stream the receiver opened for it.
async fn open_pair(
    rt: &Arc<dyn ServerRuntime>,
    receiver: &mut StreamReceiver,
    addr: SocketAddr,
) -> (RawWs, relay_rs_core::receiver::IncomingStream) {
    let server = async { receiver.accept().await.unwrap().open().await.unwrap() };
    within(
        rt,
        10,
        "a stream opens",
        future::join(RawWs::open(rt, addr), server),
    )
    .await
}

/// The first `start` and `chunks` media messages of the issue's amplification: L16 at 48 kHz,
/// both tracks, 20 ms chunks whose timestamps jump 30 s each.
fn amplifying_stream(chunks: u64) -> Vec<String> {
    let start = StreamMessage::Start {
        sequence_number: 1,
        start: start_info(
            MediaFormat::l16(48_000),
            vec![MediaTrack::Inbound, MediaTrack::Outbound],
        ),
    };
    let mut messages = vec![start.to_json()];
    for n in 0..chunks {
        for track in [MediaTrack::Inbound, MediaTrack::Outbound] {
            let media = StreamMessage::Media {
                sequence_number: 2 + n,
                media: relay_rs_core::media::MediaChunk::new(
                    track,
                    n + 1,
                    n * 30_000,
                    Encoding::L16.encode(&[7; 960]),
                ),
            };
            messages.push(media.to_json());
        }
    }
    messages
}

pub async fn amplifying_timestamps_cost_what_the_stream_sent_and_close_it(
    rt: Arc<dyn ServerRuntime>,
) {
    let mut receiver = bind(&rt, StreamReceiver::builder()).await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    let sender = async {
        let mut ws = RawWs::open(&rt, addr).await;
        for message in amplifying_stream(20) {
            // The receiver may close mid-way: the rest cannot be sent.
            if ws.send(&message).await.is_err() {
                break;
            }
        }
        ws.close_frame().await
    };
    let server = async {
        let mut stream = receiver.accept().await.unwrap().open().await.unwrap();
        let mut last = None;
        while let Some(event) = stream.next().await {
            last = Some(event);
        }
        (last, stream)
    };
    let (close, (last, stream)) =
        within(&rt, 10, "the amplification", future::join(sender, server)).await;
    // 20 ms of both tracks, then 30 s of silence on the inbound track (within the 30 s
    // allowance plus the audio received); the outbound track's jump is refused.
    let refusal = ReceiveError::Assemble(AssembleError::SilenceOverAllowance {
        track: MediaTrack::Outbound,
        silence_ms: 29_980,
        adding_ms: 29_980,
        allowance_ms: 30_000,
    });
    assert_eq!(last, Some(Err(refusal.clone())));
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 1008);
    assert_eq!(reason, refusal.to_string()[..reason.len()]);
    assert!(
        reason.starts_with("cannot place audio: outbound chunk would add"),
        "{reason}"
    );
    let assembler = stream.assembler().unwrap();
    // Bounded by what was sent: 30 s on one track, not 20 chunks x 30 s on two.
    assert_eq!(assembler.duration_ms(MediaTrack::Inbound), 30_020);
    assert_eq!(assembler.duration_ms(MediaTrack::Outbound), 20);
    assert_eq!(stats.refused_streams(), 1);
    assert!(
        stats.memory_used() <= 4 * 30 * 48_000 * 2,
        "{}",
        stats.memory_used()
    );
    drop(stream);
    assert_eq!(
        stats.memory_used(),
        0,
        "the budget comes back with the stream"
    );
}

pub async fn the_memory_budget_spans_every_stream_and_comes_back(rt: Arc<dyn ServerRuntime>) {
    // Half a second of PCMU is 8,000 bytes; the first stream's room grows by doubling to
    // 10,240, and the budget leaves the second exactly its 8,000 (grown chunk by chunk once
    // doubling no longer fits).
    const BUDGET: u64 = 10_240 + 8_000;
    let mut receiver = bind(&rt, StreamReceiver::builder().memory_budget(BUDGET)).await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    let (mut ws_a, mut a) = open_pair(&rt, &mut receiver, addr).await;
    let (mut ws_b, mut b) = open_pair(&rt, &mut receiver, addr).await;
    for ws in [&mut ws_a, &mut ws_b] {
        ws.send(&start(MediaFormat::pcmu())).await.unwrap();
        for n in 1..=25 {
            ws.send(&media(n, (n - 1) * 20)).await.unwrap();
        }
    }
    for stream in [&mut a, &mut b] {
        for _ in 0..26 {
            assert!(matches!(stream.next().await, Some(Ok(_))));
        }
    }
    assert_eq!(stats.memory_used(), BUDGET);
    // The next chunk on either is over the shared budget: that stream is closed.
    ws_b.send(&media(26, 500)).await.unwrap();
    let refused = ReceiveError::Assemble(AssembleError::OverBudget {
        needed: 320,
        limit: BUDGET,
    });
    assert_eq!(b.next().await, Some(Err(refused.clone())));
    assert_eq!(b.next().await, None);
    let (code, reason) = ws_b.close_frame().await.expect("a close frame");
    assert_eq!((code, reason), (1008, refused.to_string()));
    drop(b);
    // Its memory came back: the other stream goes on.
    assert_eq!(stats.memory_used(), 10_240);
    ws_a.send(&media(26, 500)).await.unwrap();
    assert!(matches!(
        a.next().await,
        Some(Ok(StreamEvent::Audio { .. }))
    ));
}

pub async fn idle_websockets_are_closed_so_a_real_stream_gets_in(rt: Arc<dyn ServerRuntime>) {
    const SLOTS: usize = 8;
    let timeout = Duration::from_millis(300);
    let receiver = bind(
        &rt,
        StreamReceiver::builder()
            .max_connections(SLOTS)
            .start_timeout(timeout),
    )
    .await;
    let addr = receiver.local_addr().unwrap();
    let url = receiver.url().unwrap();
    let stats = receiver.stats();
    let mut recordings = serve(&rt, receiver);
    // Every place taken by a WebSocket that finished its handshake and says nothing.
    let mut idle = Vec::new();
    for _ in 0..SLOTS {
        idle.push(RawWs::open(&rt, addr).await);
    }
    assert_eq!(stats.active(), SLOTS);
    let mut refused = idle_socket(&rt, addr).await;
    assert!(closed_by_peer(&rt, &mut refused).await, "over the cap now");
    // Each idle socket is told why it is closed, and its place comes back.
    for ws in &mut idle {
        let close = within(&rt, 10, "the start time-out", ws.close_frame()).await;
        assert_eq!(close, Some((1008, "no start message within 300 ms".into())));
    }
    until(&rt, 10, "every place freed", || stats.active() == 0).await;
    assert_eq!(stats.timeouts(), SLOTS as u64);
    let (messages, expected) = real_stream();
    send(&rt, &url, messages).await;
    // The idle sockets' recordings (nothing in them) come first.
    let recording = within(&rt, 10, "the stream", async {
        loop {
            let recording = recordings.next().await.unwrap();
            if recording.start.is_some() {
                return recording;
            }
        }
    })
    .await;
    assert_real_stream(&recording, &expected);
}

pub async fn a_started_stream_that_goes_quiet_is_closed(rt: Arc<dyn ServerRuntime>) {
    let mut receiver = bind(
        &rt,
        StreamReceiver::builder().idle_timeout(Duration::from_millis(200)),
    )
    .await;
    let addr = receiver.local_addr().unwrap();
    let (mut ws, mut stream) = open_pair(&rt, &mut receiver, addr).await;
    ws.send(&start(MediaFormat::pcmu())).await.unwrap();
    ws.send(&media(1, 0)).await.unwrap();
    let events = within(&rt, 10, "the idle time-out", async {
        let mut events = Vec::new();
        while let Some(event) = stream.next().await {
            events.push(kind(&event));
        }
        events
    })
    .await;
    assert_eq!(
        events,
        [
            "started",
            "audio@0",
            "error: IdleTimeout { timeout_ms: 200 }"
        ]
    );
    assert_eq!(
        ws.close_frame().await,
        Some((1008, "no message within 200 ms".into()))
    );
}

pub async fn the_application_can_refuse_a_stream_with_a_reason(rt: Arc<dyn ServerRuntime>) {
    let mut receiver = bind(&rt, StreamReceiver::builder()).await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    let (mut ws, mut stream) = open_pair(&rt, &mut receiver, addr).await;
    ws.send(&start(MediaFormat::pcmu())).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    stream.refuse("disk quota of 10 bytes used up").await;
    assert_eq!(stream.next().await, None);
    assert_eq!(
        ws.close_frame().await,
        Some((1008, "refused: disk quota of 10 bytes used up".into()))
    );
    assert_eq!(stats.refused_streams(), 1);
}

pub async fn a_message_over_the_size_bound_ends_the_stream(rt: Arc<dyn ServerRuntime>) {
    let mut receiver = bind(&rt, StreamReceiver::builder().max_message_bytes(1000)).await;
    let addr = receiver.local_addr().unwrap();
    let (mut ws, mut stream) = open_pair(&rt, &mut receiver, addr).await;
    ws.send(&start(MediaFormat::pcmu())).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    // A 20 ms PCMU chunk is about 300 bytes: fine; 2,000 bytes of padding are not.
    ws.send(&media(1, 0)).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(StreamEvent::Audio { .. }))
    ));
    let _ = ws
        .send(&format!(
            "{{\"event\":\"mark\",\"pad\":\"{}\"}}",
            "x".repeat(2000)
        ))
        .await;
    let end = within(&rt, 10, "the oversized message", stream.next()).await;
    assert!(matches!(end, Some(Err(ReceiveError::Socket(_)))), "{end:?}");
}

/// A hand-written client and the two-way session the receiver opened for it.
async fn open_session(
    rt: &Arc<dyn ServerRuntime>,
    receiver: &mut StreamReceiver,
    addr: SocketAddr,
) -> (
    RawWs,
    (MediaSession, relay_rs_core::receiver::HandshakeInfo),
) {
    let server = async {
        let pending = receiver.accept().await.unwrap();
        pending.open_media(MediaSession::builder()).await.unwrap()
    };
    within(
        rt,
        10,
        "a session opens",
        future::join(RawWs::open(rt, addr), server),
    )
    .await
}

/// How a refused handshake looks from both ends: the client's status line, the server's error.
type Handshake = (Option<String>, Option<ReceiveError>);

pub async fn a_two_way_stream_without_the_token_is_refused_as_a_one_way_one(
    rt: Arc<dyn ServerRuntime>,
) {
    let mut receiver = bind(&rt, StreamReceiver::builder().bearer_token("s3cret")).await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    for authorization in [None, Some("Bearer nope"), Some("s3cret")] {
        let one_way: Handshake = {
            let server = async { receiver.accept().await.unwrap().open().await.err() };
            let client = RawWs::open_with(&rt, addr, authorization);
            let (client, server) = within(&rt, 10, "one-way", future::join(client, server)).await;
            (client.err(), server)
        };
        let two_way: Handshake = {
            let server = async {
                let pending = receiver.accept().await.unwrap();
                pending.open_media(MediaSession::builder()).await.err()
            };
            let client = RawWs::open_with(&rt, addr, authorization);
            let (client, server) = within(&rt, 10, "two-way", future::join(client, server)).await;
            (client.err(), server)
        };
        assert_eq!(
            one_way,
            (
                Some("HTTP/1.1 401 Unauthorized".into()),
                Some(ReceiveError::Unauthorized)
            ),
            "{authorization:?}"
        );
        assert_eq!(two_way, one_way, "{authorization:?}");
    }
    assert_eq!((stats.handshake_failures(), stats.active()), (6, 0));
}

pub async fn a_two_way_stream_too_slow_to_start_or_quiet_is_closed_as_a_one_way_one(
    rt: Arc<dyn ServerRuntime>,
) {
    let mut receiver = bind(
        &rt,
        StreamReceiver::builder()
            .start_timeout(Duration::from_millis(200))
            .idle_timeout(Duration::from_millis(300)),
    )
    .await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    // Silent from the start, then silent after `start`.
    for messages in [vec![], vec![start(MediaFormat::pcmu())]] {
        // One-way: the close frame the client reads, and the stream's last error.
        let (mut ws, mut stream) = open_pair(&rt, &mut receiver, addr).await;
        for message in &messages {
            ws.send(message).await.unwrap();
        }
        let last_error = async {
            let mut last = None;
            while let Some(event) = stream.next().await {
                last = event.err().map(|e| e.to_string());
            }
            last
        };
        let one_way = within(
            &rt,
            10,
            "the one-way time-out",
            future::join(ws.close_frame(), last_error),
        )
        .await;

        // Two-way, admitted by the same receiver.
        let server = async {
            let pending = receiver.accept().await.unwrap();
            pending.open_media(MediaSession::builder()).await.unwrap()
        };
        let (mut ws, (mut session, _)) = within(
            &rt,
            10,
            "a session opens",
            future::join(RawWs::open(&rt, addr), server),
        )
        .await;
        for message in &messages {
            ws.send(message).await.unwrap();
        }
        let last_error = async {
            let mut last = None;
            while let Some(event) = session.next().await {
                last = event.err();
            }
            last
        };
        let (close, error) = within(
            &rt,
            10,
            "the two-way time-out",
            future::join(ws.close_frame(), last_error),
        )
        .await;

        let want = if messages.is_empty() {
            SessionError::StartTimeout { timeout_ms: 200 }
        } else {
            SessionError::IdleTimeout { timeout_ms: 300 }
        };
        assert_eq!(error, Some(want.clone()));
        assert_eq!((close, error.map(|e| e.to_string())), one_way);
        assert_eq!(one_way.0, Some((1008, want.to_string())));
        assert!(!session.sender().is_open());
    }
    until(&rt, 10, "every place freed", || stats.active() == 0).await;
    assert_eq!(stats.timeouts(), 4);
}

pub async fn a_two_way_session_holds_its_place_under_the_cap_and_its_memory(
    rt: Arc<dyn ServerRuntime>,
) {
    let queue = relay_rs_core::media::SessionConfig::default().max_queued_bytes as u64;
    let mut receiver = bind(
        &rt,
        StreamReceiver::builder()
            .max_connections(1)
            .memory_budget(queue + queue / 2),
    )
    .await;
    let addr = receiver.local_addr().unwrap();
    let stats = receiver.stats();
    let (ws, (session, _)) = open_session(&rt, &mut receiver, addr).await;
    assert_eq!((stats.active(), stats.memory_used()), (1, queue));
    // The session, not only its handshake, holds the one place: the next socket is closed.
    let mut over = idle_socket(&rt, addr).await;
    let over_closed = {
        let accepted = std::pin::pin!(receiver.accept());
        let over_closed = std::pin::pin!(closed_by_peer(&rt, &mut over));
        let first = within(
            &rt,
            10,
            "the socket over the cap",
            future::select(accepted, over_closed),
        )
        .await;
        matches!(first, Either::Right((true, _)))
    };
    assert!(
        over_closed,
        "the socket over the cap is closed, not accepted"
    );
    assert_eq!(stats.refused_over_cap(), 1);
    // Its end gives back the place and the memory.
    drop((session, ws));
    until(&rt, 10, "the place and memory freed", || {
        (stats.active(), stats.memory_used()) == (0, 0)
    })
    .await;

    // Two sessions' queues do not fit the budget: the second is closed as a one-way stream
    // over the budget is.
    let (_first_ws, (_first, _)) = open_session(&rt, &mut receiver, addr).await;
    let mut receiver_two = bind(&rt, StreamReceiver::builder().memory_budget(queue - 1)).await;
    let addr_two = receiver_two.local_addr().unwrap();
    let server = async {
        let pending = receiver_two.accept().await.unwrap();
        pending.open_media(MediaSession::builder()).await.err()
    };
    let (mut ws, refused) = within(
        &rt,
        10,
        "a session refused",
        future::join(RawWs::open(&rt, addr_two), server),
    )
    .await;
    let want = ReceiveError::Assemble(AssembleError::OverBudget {
        needed: queue,
        limit: queue - 1,
    });
    assert_eq!(refused, Some(want.clone()));
    assert_eq!(ws.close_frame().await, Some((1008, want.to_string())));
    assert_eq!(
        (
            receiver_two.stats().refused_streams(),
            receiver_two.stats().memory_used()
        ),
        (1, 0)
    );
}

pub async fn both_readers_of_a_stream_give_the_same_events(rt: Arc<dyn ServerRuntime>) {
    let mut receiver = bind(&rt, StreamReceiver::builder()).await;
    let addr = receiver.local_addr().unwrap();
    let dtmf = StreamMessage::Dtmf {
        sequence_number: 3,
        digit: "5".into(),
        duration_ms: 40,
    }
    .to_json();
    let messages = [
        r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#.to_owned(),
        start(MediaFormat::pcmu()),
        media(1, 0),
        dtmf,
        stop(),
    ];

    let (mut ws, mut stream) = open_pair(&rt, &mut receiver, addr).await;
    for message in &messages {
        ws.send(message).await.unwrap();
    }
    let mut one_way: Vec<StreamEvent> = Vec::new();
    while one_way.last() != Some(&StreamEvent::Stopped) {
        let event = within(&rt, 10, "a one-way event", stream.next()).await;
        one_way.push(event.unwrap().unwrap());
    }

    let (mut ws, (mut session, _)) = open_session(&rt, &mut receiver, addr).await;
    for message in &messages {
        ws.send(message).await.unwrap();
    }
    let mut two_way: Vec<StreamEvent> = Vec::new();
    while two_way.last() != Some(&StreamEvent::Stopped) {
        let event = within(&rt, 10, "a two-way event", session.next()).await;
        two_way.push(event.unwrap().unwrap());
    }

    assert_eq!(one_way.len(), messages.len());
    assert!(matches!(
        &one_way[3],
        StreamEvent::Dtmf { digit, duration_ms: 40 } if digit == "5"
    ));
    assert_eq!(two_way, one_way);
}
