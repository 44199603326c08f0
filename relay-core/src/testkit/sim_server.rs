//! A local RELAY service: the sans-IO [`FakeRelay`] served over real WebSockets (`ws://` or
//! `wss://`), with real media streams to the stream urls and real status callbacks.

use super::media_sender::{send_media, AudioSource, MediaEnd, MediaSettings, Pacing};
use super::status_callback::send_status;
use crate::driver::Runtime;
use crate::ids::{CallId, ControlId, IdGenerator};
use crate::server::{upgrade, PendingUpgrade, ServerRuntime, WsListener};
use crate::sim::{ConnId, FakeRelay, SimConfig, SimOutput};
use async_tungstenite::tungstenite::Message;
use futures_channel::{mpsc, oneshot};
use futures_rustls::rustls;
use futures_util::future::{self, Either, FutureExt};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type RelayFn = Box<dyn FnOnce(&mut FakeRelay, Instant) + Send>;

/// What the tasks around the fake service tell it.
enum Input {
    Connected(ConnId, mpsc::UnboundedSender<Outgoing>),
    Frame(ConnId, String),
    Disconnected(ConnId),
    MediaStarted(ControlId),
    MediaEnded(ControlId, MediaEnd),
    With(RelayFn),
    Shutdown,
}

/// What the fake service tells one connection task.
enum Outgoing {
    Text(String),
    Close,
}

/// How to build a [`SimServer`].
#[derive(Clone)]
pub struct SimServerBuilder {
    config: SimConfig,
    addr: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    audio: AudioSource,
    pacing: Pacing,
    media_ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for SimServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServerBuilder")
            .field("addr", &self.addr)
            .field("tls", &self.tls.is_some())
            .field("audio", &self.audio)
            .field("pacing", &self.pacing)
            .finish_non_exhaustive()
    }
}

impl SimServerBuilder {
    /// A simulator on `127.0.0.1` (a free port), plain `ws://`, real-time media of 3 s of the
    /// test signal.
    pub fn new(config: SimConfig) -> Self {
        Self {
            config,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            audio: AudioSource::TestSignal { duration_ms: 3000 },
            pacing: Pacing::RealTime,
            media_ca_pem: None,
        }
    }

    /// Listens on `addr`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serves `wss://` with this TLS configuration (see [`super::tls_server_config`]).
    pub fn tls(mut self, tls: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The audio every stream carries.
    pub fn audio(mut self, audio: AudioSource) -> Self {
        self.audio = audio;
        self
    }

    /// Real-time (20 ms) or fast media.
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Extra CA certificates (PEM) trusted when connecting to `wss://` stream urls.
    pub fn media_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.media_ca_pem = Some(pem.into());
        self
    }

    /// Binds and starts serving on `runtime`.
    pub async fn start(self, runtime: Arc<dyn ServerRuntime>) -> std::io::Result<SimServer> {
        let tls = self.tls.is_some();
        let listener = WsListener::bind(runtime.as_ref(), self.addr, self.tls).await?;
        let runtime: Arc<dyn Runtime> = runtime;
        let addr = listener.local_addr()?;
        let (inputs, receiver) = mpsc::unbounded();
        let (stop_accept, accept_stopped) = oneshot::channel();
        let two_way = super::two_way_sim::TwoWayCallers::default();
        let settings = Arc::new(MediaSettings {
            audio: self.audio,
            pacing: self.pacing,
            extra_ca_pem: self.media_ca_pem,
            account_sid: self.config.project_id.clone(),
            two_way: two_way.clone(),
        });
        let relay = FakeRelay::new(self.config.clone());
        let service = Service {
            runtime: runtime.clone(),
            relay,
            inputs: inputs.clone(),
            connections: HashMap::new(),
            media_stops: HashMap::new(),
            settings,
            ids: IdGenerator::new(self.config.seed.wrapping_add(1)),
        };
        runtime.spawn(Box::pin(service.run(receiver)));
        runtime.spawn(Box::pin(accept_loop(
            runtime.clone(),
            listener,
            inputs.clone(),
            accept_stopped,
        )));
        Ok(SimServer {
            inputs,
            addr,
            tls,
            stop_accept: Some(stop_accept),
            two_way,
        })
    }
}

/// A running local RELAY service. Dropping it stops it and closes every connection.
pub struct SimServer {
    inputs: mpsc::UnboundedSender<Input>,
    addr: SocketAddr,
    tls: bool,
    stop_accept: Option<oneshot::Sender<()>>,
    two_way: super::two_way_sim::TwoWayCallers,
}

impl SimServer {
    /// The callers of connects to stream devices: their script and recordings.
    pub fn two_way(&self) -> &super::two_way_sim::TwoWayCallers {
        &self.two_way
    }
}

impl fmt::Debug for SimServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish()
    }
}

