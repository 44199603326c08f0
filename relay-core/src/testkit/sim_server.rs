//! A local RELAY service: the sans-IO [`FakeRelay`] served over real WebSockets (`ws://` or
//! `wss://`), with real media streams to the stream urls and real status callbacks. Bounded
//! like the stream receiver: a connection cap, handshake and authentication time-outs, a
//! write deadline and a bounded outgoing queue per connection, a bounded frame record.

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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type RelayFn = Box<dyn FnOnce(&mut FakeRelay, Instant) + Send>;

/// Default cap on connections open at once.
pub const SIM_MAX_CONNECTIONS: usize = 1024;
/// Default time a connection gets for TLS and the WebSocket upgrade.
pub const SIM_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a connection gets to authenticate (`signalwire.connect`).
pub const SIM_AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time one batch of frames may take to be written: a client that stops reading is
/// closed after it.
pub const SIM_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bytes of frames queued for one connection: past it, the connection is closed.
pub const SIM_MAX_QUEUED_BYTES: usize = 16 << 20;
/// Default bytes of client frames read but not yet taken in by the fake service, over all
/// connections: past it, connections stop reading until it has caught up (backpressure, so
/// a flood waits in the clients' sockets rather than in the simulator's memory).
pub const SIM_MAX_INFLIGHT_BYTES: usize = 8 << 20;
/// How long the goodbye (close frame) may take to a client that does not read.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What the tasks around the fake service tell it.
enum Input {
    Connected(ConnId, ConnOut),
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

/// The way to one connection task, with the bytes queued on it.
struct ConnOut {
    sender: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// The bounds of every connection.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    max_connections: usize,
    handshake_timeout: Duration,
    write_timeout: Duration,
    max_queued_bytes: usize,
    max_inflight_bytes: usize,
}

#[derive(Debug, Default)]
struct Counters {
    active: AtomicUsize,
    inflight: AtomicUsize,
    refused_over_cap: AtomicU64,
    handshake_timeouts: AtomicU64,
    write_timeouts: AtomicU64,
    queue_overflows: AtomicU64,
}

/// Live counters of a [`SimServer`]'s connections.
#[derive(Debug, Clone, Default)]
pub struct SimServerStats(Arc<Counters>);

impl SimServerStats {
    /// Connections open now (handshaking or upgraded).
    pub fn active(&self) -> usize {
        self.0.active.load(Ordering::SeqCst)
    }
    /// Connections closed at once because the cap was reached.
    pub fn refused_over_cap(&self) -> u64 {
        self.0.refused_over_cap.load(Ordering::SeqCst)
    }
    /// Connections dropped for not finishing the handshake in time.
    pub fn handshake_timeouts(&self) -> u64 {
        self.0.handshake_timeouts.load(Ordering::SeqCst)
    }
    /// Connections closed because a write took longer than the write deadline.
    pub fn write_timeouts(&self) -> u64 {
        self.0.write_timeouts.load(Ordering::SeqCst)
    }
    /// Connections closed because their outgoing queue passed its bound.
    pub fn queue_overflows(&self) -> u64 {
        self.0.queue_overflows.load(Ordering::SeqCst)
    }
}

/// Holds a place under the connection cap; gives it back when dropped.
struct Slot(Arc<Counters>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
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
    bounds: Bounds,
    auth_timeout: Option<Duration>,
}

impl fmt::Debug for SimServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimServerBuilder")
            .field("addr", &self.addr)
            .field("tls", &self.tls.is_some())
            .field("audio", &self.audio)
            .field("pacing", &self.pacing)
            .field("bounds", &self.bounds)
            .field("auth_timeout", &self.auth_timeout)
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
            bounds: Bounds {
                max_connections: SIM_MAX_CONNECTIONS,
                handshake_timeout: SIM_HANDSHAKE_TIMEOUT,
                write_timeout: SIM_WRITE_TIMEOUT,
                max_queued_bytes: SIM_MAX_QUEUED_BYTES,
                max_inflight_bytes: SIM_MAX_INFLIGHT_BYTES,
            },
            auth_timeout: Some(SIM_AUTH_TIMEOUT),
        }
    }

    /// Connections open at once (default [`SIM_MAX_CONNECTIONS`]); over it a new one is
    /// closed at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.bounds.max_connections = max;
        self
    }

    /// Time a connection gets for TLS and the WebSocket upgrade (default
    /// [`SIM_HANDSHAKE_TIMEOUT`]).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.bounds.handshake_timeout = timeout;
        self
    }

    /// Time a connection gets to authenticate (default [`SIM_AUTH_TIMEOUT`]; `None` for
    /// ever). Overrides the config's `auth_timeout`.
    pub fn auth_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// Time one batch of frames may take to be written (default [`SIM_WRITE_TIMEOUT`]): a
    /// client that stops reading is closed after it.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.bounds.write_timeout = timeout;
        self
    }

    /// Bytes of client frames read and not yet taken in by the fake service, over all
    /// connections (default [`SIM_MAX_INFLIGHT_BYTES`]); past it connections stop reading
    /// until it catches up.
    pub fn max_inflight_bytes(mut self, max: usize) -> Self {
        self.bounds.max_inflight_bytes = max;
        self
    }

    /// Bytes of frames queued for one connection (default [`SIM_MAX_QUEUED_BYTES`]); past
    /// it the connection is closed.
    pub fn max_queued_bytes(mut self, max: usize) -> Self {
        self.bounds.max_queued_bytes = max;
        self
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
        let mut config = self.config.clone();
        config.auth_timeout = self.auth_timeout;
        let relay = FakeRelay::new(config);
        let stats = SimServerStats::default();
        let service = Service {
            max_queued_bytes: self.bounds.max_queued_bytes,
            stats: stats.clone(),
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
            self.bounds,
            stats.clone(),
        )));
        Ok(SimServer {
            inputs,
            addr,
            tls,
            stop_accept: Some(stop_accept),
            stats,
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
    stats: SimServerStats,
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

    /// The live connection counters.
    pub fn stats(&self) -> SimServerStats {
        self.stats.clone()
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
    bounds: Bounds,
    stats: SimServerStats,
) {
    static NEXT_CONN: AtomicU64 = AtomicU64::new(1);
    let counters = stats.0;
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
        // Only this task adds to `active`, so the check and the add cannot race.
        if counters.active.load(Ordering::SeqCst) >= bounds.max_connections {
            counters.refused_over_cap.fetch_add(1, Ordering::SeqCst);
            tracing::debug!(
                max = bounds.max_connections,
                "simulator at its connection cap; closing a new connection"
            );
            continue;
        }
        counters.active.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(counters.clone());
        let conn = ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed));
        runtime.spawn(Box::pin(serve_connection(
            runtime.clone(),
            pending,
            conn,
            inputs.clone(),
            bounds,
            slot,
        )));
    }
}

