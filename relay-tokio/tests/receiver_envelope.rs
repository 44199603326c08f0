//! The one-way stream receiver reads both forms SignalWire's docs show: the plain message,
//! and the newest docs' envelope with the message under `rawEvent`. Real loopback socket.

use relay_rs_core::driver::{connect_websocket, ConnectOptions, Transport, WsTransport};
use relay_rs_core::media::{Encoding, MediaTrack};
use relay_rs_core::receiver::{ReceiveError, StreamEvent, StreamReceiver};
use std::time::Duration;

const PLAIN: [&str; 5] = [
    r#"{"event":"connected","protocol":"Call","version":"0.2.0"}"#,
    r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"S","accountSid":"A","callSid":"C","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#,
    r#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"VVVV"}}"#,
    r#"{"event":"dtmf","sequenceNumber":"3","dtmf":{"duration":2700,"digit":"8"}}"#,
    r#"{"event":"stop","sequenceNumber":"4"}"#,
];

/// Each plain message wrapped as the newest docs show it.
fn enveloped(plain: &str) -> String {
    let event = plain.split('"').nth(3).expect("event name");
    format!(
        r#"{{"timestamp":"2025-09-26T16:25:04.792Z","direction":"inbound","eventType":"{event}","streamSid":"S","rawEvent":{plain}}}"#
    )
}

async fn receive(messages: Vec<String>) -> Vec<Result<StreamEvent, ReceiveError>> {
    let runtime = relay_tokio::runtime();
    let mut receiver = StreamReceiver::bind(runtime.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let options = ConnectOptions {
        url: receiver.url().expect("url"),
        allow_insecure: true,
        extra_ca_pem: None,
        max_frame_size: 1 << 20,
    };
    let sender = tokio::spawn(async move {
        let ws = connect_websocket(runtime.as_ref(), &options, &[])
            .await
            .expect("connects");
        let (_reader, mut writer) = Box::new(WsTransport::new(ws)).split();
        for message in messages {
            writer.send(message).await.expect("queued");
            writer.flush().await.expect("sent");
        }
        writer.close().await;
    });
    let mut stream = receiver
        .accept()
        .await
        .expect("accept")
        .open()
        .await
        .expect("open");
    let mut events = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("in time")
    {
        events.push(event);
    }
    sender.await.expect("sender");
    events
}

#[tokio::test]
async fn the_one_way_receiver_reads_the_plain_and_the_envelope_form_alike() {
    let plain = receive(PLAIN.iter().map(|m| m.to_string()).collect()).await;
    let envelope = receive(PLAIN.iter().map(|m| enveloped(m)).collect()).await;
    assert_eq!(plain.len(), 5);
    assert!(matches!(&plain[1], Ok(StreamEvent::Started(start)) if start.call_sid == "C"));
    assert_eq!(
        plain[2],
        Ok(StreamEvent::Audio {
            track: MediaTrack::Inbound,
            chunk: 1,
            timestamp_ms: 0,
            pcm: Encoding::Mulaw.decode(&[0x55; 3]),
        })
    );
    assert_eq!(
        plain[3],
        Ok(StreamEvent::Dtmf {
            digit: "8".into(),
            duration_ms: 2700
        })
    );
    assert_eq!(plain[4], Ok(StreamEvent::Stopped));
    assert_eq!(envelope, plain);
}
