//! `ClientBuilder` and `Client`: configuration, the on-call handler, `run`, `dial` and
//! `shutdown`.

use super::call::Call;
use super::callbacks::panic_message;
use super::client_event::ClientEvent;
use super::connector::{Connector, WsConnector};
use super::env;
use super::error::Error;
use super::event_loop::EventLoop;
use super::runtime::Runtime;
use super::transport::ConnectOptions;
use super::wake_queue::WakeQueue;
use super::{Command, Op};
use crate::action::stream_options::is_loopback_host;
use crate::config::{BackoffConfig, ConfigError, Credentials, EngineConfig};
use crate::engine::{DialPlan, Engine};
use crate::error::CommandError;
use crate::event::Event;
use crate::ids::RequestId;
use crate::payload::Payload;
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, BoxFuture};
use futures_util::Stream;
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Inbound calls kept for [`Client::incoming`] when nobody takes them; beyond it they are
/// refused rather than queued without end.
const INCOMING_QUEUE: usize = 1024;

/// How long [`Client::run`] tries for its first session before it ends with the cause
/// (see [`ClientBuilder::first_session_timeout`]).
pub const DEFAULT_FIRST_SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of [`ClientBuilder::max_outgoing_bytes`]: 4 MiB, thousands of requests in one
/// burst, and a bounded cost when the server stops reading.
pub const DEFAULT_MAX_OUTGOING_BYTES: usize = 4 << 20;

/// The default RELAY host.
pub const DEFAULT_HOST: &str = "relay.signalwire.com";

/// Makes the whole task of one inbound call: the user's handler, guarded (`guard_handler`).
type Handler = Arc<dyn Fn(Call) -> BoxFuture<'static, ()> + Send + Sync>;
type EventHook = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// Builds a [`Client`]. Runtime crates hand one out with their runtime already set
/// (`relay_tokio::client()`, `relay_smol::client()`).
pub struct ClientBuilder {
    runtime: Arc<dyn Runtime>,
    connector: Option<Arc<dyn Connector>>,
    /// The engine's settings: the setters below write into it and `build` hands it over
    /// whole, so a knob cannot be set here and lost on the way.
    config: EngineConfig,
    /// Whether `config.credentials` came from the user (it starts as a placeholder, so that
    /// `build` can name credentials as what is missing).
    credentials_given: bool,
    host: String,
    scheme: String,
    extra_ca_pem: Option<Vec<u8>>,
    first_session_timeout: Option<Duration>,
    max_outgoing_bytes: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `EngineConfig`'s Debug redacts the credentials.
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("host", &self.host)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder on `runtime` with the default host and the SDKs' defaults.
    pub fn new(runtime: Arc<dyn Runtime>) -> Self {
        let mut config = EngineConfig::new(Credentials::jwt(""));
        config.seed = clock_seed();
        Self {
            runtime,
            connector: None,
            config,
            credentials_given: false,
            host: DEFAULT_HOST.to_owned(),
            scheme: "wss".to_owned(),
            extra_ca_pem: None,
            first_session_timeout: Some(DEFAULT_FIRST_SESSION_TIMEOUT),
            max_outgoing_bytes: DEFAULT_MAX_OUTGOING_BYTES,
        }
    }

    /// Reads `SIGNALWIRE_PROJECT_ID` + `SIGNALWIRE_API_TOKEN` (or `SIGNALWIRE_JWT_TOKEN`),
    /// `SIGNALWIRE_SPACE`, `SIGNALWIRE_RELAY_SCHEME` (`ws` for loopback),
    /// `SIGNALWIRE_RELAY_CA_FILE` (extra trusted CA, PEM) and `SIGNALWIRE_CONTEXTS` (comma
    /// list). A variable that is set replaces what was set before it, so
    /// `.contexts(["default"]).from_env()` receives on `default` unless the environment names
    /// other contexts. Missing credentials name the variable.
    pub fn from_env(self) -> Result<Self, Error> {
        self.from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ClientBuilder::from_env`] with another source of variables.
    pub fn from_lookup(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let settings = env::read(lookup)?;
        if let Some(credentials) = settings.credentials {
            self = self.credentials(credentials);
        }
        if let Some(host) = settings.host {
            self.host = host;
        }
        if let Some(scheme) = settings.scheme {
            self.scheme = scheme;
        }
        if let Some(path) = settings.ca_file {
            let pem = std::fs::read(&path).map_err(|e| ConfigError::Invalid {
                name: "SIGNALWIRE_RELAY_CA_FILE",
                reason: format!("{path}: {e}"),
            })?;
            self.extra_ca_pem = Some(pem);
        }
        if let Some(contexts) = settings.contexts {
            self.config.contexts = contexts;
        }
        Ok(self)
    }

    /// Authenticates with a project id and API token.
    pub fn project_token(self, project: impl Into<String>, token: impl Into<String>) -> Self {
        self.credentials(Credentials::token(project, token))
    }

    /// Authenticates with a JWT.
    pub fn jwt(self, jwt: impl Into<String>) -> Self {
        self.credentials(Credentials::jwt(jwt))
    }

    fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = credentials;
        self.credentials_given = true;
        self
    }

    /// The space host (`example.signalwire.com`) or `host:port`; default
    /// `relay.signalwire.com`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Connects with plain `ws://` when `allow` is set. Only loopback hosts are accepted:
    /// for tests. The same opt-in as [`StreamOptions::allow_insecure_loopback`] and
    /// [`StreamDevice::allow_insecure_loopback`](crate::StreamDevice::allow_insecure_loopback).
    ///
    /// [`StreamOptions::allow_insecure_loopback`]: crate::StreamOptions::allow_insecure_loopback
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.scheme = if allow { "ws" } else { "wss" }.to_owned();
        self
    }

