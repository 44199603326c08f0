//! The stream receivers' benchmark load: opens `STREAMS` WebSocket connections to `URL` at
//! once and plays, on each, the messages of a 20 ms PCMU stream of `SECONDS` of the test
//! signal (`connected`, `start`, `media`…, `stop`) as fast as the socket takes them. The
//! benchmark measures the receiver's CPU time per message; this sender's own cost is not
//! counted, so every message is serialised once and shared by all connections.
//!
//! `stream_flood URL STREAMS SECONDS`

use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use futures_util::SinkExt;
use relay_tokio::media::{test_signal, MediaFormat, MediaScript, MediaTrack, StartInfo};
use relay_tokio::transport::{connect_websocket, ConnectOptions};
use std::sync::Arc;

/// The packet time of the real service.
const PTIME_MS: u32 = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: stream_flood URL STREAMS SECONDS  (see the source's header)");
        return Ok(());
    }
    let url = args[0].clone();
    let streams: usize = args[1].parse()?;
    let seconds: u32 = args[2].parse()?;
    let format = MediaFormat::pcmu();
    let samples = test_signal(format.sample_rate, seconds * 1000);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tokio
        .block_on(async move {
            let mut tasks = Vec::with_capacity(streams);
            for n in 0..streams {
                let start = StartInfo {
                    stream_sid: format!("flood-{n}"),
                    account_sid: "project".into(),
                    call_sid: format!("call-{n}"),
                    tracks: vec![MediaTrack::Inbound],
                    custom_parameters: Default::default(),
                    media_format: format.clone(),
                };
                let messages: Arc<Vec<Utf8Bytes>> = Arc::new(
                    MediaScript::new(start, &samples, PTIME_MS)
                        .messages()
                        .iter()
                        .map(|(_, message)| Utf8Bytes::from(message.to_json()))
                        .collect(),
                );
                let url = url.clone();
                tasks.push(tokio::spawn(async move { play(&url, &messages).await }));
            }
            for task in tasks {
                task.await??;
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn play(
    url: &str,
    messages: &[Utf8Bytes],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let options = ConnectOptions {
        url: url.to_owned(),
        allow_insecure: true,
        extra_ca_pem: None,
        max_frame_size: 1 << 20,
    };
    let mut ws = connect_websocket(relay_tokio::runtime().as_ref(), &options, &[]).await?;
    for message in messages {
        ws.feed(Message::Text(message.clone())).await?;
    }
    ws.flush().await?;
    ws.close(None).await?;
    Ok(())
}
