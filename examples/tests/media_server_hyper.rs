//! The two-way media session over real loopback sockets (tokio): mounted in the app's own
//! hyper server beside an ordinary route, spoken to as the service would, with exact
//! messages both ways; and the far ends that never read, send too fast or never ack.

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::{Error as WsError, Message};
use async_tungstenite::WebSocketStream;
use examples::media_server::{echo_agent, MediaServer};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use futures_util::StreamExt;
use relay_rs_core::media::{
    MediaFormat, OutgoingMessage, SendError, SessionConfig, SessionError, StreamEvent,
};
use relay_rs_core::receiver::{MarkOutcome, MediaSession};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

const SID: &str = "s-1";
const TOKEN: &str = "sekret";
/// Bounds every wait, so a broken session fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(10);

type ServiceWs = WebSocketStream<Compat<tokio::net::TcpStream>>;

fn start(encoding: &str, rate: u32) -> String {
    format!(
        r#"{{"event":"start","sequenceNumber":"1","start":{{"streamSid":"{SID}","accountSid":"a","callSid":"c-1","tracks":["inbound"],"customParameters":{{}},"mediaFormat":{{"encoding":"{encoding}","sampleRate":{rate},"channels":1}}}}}}"#
    )
}

fn media(payload: &[u8]) -> String {
    OutgoingMessage::Media {
        stream_sid: SID.into(),
        payload: payload.to_vec().into(),
    }
    .to_json()
    .replace(
        &format!(r#""streamSid":"{SID}","media":{{"#),
        r#""sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","#,
    )
}

async fn app_server(handler: examples::media_server::SessionHandler) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = MediaServer::new(TOKEN, MediaSession::builder(), handler);
    tokio::spawn(server.serve(listener));
    addr
}

/// Connects to `url` as SignalWire does: an upgrade with `Authorization: Bearer <token>`.
async fn connect_as_service(addr: SocketAddr, token: &str) -> Result<ServiceWs, WsError> {
    let mut request = format!("ws://{addr}/media").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(WsError::Io)?;
    let (ws, _) = async_tungstenite::client_async(request, tcp.compat()).await?;
    Ok(ws)
}

async fn send(ws: &mut ServiceWs, text: impl Into<String>) {
    ws.send(Message::text(text.into()))
        .await
        .expect("service sends");
}

async fn read_text(ws: &mut ServiceWs) -> String {
    loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let Message::Text(text) = message {
            return text.as_str().to_owned();
        }
    }
}

