//! A two-way media server in the app's own HTTP server: `GET /health` beside `/media`,
//! where SignalWire's `<Connect><Stream>` (or `calling.connect` to a stream device) sends
//! the call; the agent echoes the caller. `MEDIA_TOKEN` is the bearer token (required),
//! `MEDIA_ADDR` the address (default 127.0.0.1:8090). Put TLS in front for `wss://`.

use examples::media_server::{echo_agent, MediaServer};
use relay_rs_core::receiver::MediaSession;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let token = std::env::var("MEDIA_TOKEN").map_err(|_| "set MEDIA_TOKEN")?;
    let addr = std::env::var("MEDIA_ADDR").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "listening on http://{}: GET /health, ws /media",
        listener.local_addr()?
    );
    let server = MediaServer::new(
        token,
        MediaSession::builder(),
        Arc::new(|session| Box::pin(echo_agent(session))),
    );
    server.serve(listener).await?;
    Ok(())
}
