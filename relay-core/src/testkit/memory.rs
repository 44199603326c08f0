//! The whole async client against the sans-IO [`FakeRelay`], in memory and on virtual time:
//! no socket, no real sleep. This is how an app written with `Client`/`Call`/`StreamAction`
//! is unit-tested.

use super::clock::VirtualClock;
use super::executor::{Executor, WakeFlag};
use crate::driver::{
    ByteStream, ClientBuilder, Connector, Frame, FrameReader, FrameWriter, OpenError, Runtime,
    Transport, TransportError,
};
use crate::ids::{CallId, ControlId};
use crate::sim::{ConnId, FakeRelay, MediaJob, SimConfig, SimOutput};
use async_trait::async_trait;
use futures_util::future::{poll_fn, BoxFuture, LocalBoxFuture};
use futures_util::task::{waker_ref, ArcWake};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Virtual time after which [`MemoryRelay::run`] gives up on a future that never completes
/// (the client's pings would otherwise keep the clock going for ever).
const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// A fake RELAY service in memory with a virtual clock and an executor of its own.
///
/// Build a client on it with [`MemoryRelay::client`], start it with
/// [`MemoryRelay::start`], then drive a test with [`MemoryRelay::run`]: tasks run until all
/// are idle, then the clock jumps to the next deadline, so a 30-second time-out takes
/// microseconds. Code under test must wait through the client (or [`MemoryRelay::sleep`]),
/// not through a runtime's own timers.
///
/// ```
/// # mod relay_tokio { relay_rs_core::runtime_crate_api!(); pub fn client() -> ClientBuilder { unimplemented!() } }
/// use relay_tokio::testkit::{MemoryRelay, SimConfig};
/// use std::time::Duration;
///
/// let relay = MemoryRelay::new(SimConfig::new().auto_media(Duration::from_secs(5)));
/// let client = relay.client().contexts(["office"]).build().unwrap();
/// client.on_call(|call| async move {
///     call.answer().await.unwrap();
///     let stream = call
///         .stream("wss://media.example.com/in", Default::default())
///         .await
///         .unwrap();
///     stream.wait().await.unwrap();
///     call.hangup().await.unwrap();
/// });
/// relay.start(&client);
/// relay.run(async {
///     relay.wait_ready().await;
///     let call_id = relay.offer_call("office", "+15551110000", "+15552220000").unwrap();
///     relay.wait_until(|r| r.call_state(&call_id) == Some("ended")).await;
/// });
/// assert!(relay.elapsed() >= Duration::from_secs(5));
/// assert_eq!(relay.sockets_opened(), 0);
/// ```
#[derive(Clone)]
pub struct MemoryRelay {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    clock: Arc<VirtualClock>,
    executor: Arc<Executor>,
    start: Instant,
    sockets: AtomicU64,
    time_limit: Mutex<Duration>,
    /// Threads outside the executor that use the blocking facade (see [`Outside`]).
    outside: Mutex<Outside>,
    outside_changed: Condvar,
    /// The thread that made the harness: the test's own, the only one that drives it
    /// without an explicit [`MemoryRelay::run`].
    owner: std::thread::ThreadId,
}

/// Blocking code on threads of its own (the blocking facade's handlers) runs beside the
/// executor. Virtual time may only move while none of those threads is running: `busy`
/// counts the ones woken and not yet waiting again.
#[derive(Default)]
struct Outside {
    busy: usize,
    driving: bool,
}

/// Real time an idle driver waits for a busy outside thread before it looks again (it is
/// also notified; this only bounds a missed notification).
const OUTSIDE_POLL: Duration = Duration::from_millis(1);

struct State {
    relay: FakeRelay,
    conns: HashMap<ConnId, Conn>,
    next_conn: u64,
    media: Vec<MediaJob>,
    status_callbacks: Vec<Value>,
    /// Stream urls whose far end refuses the connection.
    refused_urls: Vec<String>,
    /// Waiters of [`MemoryRelay::wait_until`] and transports with nothing to read.
    watchers: Vec<Waker>,
    client_result: Option<String>,
    /// The clients started here, whose handlers [`MemoryRelay::wait_handlers_done`] awaits.
    clients: Vec<crate::driver::Client>,
    /// Callers of connects to stream devices (`two_way_sim.rs`).
    two_way: super::two_way_sim::TwoWayCallers,
}