impl SimServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, as `SIGNALWIRE_SPACE` and the client builder's `host` take it.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `ws://host:port` or `wss://host:port`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}", self.addr)
    }

    /// Runs `f` on the fake service (faults, inspection, scripted events) and returns what
    /// it returns; `None` once the simulator stopped.
    pub async fn with_relay<R, F>(&self, f: F) -> Option<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut FakeRelay, Instant) -> R + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let job: RelayFn = Box::new(move |relay, now| {
            let _ = reply.send(f(relay, now));
        });
        self.inputs.unbounded_send(Input::With(job)).ok()?;
        result.await.ok()
    }

    /// Offers an inbound call to the session receiving `context`; `None` if none does.
    pub async fn offer_call(&self, context: &str, from: &str, to: &str) -> Option<CallId> {
        let (context, from, to) = (context.to_owned(), from.to_owned(), to.to_owned());
        self.with_relay(move |relay, now| relay.offer_inbound_call(&context, &from, &to, now))
            .await
            .flatten()
    }

    /// Offers `count` calls on `context` (callers `+1555…`), in batches, as soon as and as
    /// fast as a session receives the context. Returns how many were offered (fewer only if
    /// the simulator stopped).
    pub async fn offer_calls(&self, runtime: &dyn Runtime, context: &str, count: u64) -> u64 {
        const BATCH: u64 = 500;
        let mut offered = 0;
        while offered < count {
            let context = context.to_owned();
            let batch = (count - offered).min(BATCH);
            let first = offered;
            let Some(got) = self
                .with_relay(move |relay, now| {
                    (first..first + batch)
                        .take_while(|i| {
                            let from = format!("+1555{i:07}");
                            relay
                                .offer_inbound_call(&context, &from, "+15550000001", now)
                                .is_some()
                        })
                        .count() as u64
                })
                .await
            else {
                break;
            };
            offered += got;
            if got < batch {
                // No session receives the context yet.
                runtime.sleep(Duration::from_millis(1)).await;
            }
        }
        offered
    }

    /// The far end hangs up `call_id` with `reason`.
    pub async fn end_call(&self, call_id: &CallId, reason: &str) {
        let (call_id, reason) = (call_id.clone(), reason.to_owned());
        self.with_relay(move |relay, now| relay.end_call(&call_id, &reason, now))
            .await;
    }

    /// Every request with `method` received so far, parsed.
    pub async fn requests(&self, method: &str) -> Vec<Value> {
        let method = method.to_owned();
        self.with_relay(move |relay, _| relay.requests(&method))
            .await
            .unwrap_or_default()
    }

    /// Polls `probe` on the fake service every few milliseconds until it returns `Some`, or
    /// `timeout` passes.
    pub async fn wait_for<R, F>(
        &self,
        runtime: &dyn Runtime,
        timeout: Duration,
        probe: F,
    ) -> Option<R>
    where
        R: Send + 'static,
        F: Fn(&FakeRelay) -> Option<R> + Send + Sync + 'static,
    {
        let probe = Arc::new(probe);
        let deadline = Instant::now() + timeout;
        loop {
            let p = probe.clone();
            if let Some(found) = self.with_relay(move |relay, _| p(relay)).await? {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            runtime.sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops accepting, closes every connection and stops every stream.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop_accept.take() {
            let _ = stop.send(());
        }
        let _ = self.inputs.unbounded_send(Input::Shutdown);
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    runtime: Arc<dyn Runtime>,
    mut listener: WsListener,
    inputs: mpsc::UnboundedSender<Input>,
    mut stopped: oneshot::Receiver<()>,
) {
    static NEXT_CONN: AtomicU64 = AtomicU64::new(1);
    loop {
        let pending = match future::select(Box::pin(listener.accept()), &mut stopped).await {
            Either::Left((Ok(pending), _)) => pending,
            Either::Left((Err(_), _)) => {
                // Out of descriptors and the like: back off instead of spinning.
                runtime.sleep(Duration::from_millis(50)).await;
                continue;
            }
            Either::Right(_) => return,
        };
        let conn = ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed));
        runtime.spawn(Box::pin(serve_connection(pending, conn, inputs.clone())));
    }
}

async fn serve_connection(
    pending: PendingUpgrade,
    conn: ConnId,
    inputs: mpsc::UnboundedSender<Input>,
) {
    let Ok((ws, _)) = upgrade(pending).await else {
        return;
    };
    let (out_tx, mut out_rx) = mpsc::unbounded();
    if inputs
        .unbounded_send(Input::Connected(conn, out_tx))
        .is_err()
    {
        return;
    }
    let (mut sink, mut stream) = ws.split();
    loop {
        match future::select(stream.next(), out_rx.next()).await {
            Either::Left((Some(Ok(Message::Text(text))), _)) => {
                let _ = inputs.unbounded_send(Input::Frame(conn, text.as_str().to_owned()));
            }
            Either::Left((Some(Ok(Message::Close(_))) | Some(Err(_)) | None, _)) => break,
            Either::Left((Some(Ok(_)), _)) => {}
            Either::Right((Some(Outgoing::Text(text)), _)) => {
                let mut ok = sink.feed(Message::text(text)).await.is_ok();
                // Batch whatever else is queued into one flush.
                while ok {
                    match out_rx.next().now_or_never() {
                        Some(Some(Outgoing::Text(text))) => {
                            ok = sink.feed(Message::text(text)).await.is_ok();
                        }
                        Some(Some(Outgoing::Close)) | Some(None) => ok = false,
                        None => break,
                    }
                }
                if !ok || sink.flush().await.is_err() {
                    break;
                }
            }
            Either::Right((Some(Outgoing::Close) | None, _)) => break,
        }
    }
    let _ = sink.close(None).await;
    let _ = inputs.unbounded_send(Input::Disconnected(conn));
}

