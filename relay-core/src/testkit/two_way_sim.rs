//! The simulator's side of a connect to a `stream` device: the caller's script it plays, the
//! recordings of what each caller heard, and, in memory, the app's listeners by url.
//!
//! Over real sockets ([`SimServer`](super::SimServer)) the caller dials the device's url like
//! the one-way sender; in memory ([`MemoryRelay`](super::MemoryRelay)) it reaches the app's
//! [`MemoryMediaListener`] for that url over an in-memory WebSocket.

use super::media_sender::{format_for, MediaSettings};
use super::memory_pipe::{memory_websocket, MemoryStream};
use super::two_way_caller::{run_two_way_caller_until, CallerRecording, TwoWayScript};
use crate::action::stream_options::is_loopback_host;
use crate::driver::{connect_websocket, split_url, ConnectOptions, Runtime};
use crate::media::{MediaTrack, StartInfo};
use crate::sim::MediaJob;
use async_tungstenite::WebSocketStream;
use futures_channel::{mpsc, oneshot};
use futures_util::future::{poll_fn, FutureExt};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

/// A two-way stream the app accepts in memory: the server's end of the WebSocket, and the
/// bearer token the simulated service sent (for the app's check).
pub type MemoryMediaConn = (WebSocketStream<MemoryStream>, Option<String>);

/// The simulated callers of one simulator: their script and their recordings.
#[derive(Clone, Default)]
pub struct TwoWayCallers {
    inner: Arc<Mutex<Inner>>,
}

/// Starts a two-way job in memory (set by `MemoryRelay`, which owns the executor).
pub(crate) type MemoryStarter =
    Arc<dyn Fn(TwoWayCallers, MediaJob, oneshot::Receiver<()>) + Send + Sync>;

#[derive(Default)]
struct Inner {
    script: Option<TwoWayScript>,
    starter: Option<MemoryStarter>,
    stops: HashMap<String, oneshot::Sender<()>>,
    recordings: Vec<CallerRecording>,
    listeners: HashMap<String, mpsc::UnboundedSender<MemoryMediaConn>>,
    waiters: Vec<Waker>,
}

impl fmt::Debug for TwoWayCallers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoWayCallers")
            .field("recordings", &self.lock().recordings.len())
            .finish_non_exhaustive()
    }
}

/// What a caller says when no script was set: two utterances with pauses.
pub fn default_caller_script() -> TwoWayScript {
    TwoWayScript::new()
        .silence(500)
        .speak(1200)
        .silence(1500)
        .speak(900)
        .silence(1500)
        .tail(500)
}

impl TwoWayCallers {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What every caller that reaches a stream device from now on says.
    pub fn set_script(&self, script: TwoWayScript) {
        self.lock().script = Some(script);
    }

    /// The script callers play.
    pub fn script(&self) -> TwoWayScript {
        self.lock()
            .script
            .clone()
            .unwrap_or_else(default_caller_script)
    }

    /// The recordings of the callers that have hung up, in the order they did.
    pub fn recordings(&self) -> Vec<CallerRecording> {
        self.lock().recordings.clone()
    }