#[derive(Default)]
struct Conn {
    inbox: VecDeque<String>,
    closed: bool,
    reader: Option<Waker>,
}

impl fmt::Debug for MemoryRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRelay")
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}

impl MemoryRelay {
    /// A fake service with this configuration. Streams complete as `config.auto_media`
    /// says; without it, a stream starts `streaming` at once and ends when the test calls
    /// [`MemoryRelay::finish_media`] or [`MemoryRelay::fail_media`].
    pub fn new(config: SimConfig) -> Self {
        let start = Instant::now();
        let relay = Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    relay: FakeRelay::new(config),
                    conns: HashMap::new(),
                    next_conn: 1,
                    media: Vec::new(),
                    status_callbacks: Vec::new(),
                    refused_urls: Vec::new(),
                    watchers: Vec::new(),
                    client_result: None,
                    clients: Vec::new(),
                    two_way: Default::default(),
                }),
                clock: Arc::new(VirtualClock::new(start)),
                executor: Arc::new(Executor::default()),
                start,
                sockets: AtomicU64::new(0),
                time_limit: Mutex::new(DEFAULT_TIME_LIMIT),
                outside: Mutex::new(Outside::default()),
                outside_changed: Condvar::new(),
                owner: std::thread::current().id(),
            }),
        };
        relay.attach_two_way();
        relay
    }

    /// Lets connects to stream devices start their callers on this harness's executor (a
    /// weak link: the harness owns its callers).
    fn attach_two_way(&self) {
        let weak = Arc::downgrade(&self.shared);
        let state = self.state();
        let account = state.relay.config().project_id.clone();
        state
            .two_way
            .set_memory_starter(Arc::new(move |callers, job, stopped| {
                if let Some(shared) = weak.upgrade() {
                    let runtime: Arc<dyn Runtime> = Arc::new(VirtualRuntime {
                        shared: shared.clone(),
                    });
                    let task = callers.run_in_memory(runtime, job, account.clone(), stopped);
                    shared.executor.spawn(Box::pin(task));
                }
            }));
    }

    /// The callers of connects to stream devices: their script, the app's in-memory media
    /// listeners, and the recordings of what each caller heard.
    pub fn two_way(&self) -> super::two_way_sim::TwoWayCallers {
        self.state().two_way.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The runtime of this harness: virtual time, its own executor, no network.
    pub fn runtime(&self) -> Arc<dyn Runtime> {
        Arc::new(VirtualRuntime {
            shared: self.shared.clone(),
        })
    }

    /// The connector that opens in-memory connections to this service.
    pub fn connector(&self) -> Arc<dyn Connector> {
        Arc::new(MemoryConnector {
            shared: self.shared.clone(),
        })
    }

    /// A client builder wired to this service: its runtime, its connector and the
    /// credentials it accepts. Add contexts and options, then build.
    pub fn client(&self) -> ClientBuilder {
        let config = self.state().relay.config().clone();
        let builder = ClientBuilder::new(self.runtime()).connector(self.connector());
        match config.jwt {
            Some(jwt) => builder.jwt(jwt),
            None => builder.project_token(config.project, config.token),
        }
    }

    /// Runs `client.run()` as a task of this harness; [`MemoryRelay::client_result`] says
    /// how it ended.
    pub fn start(&self, client: &crate::driver::Client) {
        self.state().clients.push(client.clone());
        let client = client.clone();
        let shared = self.shared.clone();
        self.shared.executor.spawn(Box::pin(async move {
            let result = client.run().await;
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.client_result = Some(match result {
                Ok(()) => "ok".to_owned(),
                Err(e) => e.to_string(),
            });
            wake_all(&mut state);
        }));
    }

    /// Waits until the client started by [`MemoryRelay::start`] has stopped; how `run`
    /// ended (`"ok"` or the error's text).
    pub fn wait_client_stopped(&self) -> impl Future<Output = String> + '_ {
        poll_fn(move |cx| {
            let mut state = self.state();
            match &state.client_result {
                Some(result) => Poll::Ready(result.clone()),
                None => {
                    state.watchers.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }

    /// Waits until every `on_call` handler of the clients started here has returned (or
    /// panicked). [`MemoryRelay::run`] returns when its own future does, such as a wait for
    /// the fake service to see a call `ended`, which can come before the handler's last
    /// lines ran; await this too to assert on what a handler did at its end.
    pub fn wait_handlers_done(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            let clients = self.state().clients.clone();
            for client in &clients {
                if client.inner.handlers.poll_done(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            Poll::Ready(())
        })
    }

    /// How `client.run()` ended (`"ok"` or the error's text), once it has.
    pub fn client_result(&self) -> Option<String> {
        self.state().client_result.clone()
    }

    /// Runs `future` to completion on this harness's executor and virtual clock. Between
    /// rounds in which no task can move, the clock jumps to the next deadline.
    ///
    /// # Panics
    /// When nothing can ever move again (the future waits for something that cannot
    /// happen), or after [`MemoryRelay::set_time_limit`] of virtual time (a day by
    /// default): a test harness reports a stuck test rather than hanging.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        {
            let mut outside = self.shared.outside();
            while outside.driving {
                outside = self.shared.wait_outside(outside);
            }
            outside.driving = true;
        }
        let _driving = Driving(&self.shared);
        self.drive(future)
    }

    fn drive<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let flag = Arc::new(WakeFlag::default());
        let limit = self.shared.clock.now()
            + *self
                .shared
                .time_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
        let mut poll_main = true;
        loop {
            if poll_main {
                let waker = waker_ref(&flag);
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            self.shared.executor.run_until_stalled();
            poll_main = flag.take();
            if poll_main {
                continue;
            }
            // A handler thread of the blocking facade is running: it may send a command
            // any moment, so the clock must wait for it.
            let outside = self.shared.outside();
            if outside.busy > 0 {
                drop(self.shared.wait_outside(outside));
                poll_main = true;
                continue;
            }
            drop(outside);
            // A handler thread may have woken a task (sent a command) or the future under
            // test after the executor stalled, and then gone back to waiting: the clock must
            // not move past that. Its wake comes before its wait in that thread, so it is
            // seen here.
            if flag.take() || self.shared.executor.has_ready() {
                poll_main = true;
                continue;
            }
            let relay_deadline = self.state().relay.poll_timeout();
            let next = [self.shared.clock.next_deadline(), relay_deadline]
                .into_iter()
                .flatten()
                .min();
            let Some(at) = next else {
                panic!("MemoryRelay::run: nothing can move any more, the future under test waits for something that cannot happen");
            };
            assert!(
                at <= limit,
                "MemoryRelay::run: the future did not complete within {:?} of virtual time",
                limit - self.shared.start
            );
            self.shared.clock.advance_to(at);
            let now = self.shared.clock.now();
            let mut state = self.state();
            if state.relay.poll_timeout().is_some_and(|t| t <= now) {
                state.relay.handle_timeout(now);
            }
            pump(&mut state, now);
            drop(state);
            poll_main = flag.take();
        }
    }

    /// Gives up in [`MemoryRelay::run`] after this much virtual time.
    pub fn set_time_limit(&self, limit: Duration) {
        *self
            .shared
            .time_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = limit;
    }

    /// Virtual time since the harness was made.
    pub fn elapsed(&self) -> Duration {
        self.shared.clock.now() - self.shared.start
    }

    /// The harness's current (virtual) time.
    pub fn now(&self) -> Instant {
        self.shared.clock.now()
    }

    /// Waits `duration` of virtual time.
    pub fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        self.shared.clock.sleep(duration)
    }

    /// Waits until `cond` holds over the service's state (checked after every change).
    pub fn wait_until<'a>(
        &'a self,
        mut cond: impl FnMut(&FakeRelay) -> bool + 'a,
    ) -> impl Future<Output = ()> + 'a {
        poll_fn(move |cx| {
            let mut state = self.state();
            if cond(&state.relay) {
                Poll::Ready(())
            } else {
                state.watchers.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    /// Waits until an open connection carries an authenticated session. (A session left
    /// detached by a dropped socket does not count, nor does a new socket that has not
    /// authenticated yet.)
    pub async fn wait_ready(&self) {
        self.wait_until(|r| {
            r.connections()
                .into_iter()
                .any(|conn| r.session_of(conn).is_some())
        })
        .await
    }

    /// Runs `f` on the fake service (to inject a fault, disconnect, script an event), then
    /// delivers what it produced.
    pub fn with_relay<R>(&self, f: impl FnOnce(&mut FakeRelay, Instant) -> R) -> R {
        let now = self.now();
        let mut state = self.state();
        let result = f(&mut state.relay, now);
        pump(&mut state, now);
        result
    }

    /// Offers an inbound call on `context`; its id, or `None` when no session receives
    /// that context.
    pub fn offer_call(&self, context: &str, from: &str, to: &str) -> Option<CallId> {
        self.with_relay(|relay, now| relay.offer_inbound_call(context, from, to, now))
    }

    /// The far end hangs up with `reason`.
    pub fn end_call(&self, call_id: &CallId, reason: &str) {
        self.with_relay(|relay, now| relay.end_call(call_id, reason, now))
    }

    /// Drops every open connection, as a network failure would.
    pub fn drop_connections(&self) {
        let now = self.now();
        let mut state = self.state();
        let conns: Vec<ConnId> = state.conns.keys().copied().collect();
        for conn in conns {
            state.relay.drop_connection(conn);
            close_conn(&mut state, conn);
            state.relay.handle_disconnected(conn, now);
        }
        pump(&mut state, now);
    }

    /// Every request with `method` the service received, in order (whole frames).
    pub fn requests(&self, method: &str) -> Vec<Value> {
        self.state().relay.requests(method)
    }

    /// The state the service holds for a call (`"answered"`, `"ended"`, …).
    pub fn call_state(&self, call_id: &CallId) -> Option<String> {
        self.state().relay.call_state(call_id).map(str::to_owned)
    }

    /// Streams the service started, as the request asked for them.
    pub fn media_jobs(&self) -> Vec<MediaJob> {
        self.state().media.clone()
    }

    /// Streams to urls starting with `prefix` fail as a far end that refuses the connection
    /// would: never `streaming`, `finished` with `connection_refused` in the status webhook.
    pub fn refuse_stream_urls(&self, prefix: &str) {
        self.state().refused_urls.push(prefix.to_owned());
    }

    /// The stream's far end closed after the audio: `finished`.
    pub fn finish_media(&self, control_id: &ControlId) {
        self.with_relay(|relay, now| relay.media_finished(control_id, now))
    }

    /// The stream's far end could not be reached (`"connection_refused"`, …).
    pub fn fail_media(&self, control_id: &ControlId, error: &str) {
        self.with_relay(|relay, now| relay.media_failed(control_id, error, now))
    }

    /// Status webhook bodies the service would have sent.
    pub fn status_callbacks(&self) -> Vec<Value> {
        self.state().status_callbacks.clone()
    }

    /// How many TCP connections code under test tried to open through the runtime (a test
    /// asserts it stays 0).
    pub fn sockets_opened(&self) -> u64 {
        self.shared.sockets.load(Ordering::Relaxed)
    }

    /// Connections the client opened to the fake service so far.
    pub fn connections_made(&self) -> u64 {
        self.state().next_conn - 1
    }
}

fn wake_all(state: &mut State) {
    for waker in state.watchers.drain(..) {
        waker.wake();
    }
}

fn close_conn(state: &mut State, conn: ConnId) {
    if let Some(c) = state.conns.get_mut(&conn) {
        c.closed = true;
        if let Some(waker) = c.reader.take() {
            waker.wake();
        }
    }
}

/// Carries the service's outputs to the connections and the test's records.
fn pump(state: &mut State, now: Instant) {
    while let Some(output) = state.relay.poll_output() {
        match output {
            SimOutput::Send { conn, text } => {
                if let Some(c) = state.conns.get_mut(&conn) {
                    if !c.closed {
                        c.inbox.push_back(text);
                        if let Some(waker) = c.reader.take() {
                            waker.wake();
                        }
                    }
                }
            }
            SimOutput::Close { conn } => {
                close_conn(state, conn);
                state.relay.handle_disconnected(conn, now);
            }
            SimOutput::StartMedia(job) if job.two_way => state.two_way.start_memory_job(job),
            SimOutput::StartMedia(job) => {
                let control_id = job.control_id.clone();
                let refused = state.refused_urls.iter().any(|u| job.url.starts_with(u));
                state.media.push(job);
                if refused {
                    // Never `streaming`: the service only reports the failure.
                    state
                        .relay
                        .media_failed(&control_id, "connection_refused", now);
                } else {
                    // The far end picks up at once; the test decides when the stream ends.
                    state.relay.media_started(&control_id, now);
                }
            }
            SimOutput::StopMedia { control_id, .. } => state.two_way.stop_job(control_id.as_str()),
            SimOutput::StatusCallback { body, .. } => state.status_callbacks.push(body),
        }
    }
    wake_all(state);
}

impl Shared {
    fn outside(&self) -> MutexGuard<'_, Outside> {
        self.outside.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_outside<'a>(&self, guard: MutexGuard<'a, Outside>) -> MutexGuard<'a, Outside> {
        self.outside_changed
            .wait_timeout(guard, OUTSIDE_POLL)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    fn outside_changed(&self, change: impl FnOnce(&mut Outside)) {
        change(&mut self.outside());
        self.outside_changed.notify_all();
    }
}

/// Releases the driver's seat when `run` ends, even by a panic.
struct Driving<'a>(&'a Shared);

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        self.0.outside_changed(|o| o.driving = false);
    }
}