/// The task that owns the fake service.
struct Service {
    runtime: Arc<dyn Runtime>,
    relay: FakeRelay,
    inputs: mpsc::UnboundedSender<Input>,
    connections: HashMap<ConnId, mpsc::UnboundedSender<Outgoing>>,
    media_stops: HashMap<ControlId, oneshot::Sender<()>>,
    settings: Arc<MediaSettings>,
    ids: IdGenerator,
}

impl Service {
    async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<Input>) {
        loop {
            self.drain_outputs();
            let timer = match self.relay.poll_timeout() {
                Some(at) => Either::Left(
                    self.runtime
                        .sleep(at.saturating_duration_since(Instant::now())),
                ),
                None => Either::Right(future::pending()),
            };
            let input = match future::select(receiver.next(), timer).await {
                Either::Left((Some(input), _)) => input,
                Either::Left((None, _)) => return,
                Either::Right(_) => {
                    self.relay.handle_timeout(Instant::now());
                    continue;
                }
            };
            if !self.handle(input) {
                for (_, conn) in self.connections.drain() {
                    let _ = conn.unbounded_send(Outgoing::Close);
                }
                self.media_stops.clear();
                return;
            }
        }
    }

    /// Feeds one input in; `false` on shutdown.
    fn handle(&mut self, input: Input) -> bool {
        let now = Instant::now();
        match input {
            Input::Connected(conn, sender) => {
                self.connections.insert(conn, sender);
                self.relay.handle_connected(conn, now);
            }
            Input::Frame(conn, text) => self.relay.handle_frame(conn, &text, now),
            Input::Disconnected(conn) => {
                if self.connections.remove(&conn).is_some() {
                    self.relay.handle_disconnected(conn, now);
                }
            }
            Input::MediaStarted(control_id) => self.relay.media_started(&control_id, now),
            Input::MediaEnded(control_id, end) => {
                self.media_stops.remove(&control_id);
                match end {
                    MediaEnd::Finished => self.relay.media_finished(&control_id, now),
                    MediaEnd::Failed(error) => self.relay.media_failed(&control_id, error, now),
                }
            }
            Input::With(job) => job(&mut self.relay, now),
            Input::Shutdown => return false,
        }
        true
    }

    fn drain_outputs(&mut self) {
        while let Some(output) = self.relay.poll_output() {
            match output {
                SimOutput::Send { conn, text } => {
                    if let Some(sender) = self.connections.get(&conn) {
                        let _ = sender.unbounded_send(Outgoing::Text(text));
                    }
                }
                SimOutput::Close { conn } => {
                    if let Some(sender) = self.connections.get(&conn) {
                        let _ = sender.unbounded_send(Outgoing::Close);
                    }
                }
                SimOutput::StartMedia(job) => self.start_media(job),
                SimOutput::StopMedia { control_id, .. } => {
                    if let Some(stop) = self.media_stops.remove(&control_id) {
                        let _ = stop.send(());
                    }
                }
                SimOutput::StatusCallback { url, method, body } => {
                    let runtime = self.runtime.clone();
                    let ca = self.settings.extra_ca_pem.clone();
                    self.runtime.spawn(Box::pin(async move {
                        // A failing webhook is the webhook owner's problem, as with the
                        // real service: nothing to report back.
                        let _ =
                            send_status(runtime.as_ref(), &url, method, &body, ca.as_deref()).await;
                    }));
                }
            }
        }
    }

    fn start_media(&mut self, job: crate::sim::MediaJob) {
        let (stop, stopped) = oneshot::channel();
        let control_id = job.control_id.clone();
        self.media_stops.insert(control_id.clone(), stop);
        let inputs = self.inputs.clone();
        let started_inputs = inputs.clone();
        let started_id = control_id.clone();
        let sender = send_media(
            self.runtime.clone(),
            self.settings.clone(),
            job,
            self.ids.next_uuid(),
            Box::new(move || {
                let _ = started_inputs.unbounded_send(Input::MediaStarted(started_id));
            }),
            stopped,
        );
        self.runtime.spawn(Box::pin(async move {
            let end = sender.await;
            let _ = inputs.unbounded_send(Input::MediaEnded(control_id, end));
        }));
    }
}