    /// Trusts an extra CA (PEM) besides the webpki roots, e.g. a local test CA.
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// Adds contexts to receive inbound calls on: a second call adds to the first, while
    /// [`ClientBuilder::from_env`] replaces them with `SIGNALWIRE_CONTEXTS` when that is set.
    pub fn contexts<I, S>(mut self, contexts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config = self.config.contexts(contexts);
        self
    }

    /// The `agent` string sent at connect.
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.config.agent = agent.into();
        self
    }

    /// Deadline of each request (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Interval of client pings (default 30 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.ping_interval = interval;
        self
    }

    /// Reconnect backoff (default 1 s doubling to 30 s, 20 % jitter).
    pub fn backoff(mut self, backoff: BackoffConfig) -> Self {
        self.config.backoff = backoff;
        self
    }

    /// Cap on active calls (default 1,000); offers beyond it are passed (`calling.pass`).
    pub fn max_active_calls(mut self, max: usize) -> Self {
        self.config.max_active_calls = Some(max);
        self
    }

    /// Bytes of frames that may wait for the socket (default
    /// [`DEFAULT_MAX_OUTGOING_BYTES`], 4 MiB). While the server does not read and that much
    /// waits, new requests fail at once with [`Error::SendQueueFull`] and the client's own
    /// frames (acks, pings) are dropped; the write deadline then gives the connection up.
    pub fn max_outgoing_bytes(mut self, bytes: usize) -> Self {
        self.max_outgoing_bytes = bytes;
        self
    }

    /// Hard bound on every call tracked at once: inbound, dialled legs and bridged peers
    /// (default 100,000; see
    /// [`EngineConfig::max_tracked_calls`](crate::EngineConfig::max_tracked_calls)).
    pub fn max_tracked_calls(mut self, max: usize) -> Self {
        self.config.max_tracked_calls = max;
        self
    }

    /// How long a dial waits to be answered (default 120 s, as both SDKs); a
    /// [`DialPlan::timeout`] overrides it for one dial.
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.config.dial_timeout = timeout;
        self
    }

    /// Longest server request id answered (default 1 KiB; see
    /// [`EngineConfig::max_server_id_len`](crate::EngineConfig::max_server_id_len)).
    pub fn max_server_id_len(mut self, bytes: usize) -> Self {
        self.config.max_server_id_len = bytes;
        self
    }

    /// Repeated warnings of one kind are written once per this interval, with a count
    /// (default 10 s; see [`EngineConfig::log_interval`](crate::EngineConfig::log_interval)).
    pub fn log_interval(mut self, interval: Duration) -> Self {
        self.config.log_interval = interval;
        self
    }

    /// Largest frame accepted from the server (default 10 MiB, as the Python SDK).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes;
        self
    }

    /// Where connections come from, instead of a WebSocket to the host: the `testkit`
    /// feature's in-memory service, or a transport of your own. Host, scheme and CA settings
    /// are then unused.
    pub fn connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = Some(connector);
        self
    }

    /// How long [`Client::run`] keeps trying to get its first session (socket open and
    /// authenticated) before it returns the last failure's cause, as the official SDKs'
    /// `connect` fails (default 30 s). A wrong port, a `ws://` client against a TLS server or
    /// rejected credentials thus end `run` with an error that says what to change, instead of
    /// retrying for ever. `None` retries for ever. Once a session was had, a lost connection
    /// is always retried. Not to be confused with `calling.connect` ([`Call::connect`]).
    pub fn first_session_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.first_session_timeout = timeout;
        self
    }

    /// Seed of the reconnect jitter and of ids (default: from the clock), for reproducible
    /// backoff; the ids stay unique in the process whatever the seed, so they differ from
    /// run to run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Checks the configuration and builds the client. Nothing connects until
    /// [`Client::run`].
    pub fn build(self) -> Result<Client, Error> {
        if !self.credentials_given {
            return Err(ConfigError::Missing("credentials (project + token, or JWT)").into());
        }
        let host = self.host.trim().trim_end_matches('/');
        if host.is_empty() || host.contains("://") || host.contains('/') {
            return Err(ConfigError::Invalid {
                name: "host",
                reason: format!("{:?} is not a host[:port]", self.host),
            }
            .into());
        }
        let allow_insecure = match self.scheme.as_str() {
            "wss" => false,
            "ws" => {
                let bare = super::transport::split_url(&format!("ws://{host}"))
                    .map(|(_, h, _)| h)
                    .unwrap_or_default();
                if !is_loopback_host(&bare) {
                    return Err(ConfigError::Invalid {
                        name: "scheme",
                        reason: format!(
                            "ws:// (allow_insecure_loopback) is only allowed to a loopback \
                             host, not {host}"
                        ),
                    }
                    .into());
                }
                true
            }
            other => {
                return Err(ConfigError::Invalid {
                    name: "scheme",
                    reason: format!("{other:?} is not wss or ws"),
                }
                .into())
            }
        };
        if self.max_outgoing_bytes == 0 {
            return Err(ConfigError::Zero("max_outgoing_bytes").into());
        }
        // The one check of the engine's settings, credentials included.
        self.config.validate()?;
        let config = self.config;
        let connector = match self.connector {
            Some(connector) => connector,
            None => Arc::new(WsConnector::new(
                self.runtime.clone(),
                ConnectOptions {
                    url: format!("{}://{host}", self.scheme),
                    allow_insecure,
                    extra_ca_pem: self.extra_ca_pem,
                    max_frame_size: config.max_frame_size,
                },
            )),
        };
        // A futures channel holds its buffer plus one slot per sender: one sender here.
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_QUEUE - 1);
        let inner = Arc::new(ClientInner {
            runtime: self.runtime,
            commands: WakeQueue::default(),
            handler: Mutex::new(None),
            event_hooks: Mutex::new(Vec::new()),
            hooked: AtomicBool::new(false),
            incoming: Mutex::new(Some(IncomingCalls {
                receiver: incoming_rx,
            })),
            pending_loop: Mutex::new(Some(PendingLoop {
                config,
                connector,
                incoming: incoming_tx,
                first_session_timeout: self.first_session_timeout,
                max_outgoing_bytes: self.max_outgoing_bytes,
            })),
            messaging: super::messaging::MessagingShared::new(),
            handlers: Arc::default(),
            conferences: Default::default(),
        });
        Ok(Client { inner })
    }
}