/// The waker of a blocking wait on a thread outside the executor: counts the thread busy
/// from the moment it is woken, so the clock cannot move before it has run.
struct OutsideWaker {
    shared: Arc<Shared>,
    thread: std::thread::Thread,
    counted: AtomicBool,
}

impl ArcWake for OutsideWaker {
    fn wake_by_ref(this: &Arc<Self>) {
        if !this.counted.swap(true, Ordering::AcqRel) {
            this.shared.outside_changed(|o| o.busy += 1);
        }
        this.thread.unpark();
    }
}

thread_local! {
    /// Whether this thread is counted busy since its last blocking wait ended (it runs
    /// the user's code); given back at its next wait, or when the thread ends.
    static BUSY: BusyMark = const { BusyMark(std::cell::RefCell::new(None)) };
}

struct BusyMark(std::cell::RefCell<Option<Arc<Shared>>>);

impl BusyMark {
    fn release(&self) {
        if let Some(shared) = self.0.borrow_mut().take() {
            shared.outside_changed(|o| o.busy = o.busy.saturating_sub(1));
        }
    }
}

impl Drop for BusyMark {
    fn drop(&mut self) {
        self.release();
    }
}

impl VirtualRuntime {
    /// A blocking wait on a thread outside the executor: the test's own thread drives the
    /// harness when nobody does; any other thread waits while the driver runs.
    fn outside_block_on(&self, mut future: LocalBoxFuture<'_, ()>) {
        let shared = &self.shared;
        let me = std::thread::current();
        if me.id() == shared.owner {
            let mut outside = shared.outside();
            assert!(
                !outside.driving,
                "a blocking call inside MemoryRelay::run's future can never complete: make it \
                 outside run (the test's thread then drives the harness) or in a handler"
            );
            outside.driving = true;
            drop(outside);
            let _driving = Driving(shared);
            return MemoryRelay {
                shared: shared.clone(),
            }
            .drive(future);
        }
        let waker = Arc::new(OutsideWaker {
            shared: shared.clone(),
            thread: me,
            counted: AtomicBool::new(false),
        });
        let task_waker = waker_ref(&waker);
        let mut cx = Context::from_waker(&task_waker);
        loop {
            if future.as_mut().poll(&mut cx).is_ready() {
                break;
            }
            // Waiting: this thread no longer holds the clock.
            BUSY.with(BusyMark::release);
            if waker.counted.swap(false, Ordering::AcqRel) {
                shared.outside_changed(|o| o.busy = o.busy.saturating_sub(1));
            }
            std::thread::park();
        }
        // Running the user's code again: it holds the clock until its next wait (also
        // when the future was ready at once: the thread may have been waiting elsewhere).
        let woken = waker.counted.swap(false, Ordering::AcqRel);
        BUSY.with(|mark| {
            let marked = mark.0.borrow_mut().replace(shared.clone()).is_some();
            match (marked, woken) {
                (true, true) => shared.outside_changed(|o| o.busy = o.busy.saturating_sub(1)),
                (false, false) => shared.outside_changed(|o| o.busy += 1),
                _ => {}
            }
        });
    }
}

