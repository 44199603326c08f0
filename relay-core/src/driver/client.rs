//! `ClientBuilder` and `Client`: configuration, the on-call handler, `run`, `dial` and
//! `shutdown`.

use super::call::{Call, CallShared};
use super::callbacks::panic_message;
use super::client_event::ClientEvent;
use super::connector::{Connector, WsConnector};
use super::env;
use super::error::Error;
use super::event_loop::EventLoop;
use super::runtime::Runtime;
use super::transport::ConnectOptions;
use super::{Command, Op};
use crate::action::stream_options::is_loopback_host;
use crate::config::{BackoffConfig, ConfigError, Credentials, EngineConfig};
use crate::engine::DialPlan;
use crate::event::Event;
use futures_channel::{mpsc, oneshot};
use futures_util::future::BoxFuture;
use futures_util::Stream;
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// Inbound calls kept for [`Client::incoming`] when nobody takes them; beyond it they are
/// refused rather than queued without end.
const INCOMING_QUEUE: usize = 1024;

/// The default RELAY host.
pub const DEFAULT_HOST: &str = "relay.signalwire.com";

type Handler = Arc<dyn Fn(Call) -> BoxFuture<'static, ()> + Send + Sync>;
type EventHook = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// Builds a [`Client`]. Runtime crates hand one out with their runtime already set
/// (`relay_tokio::client()`, `relay_smol::client()`).
pub struct ClientBuilder {
    runtime: Arc<dyn Runtime>,
    connector: Option<Arc<dyn Connector>>,
    credentials: Option<Credentials>,
    host: String,
    scheme: String,
    contexts: Vec<String>,
    agent: Option<String>,
    request_timeout: Duration,
    ping_interval: Duration,
    backoff: BackoffConfig,
    max_active_calls: Option<usize>,
    max_frame_size: usize,
    extra_ca_pem: Option<Vec<u8>>,
    seed: Option<u64>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("host", &self.host)
            .field("scheme", &self.scheme)
            .field("contexts", &self.contexts)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder on `runtime` with the default host and the SDKs' defaults.
    pub fn new(runtime: Arc<dyn Runtime>) -> Self {
        let defaults = EngineConfig::new(Credentials::jwt("-"));
        Self {
            runtime,
            connector: None,
            credentials: None,
            host: DEFAULT_HOST.to_owned(),
            scheme: "wss".to_owned(),
            contexts: Vec::new(),
            agent: None,
            request_timeout: defaults.request_timeout,
            ping_interval: defaults.ping_interval,
            backoff: defaults.backoff,
            max_active_calls: defaults.max_active_calls,
            max_frame_size: defaults.max_frame_size,
            extra_ca_pem: None,
            seed: None,
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
        self.credentials = settings.credentials;
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
            self.contexts = contexts;
        }
        Ok(self)
    }