    /// Waits until `n` callers have hung up; their recordings.
    pub async fn wait_recordings(&self, n: usize) -> Vec<CallerRecording> {
        poll_fn(|cx| {
            let mut inner = self.lock();
            if inner.recordings.len() >= n {
                Poll::Ready(inner.recordings.clone())
            } else {
                inner.waiters.push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    /// In memory: streams to `url` reach the returned listener.
    pub fn listen(&self, url: impl Into<String>) -> MemoryMediaListener {
        let (tx, rx) = mpsc::unbounded();
        self.lock().listeners.insert(url.into(), tx);
        MemoryMediaListener { incoming: rx }
    }

    pub(crate) fn set_memory_starter(&self, starter: MemoryStarter) {
        self.lock().starter = Some(starter);
    }

    /// A connect reached a stream device (in memory): its caller starts.
    pub(crate) fn start_memory_job(&self, job: MediaJob) {
        let (stop, stopped) = oneshot::channel();
        let starter = {
            let mut inner = self.lock();
            inner.stops.insert(job.control_id.as_str().to_owned(), stop);
            inner.starter.clone()
        };
        if let Some(starter) = starter {
            starter(self.clone(), job, stopped);
        }
    }

    /// The bridge with a stream leg ended: its caller hangs up.
    pub(crate) fn stop_job(&self, control_id: &str) {
        if let Some(stop) = self.lock().stops.remove(control_id) {
            let _ = stop.send(());
        }
    }

    fn record(&self, recording: CallerRecording) {
        let mut inner = self.lock();
        inner.recordings.push(recording);
        for waker in inner.waiters.drain(..) {
            waker.wake();
        }
    }

    /// Runs one two-way job in memory: to the app's listener for the job's url.
    pub(crate) async fn run_in_memory(
        self,
        runtime: Arc<dyn Runtime>,
        job: MediaJob,
        account_sid: String,
        stopped: oneshot::Receiver<()>,
    ) {
        let Some(listener) = self.lock().listeners.get(&job.url).cloned() else {
            tracing::warn!(url = %job.url, "no in-memory media listener for a stream device");
            return;
        };
        let (client, server, bearer) =
            match memory_websocket(&job.url, job.bearer_token.as_deref()).await {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "in-memory two-way handshake failed");
                    return;
                }
            };
        if listener.unbounded_send((server, bearer)).is_err() {
            tracing::warn!(url = %job.url, "the in-memory media listener is gone");
            return;
        }
        let Some(start) = start_of(&job, account_sid) else {
            return;
        };
        let script = self.script();
        let hang_up = stopped.map(|_| ()).boxed();
        let recording = run_two_way_caller_until(client, runtime, start, &script, hang_up).await;
        self.record(recording);
    }

    /// Runs one two-way job over a real socket to the job's url.
    pub(crate) async fn run_over_socket(
        self,
        runtime: Arc<dyn Runtime>,
        settings: Arc<MediaSettings>,
        job: MediaJob,
        started: Box<dyn FnOnce() + Send>,
        stopped: oneshot::Receiver<()>,
    ) {
        let loopback = split_url(&job.url).is_ok_and(|(_, host, _)| is_loopback_host(&host));
        let options = ConnectOptions {
            url: job.url.clone(),
            allow_insecure: loopback,
            extra_ca_pem: settings.extra_ca_pem.clone(),
            max_frame_size: 1 << 20,
        };
        let bearer = job.bearer_token.as_ref().map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .as_deref()
            .map(|value| vec![("Authorization", value)])
            .unwrap_or_default();
        let ws = match connect_websocket(runtime.as_ref(), &options, &headers).await {
            Ok(ws) => ws,
            Err(error) => {
                tracing::warn!(%error, "the simulated caller could not reach the stream device");
                return;
            }
        };
        started();
        let Some(start) = start_of(&job, settings.account_sid.clone()) else {
            return;
        };
        let script = self.script();
        let hang_up = stopped.map(|_| ()).boxed();
        let recording = run_two_way_caller_until(ws, runtime, start, &script, hang_up).await;
        self.record(recording);
    }
}

/// The `start` of a job: its codec's format (PCMU when unset), the caller's track.
fn start_of(job: &MediaJob, account_sid: String) -> Option<StartInfo> {
    let media_format = match format_for(job.codec.as_deref()) {
        Ok(format) => format,
        Err(error) => {
            tracing::warn!(
                error,
                "a stream device with a codec the simulator cannot play"
            );
            return None;
        }
    };
    Some(
        StartInfo::new(
            job.control_id.as_str().to_owned(),
            account_sid,
            job.call_id.as_str().to_owned(),
            vec![MediaTrack::Inbound],
            media_format,
        )
        .with_custom_parameters(job.custom_parameters.clone()),
    )
}

/// Where an app accepts its two-way streams in memory.
#[derive(Debug)]
pub struct MemoryMediaListener {
    incoming: mpsc::UnboundedReceiver<MemoryMediaConn>,
}

impl MemoryMediaListener {
    /// The next stream: the server's end of its WebSocket and the bearer token it carried.
    /// `None` once the simulator is gone.
    pub async fn accept(&mut self) -> Option<MemoryMediaConn> {
        self.incoming.next().await
    }
}