/// The harness as a [`Runtime`]: its executor, its clock, and no network.
struct VirtualRuntime {
    shared: Arc<Shared>,
}

impl Runtime for VirtualRuntime {
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, std::io::Result<Box<dyn ByteStream>>> {
        self.shared.sockets.fetch_add(1, Ordering::Relaxed);
        let message = format!("the in-memory testkit opens no socket ({host}:{port})");
        Box::pin(async move { Err(std::io::Error::other(message)) })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(self.shared.clock.sleep(duration))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.shared.executor.spawn(task);
    }

    fn now(&self) -> Instant {
        self.shared.clock.now()
    }

    fn block_on(&self, future: LocalBoxFuture<'_, ()>) {
        self.outside_block_on(future)
    }
}

struct MemoryConnector {
    shared: Arc<Shared>,
}

impl Connector for MemoryConnector {
    fn open(&self) -> BoxFuture<'static, Result<Box<dyn Transport>, OpenError>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            let now = shared.clock.now();
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            let conn = ConnId(state.next_conn);
            state.next_conn += 1;
            state.conns.insert(conn, Conn::default());
            state.relay.handle_connected(conn, now);
            pump(&mut state, now);
            drop(state);
            Ok(Box::new(MemoryTransport {
                shared: shared.clone(),
                conn,
            }) as Box<dyn Transport>)
        })
    }

    fn target(&self) -> String {
        "memory://fake-relay".to_owned()
    }
}

