//! The two-way media session from plain threads, over a real loopback socket: the blocking
//! listener checks the token, the session reads events with a time-out, sends frames and
//! waits for its mark.

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::Message;
use futures_util::StreamExt;
use relay_smol::blocking_media::BlockingMediaListener;
use relay_smol::media::{OutgoingMessage, StreamEvent};
use relay_smol::receiver::{MarkOutcome, MediaSession, ReceiveError};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(10);
const START: &str = r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"s-9","accountSid":"a","callSid":"c-9","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#;

/// Plays the service: connects with `token`, starts a PCMU stream, returns what it read
/// (media payload lengths and marks), acking each mark and ending with a digit and `stop`.
fn service(url: String, token: &'static str) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        smol::block_on(async move {
            let mut request = url.into_client_request().expect("url");
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
            let addr = request
                .uri()
                .authority()
                .expect("authority")
                .as_str()
                .to_owned();
            let tcp = smol::net::TcpStream::connect(addr).await.expect("connect");
            let Ok((mut ws, _)) = async_tungstenite::client_async(request, tcp).await else {
                return vec!["refused".to_owned()];
            };
            ws.send(Message::text(START)).await.expect("start");
            let mut seen = Vec::new();
            while let Some(Ok(message)) = ws.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                match OutgoingMessage::parse(text.as_str()).expect("ours") {
                    OutgoingMessage::Media { payload, .. } => {
                        seen.push(format!("media {}", payload.len()))
                    }
                    OutgoingMessage::Mark { name, .. } => {
                        seen.push(format!("mark {name}"));
                        let ack = format!(
                            r#"{{"event":"mark","sequenceNumber":"2","mark":{{"name":"{name}"}}}}"#
                        );
                        ws.send(Message::text(ack)).await.expect("ack");
                        let digit = r#"{"event":"dtmf","sequenceNumber":"3","dtmf":{"digit":"5","duration":80}}"#;
                        ws.send(Message::text(digit)).await.expect("dtmf");
                        ws.send(Message::text(r#"{"event":"stop","sequenceNumber":"4"}"#))
                            .await
                            .expect("stop");
                    }
                    other => seen.push(format!("{other:?}")),
                }
            }
            seen
        })
    })
}

#[test]
fn a_thread_talks_listens_and_waits_for_its_mark() {
    let mut listener = BlockingMediaListener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        Some("tok".into()),
        MediaSession::builder(),
    )
    .expect("bind");
    let url = listener.url().expect("url");
    let refused = service(url.clone(), "nope");
    let accepted = listener
        .accept_timeout(PATIENCE)
        .expect("in time")
        .expect("accept");
    assert!(
        matches!(accepted, Err(ReceiveError::Unauthorized)),
        "{accepted:?}"
    );
    assert_eq!(refused.join().expect("service"), ["refused"]);

    let far_end = service(url, "tok");
    let (mut session, info) = listener
        .accept_timeout(PATIENCE)
        .expect("in time")
        .expect("accept")
        .expect("authorized");
    assert_eq!(info.path, "/");
    let Ok(Ok(StreamEvent::Started(start))) = session.recv_timeout(PATIENCE) else {
        panic!("start first");
    };
    assert_eq!(start.call_sid, "c-9");
    assert_eq!(
        session.recv_timeout(Duration::from_millis(1)),
        Err(RecvTimeoutError::Timeout)
    );
    // 25 ms: one frame now; the mark flushes the other 5 ms padded to a whole frame.
    assert_eq!(session.send_audio(&[100; 200]), Ok(1));
    let mut mark = session.mark("done").expect("queued");
    assert_eq!(mark.wait_timeout(PATIENCE), Some(Ok(MarkOutcome::Played)));
    let mut rest = Vec::new();
    loop {
        match session.recv_timeout(PATIENCE) {
            Ok(Ok(StreamEvent::Stopped)) => break,
            Ok(event) => rest.push(event),
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(
        matches!(rest[0], Ok(StreamEvent::MarkPlayed { .. })),
        "{rest:?}"
    );
    assert_eq!(
        rest[1],
        Ok(StreamEvent::Dtmf {
            digit: "5".into(),
            duration_ms: 80
        })
    );
    session.close();
    assert_eq!(
        session.recv_timeout(PATIENCE),
        Err(RecvTimeoutError::Disconnected)
    );
    assert_eq!(
        far_end.join().expect("service"),
        ["media 160", "media 160", "mark done"]
    );
}