async fn serve_connection(
    runtime: Arc<dyn Runtime>,
    pending: PendingUpgrade,
    conn: ConnId,
    inputs: mpsc::UnboundedSender<Input>,
    bounds: Bounds,
    slot: Slot,
) {
    let counters = &slot.0;
    let handshake = Box::pin(upgrade(pending));
    let ws = match future::select(handshake, runtime.sleep(bounds.handshake_timeout)).await {
        Either::Left((Ok((ws, _)), _)) => ws,
        Either::Left((Err(_), _)) => return,
        Either::Right(_) => {
            counters.handshake_timeouts.fetch_add(1, Ordering::SeqCst);
            tracing::debug!(%conn, "simulator handshake timed out");
            return;
        }
    };
    let (out_tx, mut out_rx) = mpsc::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    let out = ConnOut {
        sender: out_tx,
        queued: queued.clone(),
    };
    if inputs.unbounded_send(Input::Connected(conn, out)).is_err() {
        return;
    }
    let (mut sink, mut stream) = ws.split();
    loop {
        // Backpressure: read no more while the service is behind.
        while counters.inflight.load(Ordering::SeqCst) > bounds.max_inflight_bytes {
            runtime.sleep(Duration::from_millis(1)).await;
        }
        match future::select(stream.next(), out_rx.next()).await {
            Either::Left((Some(Ok(Message::Text(text))), _)) => {
                counters.inflight.fetch_add(text.len(), Ordering::SeqCst);
                let _ = inputs.unbounded_send(Input::Frame(conn, text.as_str().to_owned()));
            }
            Either::Left((Some(Ok(Message::Close(_))) | Some(Err(_)) | None, _)) => break,
            Either::Left((Some(Ok(_)), _)) => {}
            Either::Right((Some(Outgoing::Text(text)), _)) => {
                let write = async {
                    queued.fetch_sub(text.len(), Ordering::SeqCst);
                    let mut ok = sink.feed(Message::text(text)).await.is_ok();
                    // Batch whatever else is queued into one flush.
                    while ok {
                        match out_rx.next().now_or_never() {
                            Some(Some(Outgoing::Text(text))) => {
                                queued.fetch_sub(text.len(), Ordering::SeqCst);
                                ok = sink.feed(Message::text(text)).await.is_ok();
                            }
                            Some(Some(Outgoing::Close)) | Some(None) => ok = false,
                            None => break,
                        }
                    }
                    ok && sink.flush().await.is_ok()
                };
                let write = std::pin::pin!(write);
                match future::select(write, runtime.sleep(bounds.write_timeout)).await {
                    Either::Left((true, _)) => {}
                    Either::Left((false, _)) => break,
                    Either::Right(_) => {
                        counters.write_timeouts.fetch_add(1, Ordering::SeqCst);
                        tracing::warn!(
                            %conn,
                            timeout_ms = bounds.write_timeout.as_millis() as u64,
                            "simulator closes a connection that does not read"
                        );
                        break;
                    }
                }
            }
            Either::Right((Some(Outgoing::Close) | None, _)) => break,
        }
    }
    // A peer that does not read gets no more than the write deadline for the goodbye.
    let close = std::pin::pin!(sink.close(None));
    let _ = future::select(close, runtime.sleep(CLOSE_GRACE)).await;
    let _ = inputs.unbounded_send(Input::Disconnected(conn));
}

