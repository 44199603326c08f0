//! The stream receivers' benchmark load: opens `STREAMS` WebSocket connections to `URL` at
//! once and plays, on each, the messages of a 20 ms PCMU stream of `SECONDS` of the test
//! signal (`connected`, `start`, `media`…, `stop`) as fast as the socket takes them. The
//! benchmark measures the receiver's CPU time per message; this sender's own cost is not
//! counted, so every message is serialised once and shared by all connections.
//!
//! `stream_flood URL STREAMS SECONDS`

use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use examples::cli::Program;
use futures_util::SinkExt;
use relay_tokio::media::{test_signal, MediaFormat, MediaScript, MediaTrack, StartInfo};
use relay_tokio::transport::{connect_websocket, ConnectOptions};
use std::sync::Arc;

/// The packet time of the real service.
const PTIME_MS: u32 = 20;

const PROGRAM: Program = Program {
    name: "stream_flood",
    about: "The stream receivers' benchmark load: opens STREAMS WebSocket connections to URL at
once and plays, on each, a 20 ms PCMU stream of SECONDS of test signal (connected, start,
media..., stop) as fast as the socket takes them.",
    positional: &[
        ("URL", "the receiver's ws:// url (required)"),
        ("STREAMS", "how many connections at once (required)"),
        ("SECONDS", "seconds of audio on each (required)"),
    ],
    flags: &[],
    env: &[],
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let parsed = PROGRAM.parse_env_args();
    let arg = |index: usize, name: &str| match parsed.positional(index) {
        Some(value) => value.to_owned(),
        None => PROGRAM.fail(&format!("{name} is missing")),
    };
    let url = arg(0, "URL");
    let streams: usize = arg(1, "STREAMS")
        .parse()
        .unwrap_or_else(|e| PROGRAM.fail(&format!("STREAMS: {e}")));
    let seconds: u32 = arg(2, "SECONDS")
        .parse()
        .unwrap_or_else(|e| PROGRAM.fail(&format!("SECONDS: {e}")));
    let format = MediaFormat::pcmu();
    let samples = test_signal(format.sample_rate, seconds * 1000);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tokio
        .block_on(async move {
            let mut tasks = Vec::with_capacity(streams);
            for n in 0..streams {
                let start = StartInfo::new(
                    format!("flood-{n}"),
                    "project",
                    format!("call-{n}"),
                    vec![MediaTrack::Inbound],
                    format.clone(),
                );
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