#[tokio::test]
async fn the_app_router_serves_its_own_route_and_checks_the_token_before_upgrading() {
    let addr = app_server(Arc::new(|s| Box::pin(echo_agent(s)))).await;
    let mut tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect")
        .compat();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok\n"), "{response}");
    for token in ["wrong", ""] {
        match connect_as_service(addr, token).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
            other => panic!("401 expected, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn the_echo_agent_speaks_the_two_way_protocol_exactly() {
    let addr = app_server(Arc::new(|s| Box::pin(echo_agent(s)))).await;
    let mut ws = connect_as_service(addr, TOKEN).await.expect("upgraded");
    send(
        &mut ws,
        r#"{"event":"connected","protocol":"Call","version":"0.2.0"}"#,
    )
    .await;
    send(&mut ws, start("audio/x-mulaw", 8000)).await;
    // µ-law bytes that survive decode and encode (0x7F, the second zero, does not).
    let frame: Vec<u8> = (0..160u8).map(|i| if i == 0x7F { 0 } else { i }).collect();
    send(&mut ws, media(&frame)).await;
    let echoed = OutgoingMessage::Media {
        stream_sid: SID.into(),
        payload: frame.clone().into(),
    };
    assert_eq!(read_text(&mut ws).await, echoed.to_json());
    send(
        &mut ws,
        r#"{"event":"dtmf","sequenceNumber":"3","dtmf":{"digit":"1","duration":100}}"#,
    )
    .await;
    assert_eq!(
        read_text(&mut ws).await,
        format!(r#"{{"event":"mark","streamSid":"{SID}","mark":{{"name":"dtmf-1"}}}}"#)
    );
    send(
        &mut ws,
        format!(r#"{{"event":"mark","streamSid":"{SID}","mark":{{"name":"dtmf-1"}}}}"#),
    )
    .await;
    send(
        &mut ws,
        r#"{"event":"dtmf","sequenceNumber":"4","dtmf":{"digit":"*","duration":100}}"#,
    )
    .await;
    assert_eq!(
        read_text(&mut ws).await,
        format!(r#"{{"event":"clear","streamSid":"{SID}"}}"#)
    );
    // The newest docs' envelope form is read too.
    let envelope = format!(
        r#"{{"timestamp":"t","direction":"inbound","eventType":"media","streamSid":"{SID}","sequenceNumber":"5","rawEvent":{}}}"#,
        media(&frame)
    );
    send(&mut ws, envelope).await;
    assert_eq!(read_text(&mut ws).await, echoed.to_json());
    send(&mut ws, r#"{"event":"stop","sequenceNumber":"6"}"#).await;
    // The agent returns on stop; its session closes the socket.
    let end = tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("closed in time");
    assert!(
        matches!(end, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "{end:?}"
    );
}

/// A plain loopback pair: the app's session on one end, the service's socket on the other.
async fn session_pair(
    builder: relay_rs_core::receiver::MediaSessionBuilder,
    small_buffers: bool,
) -> (MediaSession, ServiceWs) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    if small_buffers {
        // Small socket buffers both ways (the accepted socket inherits the listener's) make
        // a side that stops reading hold the other back after a few kilobytes.
        socket.set_send_buffer_size(4096).expect("sndbuf");
        socket.set_recv_buffer_size(4096).expect("rcvbuf");
    }
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let listener = socket.listen(8).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let client = tokio::spawn(async move {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if small_buffers {
            socket.set_send_buffer_size(4096).expect("sndbuf");
            socket.set_recv_buffer_size(4096).expect("rcvbuf");
        }
        let tcp = socket.connect(addr).await.expect("connect");
        let (ws, _) = async_tungstenite::client_async(format!("ws://{addr}/"), tcp.compat())
            .await
            .expect("upgrade");
        ws
    });
    let (tcp, _) = listener.accept().await.expect("accept");
    let ws = async_tungstenite::accept_async(tcp.compat())
        .await
        .expect("upgrade");
    let session = builder.accept(ws, relay_tokio::runtime());
    (session, client.await.expect("client"))
}

async fn next_event(session: &mut MediaSession) -> Option<Result<StreamEvent, SessionError>> {
    tokio::time::timeout(PATIENCE, session.next())
        .await
        .expect("an event in time")
}

#[tokio::test]
async fn marks_resolve_played_cleared_or_closed_over_a_real_socket() {
    let (mut session, mut service) = session_pair(MediaSession::builder(), false).await;
    send(&mut service, start("audio/x-L16", 16_000)).await;
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    // 30 ms of L16 at 16 kHz: one whole 640-byte frame, the rest flushed by the mark.
    assert_eq!(session.send_audio(&[7; 480]), Ok(1));
    let played = session.mark("one").expect("queued");
    for _ in 0..2 {
        let OutgoingMessage::Media { payload, .. } =
            OutgoingMessage::parse(&read_text(&mut service).await).expect("media")
        else {
            panic!("media expected");
        };
        assert_eq!(payload.len(), 640);
        assert_eq!(payload[..2], [7, 0], "L16 little-endian");
    }
    assert_eq!(
        read_text(&mut service).await,
        r#"{"event":"mark","streamSid":"s-1","mark":{"name":"one"}}"#
    );
    send(
        &mut service,
        r#"{"event":"mark","sequenceNumber":"3","mark":{"name":"one"}}"#,
    )
    .await;
    assert_eq!(
        tokio::time::timeout(PATIENCE, played)
            .await
            .expect("in time"),
        Ok(MarkOutcome::Played)
    );
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::MarkPlayed { .. }))
    ));

    let cleared = session.mark("two").expect("queued");
    read_text(&mut service).await;
    session.clear().expect("clear");
    assert_eq!(
        read_text(&mut service).await,
        r#"{"event":"clear","streamSid":"s-1"}"#
    );
    send(
        &mut service,
        r#"{"event":"mark","sequenceNumber":"4","mark":{"name":"two"}}"#,
    )
    .await;
    assert_eq!(
        tokio::time::timeout(PATIENCE, cleared)
            .await
            .expect("in time"),
        Ok(MarkOutcome::Cleared)
    );

    let never = session.mark("three").expect("queued");
    read_text(&mut service).await;
    send(
        &mut service,
        r#"{"event":"mark","sequenceNumber":"5","mark":{"name":"ghost"}}"#,
    )
    .await;
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::MarkCleared { .. }))
    ));
    assert_eq!(
        next_event(&mut session).await,
        Some(Err(SessionError::UnknownMark("ghost".into())))
    );
    assert_eq!(session.sender().stats().unknown_marks, 1);
    drop(service);
    assert_eq!(
        tokio::time::timeout(PATIENCE, never)
            .await
            .expect("in time"),
        Err(SendError::Closed)
    );
    assert_eq!(session.send_audio(&[0; 320]), Err(SendError::Closed));
}