    /// Authenticates with a project id and API token.
    pub fn project_token(mut self, project: impl Into<String>, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::token(project, token));
        self
    }

    /// Authenticates with a JWT.
    pub fn jwt(mut self, jwt: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::jwt(jwt));
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
        self.contexts.extend(contexts.into_iter().map(Into::into));
        self
    }

    /// The `agent` string sent at connect.
    pub fn agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// Deadline of each request (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Interval of client pings (default 30 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Reconnect backoff (default 1 s doubling to 30 s, 20 % jitter).
    pub fn backoff(mut self, backoff: BackoffConfig) -> Self {
        self.backoff = backoff;
        self
    }

    /// Cap on active calls (default 1,000); offers beyond it are passed (`calling.pass`).
    pub fn max_active_calls(mut self, max: usize) -> Self {
        self.max_active_calls = Some(max);
        self
    }

    /// Largest frame accepted from the server (default 10 MiB, as the Python SDK).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Where connections come from, instead of a WebSocket to the host: the `testkit`
    /// feature's in-memory service, or a transport of your own. Host, scheme and CA settings
    /// are then unused.
    pub fn connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Seed of ids and jitter (default: from the clock), for reproducible runs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks the configuration and builds the client. Nothing connects until
    /// [`Client::run`].
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or(ConfigError::Missing(
            "credentials (project + token, or JWT)",
        ))?;
        credentials.validate()?;
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
        let mut config = EngineConfig::new(credentials).contexts(self.contexts);
        if let Some(agent) = self.agent {
            config.agent = agent;
        }
        config.request_timeout = self.request_timeout;
        config.ping_interval = self.ping_interval;
        config.backoff = self.backoff;
        config.max_active_calls = self.max_active_calls;
        config.max_frame_size = self.max_frame_size;
        config.seed = self.seed.unwrap_or_else(clock_seed);
        config.validate()?;
        let connector = match self.connector {
            Some(connector) => connector,
            None => Arc::new(WsConnector::new(
                self.runtime.clone(),
                ConnectOptions {
                    url: format!("{}://{host}", self.scheme),
                    allow_insecure,
                    extra_ca_pem: self.extra_ca_pem,
                    max_frame_size: self.max_frame_size,
                },
            )),
        };
        let (commands, receiver) = mpsc::unbounded();
        // A futures channel holds its buffer plus one slot per sender: one sender here.
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_QUEUE - 1);
        let inner = Arc::new(ClientInner {
            runtime: self.runtime,
            commands,
            handler: Mutex::new(None),
            event_hooks: Mutex::new(Vec::new()),
            incoming: Mutex::new(Some(IncomingCalls {
                receiver: incoming_rx,
            })),
            pending_loop: Mutex::new(Some(PendingLoop {
                config,
                connector,
                receiver,
                incoming: incoming_tx,
            })),
            messaging: super::messaging::MessagingShared::new(),
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
    pub(crate) receiver: mpsc::UnboundedReceiver<Command>,
    pub(crate) incoming: mpsc::Sender<Call>,
}

/// Shared by the client, its calls and actions, and the event loop.
pub(crate) struct ClientInner {
    pub(crate) runtime: Arc<dyn Runtime>,
    commands: mpsc::UnboundedSender<Command>,
    handler: Mutex<Option<Handler>>,
    event_hooks: Mutex<Vec<EventHook>>,
    incoming: Mutex<Option<IncomingCalls>>,
    pending_loop: Mutex<Option<PendingLoop>>,
    pub(crate) messaging: super::messaging::MessagingShared,
    /// Subscribers of [`Client::conference_events`].
    pub(crate) conferences: super::conference_events::ConferenceSubscribers,
}

impl ClientInner {
    pub(crate) fn send(&self, command: Command) -> Result<(), Error> {
        self.commands
            .unbounded_send(command)
            .map_err(|_| Error::Closed)
    }

    /// Sends a request op and waits for the server's result.
    pub(crate) async fn request(&self, op: Op) -> Result<Value, Error> {
        let (reply, receiver) = oneshot::channel();
        self.send(Command::Request { op, reply })?;
        receiver.await.map_err(|_| Error::Closed)?
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
        !self
            .event_hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
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
/// # async fn demo(builder: relay_rs_core::driver::ClientBuilder) -> Result<(), relay_rs_core::driver::Error> {
/// let client = builder.project_token("project-id", "api-token").contexts(["default"]).build()?;
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
    pub fn on_call<F, Fut>(&self, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |call| Box::pin(handler(call)));
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
    /// [`Client::shutdown`] (then `Ok`) or a final error: rejected credentials, or
    /// ([`Error::Connect`]) a connection that cannot succeed as configured (a host that does
    /// not resolve, a certificate that does not verify) before any session was made.
    /// Dropping this future stops the client; every pending wait then resolves.
    pub async fn run(&self) -> Result<(), Error> {
        let pending = self
            .inner
            .pending_loop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or(Error::AlreadyRunning)?;
        EventLoop::new(self.inner.clone(), pending).run().await
    }

    /// Asks the client to stop: the socket closes, every pending request and wait resolves
    /// with [`Error::Closed`], and [`Client::run`] returns `Ok`.
    pub fn shutdown(&self) {
        let _ = self.inner.send(Command::Shutdown);
    }

    /// Dials out and waits for the call to be answered.
    pub async fn dial(&self, plan: DialPlan) -> Result<Call, Error> {
        let (reply, receiver) = oneshot::channel();
        self.inner.send(Command::Dial { plan, reply })?;
        let shared: Arc<CallShared> = receiver.await.map_err(|_| Error::Closed)??;
        Ok(Call {
            shared,
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

    /// Sends any request and returns the server's result (the SDKs' `execute`).
    pub async fn execute(&self, method: &str, params: Value) -> Result<Value, Error> {
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

/// Inbound calls as a [`Stream`].
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