struct MemoryTransport {
    shared: Arc<Shared>,
    conn: ConnId,
}

impl MemoryTransport {
    fn state(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Transport for MemoryTransport {
    fn split(self: Box<Self>) -> (Box<dyn FrameReader>, Box<dyn FrameWriter>) {
        // Both halves share the connection; it dies when the last of them is dropped.
        let shared = Arc::new(*self);
        (
            Box::new(MemoryHalf(shared.clone())),
            Box::new(MemoryHalf(shared)),
        )
    }
}

/// Either half of an in-memory connection.
struct MemoryHalf(Arc<MemoryTransport>);

#[async_trait]
impl FrameWriter for MemoryHalf {
    async fn send(&mut self, text: String) -> Result<(), TransportError> {
        let conn = self.0.conn;
        let now = self.0.shared.clock.now();
        let mut state = self.0.state();
        if state.conns.get(&conn).is_none_or(|c| c.closed) {
            return Err(TransportError::Closed);
        }
        state.relay.handle_frame(conn, &text, now);
        pump(&mut state, now);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    async fn close(&mut self) {
        let conn = self.0.conn;
        let now = self.0.shared.clock.now();
        let mut state = self.0.state();
        let open = state.conns.get(&conn).is_some_and(|c| !c.closed);
        close_conn(&mut state, conn);
        if open {
            state.relay.handle_disconnected(conn, now);
        }
        pump(&mut state, now);
    }
}

impl FrameReader for MemoryHalf {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, TransportError>>> {
        let mut state = self.0.state();
        let Some(conn) = state.conns.get_mut(&self.0.conn) else {
            return Poll::Ready(None);
        };
        if let Some(text) = conn.inbox.pop_front() {
            return Poll::Ready(Some(Ok(Frame::from(text))));
        }
        if conn.closed {
            return Poll::Ready(None);
        }
        conn.reader = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for MemoryTransport {
    // A transport dropped without `close` is a socket that died.
    fn drop(&mut self) {
        let now = self.shared.clock.now();
        let mut state = self.state();
        let open = state.conns.get(&self.conn).is_some_and(|c| !c.closed);
        if open {
            close_conn(&mut state, self.conn);
            state.relay.handle_disconnected(self.conn, now);
            pump(&mut state, now);
        }
        state.conns.remove(&self.conn);
    }
}
