//! A two-way media server mounted in the app's own HTTP server (hyper 1): `GET /health` is
//! an ordinary route; `/media` checks the bearer token in the app's router, upgrades to a
//! WebSocket and runs a [`MediaSession`] on it. [`echo_agent`] is the agent of the
//! `media_server_hyper` binary.

use async_tungstenite::tungstenite::handshake::derive_accept_key;
use async_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, SEC_WEBSOCKET_ACCEPT, UPGRADE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use relay_rs_core::media::{SendError, StreamEvent};
use relay_rs_core::receiver::{bearer_matches, MediaSession, MediaSessionBuilder};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// What runs each accepted media session.
pub type SessionHandler = Arc<dyn Fn(MediaSession) -> BoxFuture<'static, ()> + Send + Sync>;

/// The app's HTTP server: its own routes and the media route.
#[derive(Clone)]
pub struct MediaServer {
    token: Arc<str>,
    builder: MediaSessionBuilder,
    handler: SessionHandler,
}

impl std::fmt::Debug for MediaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaServer")
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The largest WebSocket message accepted: a 20 ms frame is under 1.5 KiB.
const MAX_MESSAGE: usize = 64 << 10;

impl MediaServer {
    /// `/media` wants `Authorization: Bearer <token>` and runs `handler` on each session.
    pub fn new(
        token: impl Into<String>,
        builder: MediaSessionBuilder,
        handler: SessionHandler,
    ) -> Self {
        Self {
            token: Arc::from(token.into()),
            builder,
            handler,
        }
    }

    /// Serves HTTP/1.1 with upgrades on `listener` until it fails.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        loop {
            let (tcp, _) = listener.accept().await?;
            let _ = tcp.set_nodelay(true);
            let server = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.route(req)) }
                });
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades();
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "http connection ended");
                }
            });
        }
    }

    /// The app's router.
    fn route(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        match (req.method(), req.uri().path()) {
            (&Method::GET, "/health") => reply(StatusCode::OK, "ok\n"),
            (&Method::GET, "/media") => self.media(req),
            _ => reply(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    fn media(&self, mut req: Request<Incoming>) -> Response<Full<Bytes>> {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !bearer_matches(header, &self.token) {
            return reply(StatusCode::UNAUTHORIZED, "bad or missing bearer token\n");
        }
        let is_websocket = req
            .headers()
            .get(UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let Some(key) = req
            .headers()
            .get("sec-websocket-key")
            .filter(|_| is_websocket)
        else {
            return reply(StatusCode::BAD_REQUEST, "a WebSocket upgrade expected\n");
        };
        let accept = derive_accept_key(key.as_bytes());
        let upgrade = hyper::upgrade::on(&mut req);
        let builder = self.builder.clone();
        let handler = self.handler.clone();
        tokio::spawn(async move {
            let upgraded = match upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%error, "media upgrade failed");
                    return;
                }
            };
            let config = WebSocketConfig::default()
                .max_message_size(Some(MAX_MESSAGE))
                .max_frame_size(Some(MAX_MESSAGE));
            let io = TokioIo::new(upgraded).compat();
            let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
            handler(builder.accept(ws, relay_tokio::runtime())).await;
        });
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(value) = HeaderValue::from_str(&accept) {
            headers.insert(SEC_WEBSOCKET_ACCEPT, value);
        }
        response
    }
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// The example agent: plays the caller's audio back to them, marks each DTMF digit
/// (`dtmf-<digit>`) and logs when the far end has played up to it, and clears on `*`.
pub async fn echo_agent(session: MediaSession) {
    let (sender, mut receiver) = session.split();
    while let Some(event) = receiver.next().await {
        match event {
            Ok(StreamEvent::Started(start)) => tracing::info!(
                call = %start.call_sid,
                stream = %start.stream_sid,
                encoding = start.media_format.encoding.mime(),
                rate = start.media_format.sample_rate,
                "media session started"
            ),
            Ok(StreamEvent::Audio { pcm, .. }) => match sender.send_audio(&pcm) {
                Ok(_) => {}
                Err(SendError::QueueFull { .. }) => tracing::warn!("far end slow; audio dropped"),
                Err(error) => tracing::debug!(%error, "cannot echo"),
            },
            Ok(StreamEvent::Dtmf { digit, .. }) if digit == "*" => {
                let _ = sender.clear();
            }
            Ok(StreamEvent::Dtmf { digit, .. }) => match sender.mark(&format!("dtmf-{digit}")) {
                Ok(mark) => {
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(30), mark).await {
                            Ok(Ok(outcome)) => tracing::info!(%digit, ?outcome, "mark back"),
                            Ok(Err(error)) => tracing::debug!(%error, "mark lost"),
                            Err(_) => tracing::debug!(%digit, "mark not back within 30 s"),
                        }
                    });
                }
                Err(error) => tracing::debug!(%error, "cannot mark"),
            },
            Ok(StreamEvent::Stopped) => break,
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "media session"),
        }
    }
}