#[tokio::test]
async fn a_far_end_that_never_reads_gets_queue_full_then_the_write_deadline_closes() {
    let builder = MediaSession::builder()
        .config(SessionConfig::default().max_queued_messages(16))
        .write_timeout(Duration::from_millis(300));
    let (mut session, mut service) = session_pair(builder, true).await;
    send(&mut service, start("audio/x-L16", 24_000)).await;
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    let frame = vec![1000i16; MediaFormat::l16(24_000).samples_for(20)];
    // The service never reads again: frames pile up in the socket buffers, then in the queue.
    let mut full = 0;
    let filling = async {
        loop {
            match session.send_audio(&frame) {
                Ok(_) => {}
                Err(SendError::QueueFull {
                    queued_messages, ..
                }) => {
                    assert!(queued_messages <= 16);
                    full += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err(other) => break other,
            }
            tokio::task::yield_now().await;
        }
    };
    let closed = tokio::time::timeout(PATIENCE, filling)
        .await
        .expect("closed in time");
    assert!(
        full > 0,
        "the bounded queue said so before the session closed"
    );
    assert_eq!(closed, SendError::Closed);
    assert_eq!(
        next_event(&mut session).await,
        Some(Err(SessionError::WriteTimeout))
    );
    assert_eq!(next_event(&mut session).await, None);
    drop(service);
}

#[tokio::test]
async fn audio_sent_faster_than_the_app_reads_is_held_back_by_tcp_not_buffered() {
    let builder = MediaSession::builder().event_capacity(4);
    let (mut session, mut service) = session_pair(builder, true).await;
    send(&mut service, start("audio/x-mulaw", 8000)).await;
    let frame = media(&[0xFF; 160]);
    let flood = tokio::spawn(async move {
        for _ in 0..50_000 {
            if service.send(Message::text(frame.clone())).await.is_err() {
                break;
            }
        }
        service
    });
    // Wait until the session has stopped reading (its count stays put), without reading.
    let mut last = u64::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = session.sender().stats().audio_in;
        if now == last {
            break;
        }
        last = now;
    }
    assert!(
        last <= 5,
        "read {last} frames ahead of the app (4 queued + 1 in hand)"
    );
    assert!(!flood.is_finished(), "the flood is held back by TCP");
    // Reading catches up and the flood goes through.
    let mut audio = 0;
    while audio < 50_000 {
        match next_event(&mut session).await {
            Some(Ok(StreamEvent::Audio { pcm, .. })) => {
                assert_eq!(pcm.len(), 160);
                audio += 1;
            }
            Some(Ok(StreamEvent::Started(_))) => {}
            other => panic!("{other:?}"),
        }
    }
    tokio::time::timeout(PATIENCE, flood)
        .await
        .expect("in time")
        .expect("flood");
}

#[tokio::test]
async fn a_mark_never_acknowledged_can_time_out_and_its_place_is_reused() {
    let builder = MediaSession::builder().config(SessionConfig::default().max_pending_marks(1));
    let (mut session, mut service) = session_pair(builder, false).await;
    send(&mut service, start("audio/x-mulaw", 8000)).await;
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    let first = session.mark("a").expect("queued");
    assert_eq!(
        session.mark("b").map(|_| ()),
        Err(SendError::TooManyMarks { limit: 1 }),
        "one pending at most"
    );
    // The far end never acknowledges: the app's own time-out drops the handle.
    assert!(tokio::time::timeout(Duration::from_millis(20), first)
        .await
        .is_err());
    let second = session.mark("b").expect("the abandoned mark made room");
    assert_eq!(
        read_text(&mut service).await,
        r#"{"event":"mark","streamSid":"s-1","mark":{"name":"a"}}"#
    );
    assert_eq!(
        read_text(&mut service).await,
        r#"{"event":"mark","streamSid":"s-1","mark":{"name":"b"}}"#
    );
    send(
        &mut service,
        r#"{"event":"mark","sequenceNumber":"2","mark":{"name":"b"}}"#,
    )
    .await;
    assert_eq!(
        tokio::time::timeout(PATIENCE, second)
            .await
            .expect("in time"),
        Ok(MarkOutcome::Played)
    );
}

#[tokio::test]
async fn send_audio_wait_waits_for_room_instead_of_failing() {
    let builder = MediaSession::builder().config(SessionConfig::default().max_queued_messages(2));
    let (mut session, mut service) = session_pair(builder, false).await;
    send(&mut service, start("audio/x-mulaw", 8000)).await;
    assert!(matches!(
        next_event(&mut session).await,
        Some(Ok(StreamEvent::Started(_)))
    ));
    let (sender, _receiver) = session.split();
    // Ten frames through a two-message queue: each call waits for the writer.
    for _ in 0..10 {
        let sent = tokio::time::timeout(PATIENCE, sender.send_audio_wait(&[0; 160])).await;
        assert_eq!(sent.expect("in time"), Ok(1));
    }
    for _ in 0..10 {
        assert!(read_text(&mut service)
            .await
            .starts_with(r#"{"event":"media","streamSid":"s-1""#));
    }
    // More than the whole queue holds never fits: refused at once, not waited for.
    assert!(matches!(
        sender.send_audio_wait(&[0; 480]).await,
        Err(SendError::QueueFull { .. })
    ));
}