fn clock_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// What `run` needs, kept until it is called.
pub(crate) struct PendingLoop {
    pub(crate) config: EngineConfig,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) incoming: mpsc::Sender<Call>,
    pub(crate) first_session_timeout: Option<Duration>,
    pub(crate) max_outgoing_bytes: usize,
}

/// Counts the `on_call` handlers that have not returned yet, and wakes whoever waits for
/// none to be left.
#[derive(Default)]
pub(crate) struct RunningHandlers {
    state: Mutex<(usize, Vec<std::task::Waker>)>,
}

impl RunningHandlers {
    /// A handler starts: it is counted until the guard is dropped (it returned or unwound).
    pub(crate) fn enter(self: &Arc<Self>) -> HandlerGuard {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).0 += 1;
        HandlerGuard(self.clone())
    }

    /// Ready once no handler runs; registers `cx`'s waker otherwise.
    #[cfg_attr(not(feature = "testkit"), allow(dead_code))]
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.0 == 0 {
            Poll::Ready(())
        } else {
            state.1.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

pub(crate) struct HandlerGuard(Arc<RunningHandlers>);

impl Drop for HandlerGuard {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 -= 1;
        if state.0 == 0 {
            state.1.drain(..).for_each(std::task::Waker::wake);
        }
    }
}

