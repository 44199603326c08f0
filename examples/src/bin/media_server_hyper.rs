//! A two-way media server in the app's own HTTP server (hyper 1): `GET /health` beside
//! `/media`, where a call's bidirectional stream (`calling.connect` to a stream device, or
//! cXML's `<Connect><Stream>`) arrives; the agent plays the caller back to them. Run with
//! `--help` for the flags.

use examples::cli::{init_tracing, Flag, Program, LOG_SESSIONS, RUST_LOG};
use examples::media_server::{echo_agent, MediaServer};
use relay_rs_core::receiver::MediaSession;
use std::sync::Arc;

const PROGRAM: Program = Program {
    name: "media_server_hyper",
    about: "A two-way media server mounted in an ordinary hyper HTTP server: GET /health, and\n\
            /media (bearer token checked by the app's router) running an echo agent on each\n\
            stream: it plays the caller back, marks each digit, clears on `*`. Plain HTTP: put\n\
            TLS in front for the wss:// url SignalWire needs.",
    positional: &[],
    flags: &[
        Flag::value(
            "--listen",
            "ADDR",
            "address to serve (default 127.0.0.1:8090)",
        ),
        Flag::value(
            "--token",
            "TOKEN",
            "bearer token /media requires (or MEDIA_TOKEN)",
        ),
    ],
    env: &[
        ("MEDIA_TOKEN", "bearer token, when --token is not given"),
        RUST_LOG,
    ],
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = PROGRAM.parse_env_args();
    init_tracing(LOG_SESSIONS);
    let token = match args.value("--token") {
        Some(token) => token.to_owned(),
        None => std::env::var("MEDIA_TOKEN")
            .unwrap_or_else(|_| PROGRAM.fail("give --token or set MEDIA_TOKEN")),
    };
    let addr = args.value("--listen").unwrap_or("127.0.0.1:8090");
    let listener = tokio::net::TcpListener::bind(addr).await?;
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