/// The task that owns the fake service.
struct Service {
    runtime: Arc<dyn Runtime>,
    relay: FakeRelay,
    inputs: mpsc::UnboundedSender<Input>,
    connections: HashMap<ConnId, ConnOut>,
    max_queued_bytes: usize,
    stats: SimServerStats,
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
                    let _ = conn.sender.unbounded_send(Outgoing::Close);
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
            Input::Frame(conn, text) => {
                self.stats
                    .0
                    .inflight
                    .fetch_sub(text.len(), Ordering::SeqCst);
                self.relay.handle_frame(conn, &text, now);
            }
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
                    let Some(out) = self.connections.get(&conn) else {
                        continue;
                    };
                    let queued = out.queued.load(Ordering::SeqCst);
                    if queued.saturating_add(text.len()) > self.max_queued_bytes {
                        // Dropping the sender ends the connection task once it has written
                        // what is queued (or at its write deadline): nothing more piles up.
                        self.connections.remove(&conn);
                        self.stats.0.queue_overflows.fetch_add(1, Ordering::SeqCst);
                        tracing::warn!(
                            %conn,
                            max = self.max_queued_bytes,
                            "simulator closes a connection whose outgoing queue is full"
                        );
                        self.relay.handle_disconnected(conn, Instant::now());
                        continue;
                    }
                    out.queued.fetch_add(text.len(), Ordering::SeqCst);
                    let _ = out.sender.unbounded_send(Outgoing::Text(text));
                }
                SimOutput::Close { conn } => {
                    if let Some(out) = self.connections.get(&conn) {
                        let _ = out.sender.unbounded_send(Outgoing::Close);
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
