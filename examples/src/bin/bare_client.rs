//! The end-to-end baseline: a bare async-tungstenite client that authenticates, then only
//! acks every server frame, counting `calling.call.receive` events. No engine, no state, no
//! user code. The benchmark compares the relay-rs client (`workload`, receive mode) against
//! it on the same `relay_sim` run, so the ratio is the client's own overhead.
//!
//! `bare_client` with `SIGNALWIRE_SPACE`, `SIGNALWIRE_PROJECT_ID`, `SIGNALWIRE_API_TOKEN`,
//! `SIGNALWIRE_RELAY_SCHEME` (`ws` on loopback), `SIGNALWIRE_RELAY_CA_FILE`, `BENCH_CALLS`.

use async_tungstenite::tungstenite::Message;
use examples::cli::Program;
use futures_util::{FutureExt, SinkExt, StreamExt};
use relay_tokio::transport::{connect_websocket, ConnectOptions};
use std::time::Instant;

const PROGRAM: Program = Program {
    name: "bare_client",
    about: "The benchmark's baseline: a bare WebSocket client that authenticates, then only
acks every server frame, counting calling.call.receive events; exits after BENCH_CALLS of
them. No engine, no state, no user code.",
    positional: &[],
    flags: &[],
    env: &[
        ("SIGNALWIRE_SPACE", "the server's host:port (required)"),
        ("SIGNALWIRE_PROJECT_ID", "project id (required)"),
        ("SIGNALWIRE_API_TOKEN", "API token (required)"),
        (
            "SIGNALWIRE_RELAY_SCHEME",
            "ws for a plain-WebSocket server on loopback (default wss)",
        ),
        ("SIGNALWIRE_RELAY_CA_FILE", "extra CA (PEM) to trust"),
        (
            "BENCH_CALLS",
            "how many offered calls to count before exiting (required)",
        ),
    ],
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    PROGRAM.parse_env_args();
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let calls: usize = env("BENCH_CALLS")?.parse()?;
    let scheme = std::env::var("SIGNALWIRE_RELAY_SCHEME").unwrap_or_else(|_| "wss".into());
    let options = ConnectOptions {
        url: format!("{scheme}://{}", env("SIGNALWIRE_SPACE")?),
        allow_insecure: scheme == "ws",
        extra_ca_pem: std::env::var("SIGNALWIRE_RELAY_CA_FILE")
            .ok()
            .map(std::fs::read)
            .transpose()?,
        max_frame_size: 10 << 20,
    };
    let connect = serde_json::json!({
        "jsonrpc": "2.0", "id": "connect", "method": "signalwire.connect",
        "params": {
            "version": {"major": 2, "minor": 0, "revision": 0},
            "agent": "bare-baseline", "event_acks": true, "contexts": ["office"],
            "authentication": {"project": env("SIGNALWIRE_PROJECT_ID")?,
                               "token": env("SIGNALWIRE_API_TOKEN")?},
        }
    })
    .to_string();
    let began = Instant::now();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let runtime = relay_tokio::runtime();
            let mut ws = connect_websocket(runtime.as_ref(), &options, &[]).await?;
            ws.send(Message::text(connect)).await?;
            let mut seen = 0;
            while seen < calls {
                let Some(message) = ws.next().await else {
                    return Err("the server closed the socket".into());
                };
                seen += ack(&mut ws, message?).await?;
                // Ack whatever else is already here, then flush once, as the client does.
                while let Some(Some(message)) = ws.next().now_or_never() {
                    seen += ack(&mut ws, message?).await?;
                }
                ws.flush().await?;
            }
            Ok::<(), Box<dyn std::error::Error>>(())
        })?;
    println!(
        "{}",
        serde_json::json!({"client": "bare async-tungstenite", "calls": calls,
            "wall_s": began.elapsed().as_secs_f64()})
    );
    Ok(())
}

/// Queues the ack of a server request; 1 when it was an inbound call.
async fn ack<S>(
    ws: &mut async_tungstenite::WebSocketStream<S>,
    message: Message,
) -> Result<usize, Box<dyn std::error::Error>>
where
    S: futures_util::io::AsyncRead + futures_util::io::AsyncWrite + Unpin,
{
    let Message::Text(text) = message else {
        return Ok(0);
    };
    let frame: serde_json::Value = serde_json::from_str(text.as_str())?;
    if frame.get("method").is_none() {
        return Ok(0);
    }
    let ack = serde_json::json!({"jsonrpc": "2.0", "id": frame["id"], "result": {}});
    ws.feed(Message::text(ack.to_string())).await?;
    Ok(usize::from(
        frame["params"]["event_type"] == "calling.call.receive",
    ))
}