/// Shared by the client, its calls and actions, and the event loop.
pub(crate) struct ClientInner {
    pub(crate) runtime: Arc<dyn Runtime>,
    /// What the handles ask of the event loop, taken in order; closed when the loop ends.
    pub(crate) commands: WakeQueue<Command>,
    handler: Mutex<Option<Handler>>,
    event_hooks: Mutex<Vec<EventHook>>,
    /// Whether `event_hooks` has any (it only grows).
    hooked: AtomicBool,
    incoming: Mutex<Option<IncomingCalls>>,
    pending_loop: Mutex<Option<PendingLoop>>,
    pub(crate) messaging: super::messaging::MessagingShared,
    /// The `on_call` handlers still running (the testkit waits for them).
    pub(crate) handlers: Arc<RunningHandlers>,
    /// Subscribers of [`Client::conference_events`].
    pub(crate) conferences: super::conference_events::ConferenceSubscribers,
}

impl ClientInner {
    pub(crate) fn send(&self, command: Command) -> Result<(), Error> {
        self.commands.push(command).map_err(|_| Error::Closed)
    }

    /// Sends a request op and waits for the server's result.
    pub(crate) async fn request(&self, op: Op) -> Result<Payload, Error> {
        self.ask(op).await
    }

    /// [`ClientInner::request`] with the op unboxed: it travels inside the one allocation
    /// that also brings the result back (`exchange`), made at once so that the future holds
    /// pointers rather than the op. The request is sent when the future is first polled.
    pub(crate) fn ask<F>(&self, op: F) -> impl Future<Output = Result<Payload, Error>> + Send + '_
    where
        F: FnOnce(&mut Engine, Instant) -> Result<RequestId, CommandError> + Send + 'static,
    {
        let exchange = super::exchange::exchange(op);
        async move {
            self.send(Command::Request(exchange.asked()))?;
            exchange.wait().await
        }
    }

    pub(crate) fn handler(&self) -> Option<Handler> {
        self.handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Hands an engine event to every subscriber, if there are any.
    pub(crate) fn publish_engine(&self, event: &Event) {
        if self.has_hooks() {
            self.publish(&ClientEvent::Engine(event.clone()));
        }
    }

    fn has_hooks(&self) -> bool {
        // Read for every engine event: a flag, not the list's lock.
        self.hooked.load(Ordering::Acquire)
    }

    /// Hands `event` to every subscriber. A subscriber that panics is reported to the
    /// others (not to itself again) and logged.
    pub(crate) fn publish(&self, event: &ClientEvent) {
        let hooks = self
            .event_hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (i, hook) in hooks.iter().enumerate() {
            let run = std::panic::AssertUnwindSafe(|| hook(event));
            if let Err(payload) = std::panic::catch_unwind(run) {
                let message = panic_message(payload.as_ref());
                tracing::error!(callback = "on_event", panic = %message, "a user callback panicked; the client goes on");
                let report = ClientEvent::CallbackPanicked {
                    callback: "on_event",
                    message,
                };
                for (j, other) in hooks.iter().enumerate() {
                    if j != i {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            other(&report)
                        }));
                    }
                }
            }
        }
    }
}

/// A RELAY client. Clone it freely; all clones drive the same session.
///
/// Build one with `relay_tokio::client()` or `relay_smol::client()` (a [`ClientBuilder`] on
/// that runtime), then register a handler and run it:
///
/// ```no_run
/// # mod relay_tokio { relay_rs_core::runtime_crate_api!(); pub fn client() -> ClientBuilder { unimplemented!() } }
/// # async fn demo() -> Result<(), relay_tokio::Error> {
/// let client = relay_tokio::client()
///     .project_token("project-id", "api-token")
///     .contexts(["default"])
///     .build()?;
/// client.on_call(|call| async move {
///     let _ = call.answer().await;
/// });
/// client.on_event(|event| eprintln!("{event:?}")); // connection failures, panics, engine events
/// client.run().await // until client.shutdown(), or a failure that cannot heal
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Calls `handler` for every inbound call, each in its own task. A handler that panics
    /// is reported as [`ClientEvent::CallbackPanicked`]; other calls go on.
    ///
    /// A handler must not block its thread: no `std::thread::sleep`, blocking IO or long
    /// computation in it (use the runtime's sleep, and `spawn_blocking` or a thread for
    /// blocking work). On tokio and smol the connection runs on a thread of its own
    /// ([`Runtime::dedicated`](super::Runtime::dedicated)), so acks and pings go on
    /// regardless, but every other task on the blocked thread waits.
    pub fn on_call<F, Fut>(&self, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |call| {
            let task = handler(call.clone());
            super::callbacks::guard_handler(&call, task)
        });
        *self
            .inner
            .handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handler);
    }

    /// Subscribes to everything the client sees: engine events, connection failures with
    /// their cause, callbacks that panicked. Several subscribers may be added; none replaces
    /// another. Runs on the event loop: keep it short. A panic in it is caught and reported.
    pub fn on_event(&self, hook: impl Fn(&ClientEvent) + Send + Sync + 'static) {
        self.inner
            .event_hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(hook));
        self.inner.hooked.store(true, Ordering::Release);
        // It sees every event of every call, also those copied only for a call's listeners.
        let _ = self.inner.send(Command::WatchAllCalls);
    }

    /// The inbound calls as a stream, for those who prefer it to [`Client::on_call`]
    /// (which takes precedence). `None` after the first call.
    pub fn incoming(&self) -> Option<IncomingCalls> {
        self.inner
            .incoming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Connects, authenticates, reconnects as needed, and serves calls until
    /// [`Client::shutdown`] (then `Ok`) or a final error before the first session:
    /// rejected credentials ([`Error::Session`]), a connection that cannot succeed as
    /// configured (a host that does not resolve, a certificate that does not verify, a
    /// `ws://` client against a TLS server), or no session within
    /// [`ClientBuilder::first_session_timeout`] (both [`Error::Open`] with the cause).
    /// Every such error's `Display` says what to change.
    /// Dropping this future stops the client; every pending wait then resolves.
    pub async fn run(&self) -> Result<(), Error> {
        let pending = self
            .inner
            .pending_loop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or(Error::AlreadyRunning)?;
        let runtime = self.inner.runtime.clone();
        let Some(dedicated) = runtime.dedicated() else {
            return EventLoop::new(self.inner.clone(), pending, runtime)
                .run()
                .await;
        };
        // The loop runs on the dedicated runtime; this future only waits for its end, and
        // dropping it stops the loop there (every pending wait then resolves).
        let event_loop = EventLoop::new(self.inner.clone(), pending, dedicated.clone());
        let (task, abort) = future::abortable(event_loop.run());
        let (done, result) = oneshot::channel();
        dedicated.spawn(Box::pin(async move {
            if let Ok(result) = task.await {
                let _ = done.send(result);
            }
        }));
        let _stop = AbortOnDrop(abort);
        result.await.unwrap_or(Err(Error::Closed))
    }

    /// Asks the client to stop: the socket closes, every pending request and wait resolves
    /// with [`Error::Closed`], and [`Client::run`] returns `Ok`.
    pub fn shutdown(&self) {
        let _ = self.inner.send(Command::Shutdown);
    }

    /// Dials out and waits for the call to be answered.
    pub async fn dial(&self, plan: DialPlan) -> Result<Call, Error> {
        let (reply, receiver) = oneshot::channel();
        self.inner.send(Command::Dial {
            plan: Box::new(plan),
            reply,
        })?;
        let info = receiver.await.map_err(|_| Error::Closed)??;
        Ok(Call {
            info,
            client: self.inner.clone(),
        })
    }

    /// Subscribes to more contexts.
    pub async fn receive(&self, contexts: Vec<String>) -> Result<(), Error> {
        self.inner
            .request(Box::new(move |engine, now| engine.receive(&contexts, now)))
            .await
            .map(drop)
    }

    /// Stops receiving calls and messages on some contexts (`signalwire.unreceive`); they
    /// are no longer sent again on a reconnect either.
    pub async fn unreceive(&self, contexts: Vec<String>) -> Result<(), Error> {
        self.inner
            .request(Box::new(move |engine, now| {
                engine.unreceive(&contexts, now)
            }))
            .await
            .map(drop)
    }

    /// Sends any request and returns the server's result (the SDKs' `execute`), kept as
    /// its text: read it with [`Payload::parse`] or [`Payload::to_value`]. `params` is
    /// any JSON object (a typed struct or a `json!` value).
    pub async fn execute<P: Serialize>(&self, method: &str, params: P) -> Result<Payload, Error> {
        let params = serde_json::to_value(params)
            .map_err(|e| Error::Command(CommandError::InvalidOption(e.to_string())))?;
        let method = method.to_owned();
        self.inner
            .request(Box::new(move |engine, now| {
                engine.execute(&method, params, now)
            }))
            .await
    }

    /// The runtime this client runs on.
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }
}

/// Stops the dedicated event loop when `run`'s future is dropped.
struct AbortOnDrop(future::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Inbound calls, one after the other, from [`Client::incoming`].
///
/// A `futures::Stream`: take them with `StreamExt::next` (`use relay_tokio::StreamExt`).
pub struct IncomingCalls {
    receiver: mpsc::Receiver<Call>,
}

impl fmt::Debug for IncomingCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IncomingCalls")
    }
}

impl Stream for IncomingCalls {
    type Item = Call;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Call>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }
}

#[cfg(test)]
#[path = "client_builder_tests.rs"]
mod builder_tests;
