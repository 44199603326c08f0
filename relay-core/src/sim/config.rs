//! The fake service's configuration: accepted credentials, timers of the simulated world and
//! the seed of its ids.
//!
//! Secrets (token, JWT) never appear in `Debug` output.

use super::script::{CallerScript, Dialed};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How the fake service behaves. Build with [`SimConfig::new`] and the setters.
#[derive(Clone, PartialEq)]
pub struct SimConfig {
    /// The accepted project (default `"project"`).
    pub project: String,
    /// The accepted API token (default `"token"`).
    pub token: String,
    /// An accepted JWT (`jwt_token`), if any.
    pub jwt: Option<String>,
    /// How often the service pings each authenticated socket; `None` (default) for never.
    pub ping_interval: Option<Duration>,
    /// With no media driver: a started stream reports `streaming` at once and `finished`
    /// after this long. `None` (default): the driver reports through `media_started` /
    /// `media_finished` after a [`SimOutput::StartMedia`](super::SimOutput::StartMedia).
    pub auto_media: Option<Duration>,
    /// How long a `calling.play` (or the prompt of a `calling.play_and_collect`) plays
    /// before it finishes, per `loop` (default 1 s).
    pub play_duration: Duration,
    /// What the far end does during call actions: keys, speech, machine, fax, recording.
    pub caller: CallerScript,
    /// Offer an inbound call on this context at this interval.
    pub offer_every: Option<(Duration, String)>,
    /// Seed of every id the service makes (protocols, calls, nodes, events).
    pub seed: u64,
    /// The `space_id` of status callbacks.
    pub space_id: String,
    /// The `project_id` of events and status callbacks (default `"project"`).
    pub project_id: String,
    /// Whether every frame received is kept for [`FakeRelay::received`](super::FakeRelay::received)
    /// (default `true`; turn off for long runs).
    pub record_frames: bool,
    /// Events kept per session while it has no connection; the oldest go first beyond it
    /// (default 10,000).
    pub max_queued_events: usize,
    /// The most frames the record keeps (the last ones; default
    /// [`DEFAULT_MAX_RECORDED_FRAMES`]); `None` for every one (see
    /// [`SimConfig::record_everything`]).
    pub max_recorded_frames: Option<usize>,
    /// The most bytes of frame text the record keeps (the last frames; default
    /// [`DEFAULT_MAX_RECORDED_BYTES`]); `None` for no bound.
    pub max_recorded_bytes: Option<usize>,
    /// A socket that has not authenticated (`signalwire.connect` accepted) this long after
    /// it opened is closed; `None` (the default here; the simulator server sets 10 s) for
    /// never.
    pub auth_timeout: Option<Duration>,
    /// What dialed numbers do, by number (`"*"` for every number not listed); a number in
    /// neither answers (or is one of the failure numbers of the dial model).
    pub dialed: BTreeMap<String, Dialed>,
}

/// Default bound on the frames the record keeps: far more than any test reads.
pub const DEFAULT_MAX_RECORDED_FRAMES: usize = 10_000;
/// Default bound on the bytes of frame text the record keeps: 16 MiB.
pub const DEFAULT_MAX_RECORDED_BYTES: usize = 16 << 20;

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("project", &self.project)
            .field("token", &"<redacted>")
            .field("jwt", &self.jwt.as_ref().map(|_| "<redacted>"))
            .field("ping_interval", &self.ping_interval)
            .field("auto_media", &self.auto_media)
            .field("play_duration", &self.play_duration)
            .field("caller", &self.caller)
            .field("offer_every", &self.offer_every)
            .field("seed", &self.seed)
            .field("space_id", &self.space_id)
            .field("project_id", &self.project_id)
            .field("record_frames", &self.record_frames)
            .field("max_queued_events", &self.max_queued_events)
            .field("max_recorded_frames", &self.max_recorded_frames)
            .field("max_recorded_bytes", &self.max_recorded_bytes)
            .field("auth_timeout", &self.auth_timeout)
            .field("dialed", &self.dialed)
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            project: "project".into(),
            token: "token".into(),
            jwt: None,
            ping_interval: None,
            auto_media: None,
            play_duration: Duration::from_secs(1),
            caller: CallerScript::default(),
            offer_every: None,
            seed: 0x51A1,
            space_id: "space".into(),
            project_id: "project".into(),
            record_frames: true,
            max_queued_events: 10_000,
            max_recorded_frames: Some(DEFAULT_MAX_RECORDED_FRAMES),
            max_recorded_bytes: Some(DEFAULT_MAX_RECORDED_BYTES),
            auth_timeout: None,
            dialed: BTreeMap::new(),
        }
    }
}

impl SimConfig {
    /// The defaults: project `"project"`, token `"token"`, no JWT, no server pings, media
    /// reported by the driver, 1 s plays.
    pub fn new() -> Self {
        Self::default()
    }

    /// The accepted project and token; the project also becomes the `project_id`.
    pub fn credentials(mut self, project: impl Into<String>, token: impl Into<String>) -> Self {
        self.project = project.into();
        self.token = token.into();
        self.project_id = self.project.clone();
        self
    }

    /// Also accepts this JWT.
    pub fn jwt(mut self, jwt: impl Into<String>) -> Self {
        self.jwt = Some(jwt.into());
        self
    }

    /// Pings every authenticated socket at this interval.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval);
        self
    }

    /// Simulates stream media with no driver: `streaming` at once, `finished` after `length`.
    pub fn auto_media(mut self, length: Duration) -> Self {
        self.auto_media = Some(length);
        self
    }

    /// How long each play lasts.
    pub fn play_duration(mut self, length: Duration) -> Self {
        self.play_duration = length;
        self
    }

    /// What the far end does during call actions.
    pub fn caller(mut self, caller: CallerScript) -> Self {
        self.caller = caller;
        self
    }

    /// Offers an inbound call on `context` every `interval`.
    pub fn offer_every(mut self, interval: Duration, context: impl Into<String>) -> Self {
        self.offer_every = Some((interval, context.into()));
        self
    }

    /// The seed of the service's ids.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The `space_id`.
    pub fn space_id(mut self, space_id: impl Into<String>) -> Self {
        self.space_id = space_id.into();
        self
    }

    /// The `project_id` (after [`SimConfig::credentials`], which sets it too).
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = project_id.into();
        self
    }

    /// Whether received frames are recorded.
    pub fn record_frames(mut self, record: bool) -> Self {
        self.record_frames = record;
        self
    }

    /// Keeps the last `frames` frames (and at most `bytes` of their text) in the record.
    pub fn record_bounds(mut self, frames: usize, bytes: usize) -> Self {
        self.max_recorded_frames = Some(frames);
        self.max_recorded_bytes = Some(bytes);
        self
    }

    /// Keeps every frame in the record, however many: for a test that reads a long run.
    pub fn record_everything(mut self) -> Self {
        self.record_frames = true;
        self.max_recorded_frames = None;
        self.max_recorded_bytes = None;
        self
    }

    /// What `number` does when dialed (`"*"`: every number not set otherwise).
    pub fn dialed(mut self, number: impl Into<String>, behaviour: Dialed) -> Self {
        self.dialed.insert(number.into(), behaviour);
        self
    }

    /// Closes sockets that have not authenticated within `timeout` of opening.
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = Some(timeout);
        self
    }

    /// The bound of each session's queue of undelivered events.
    pub fn max_queued_events(mut self, max: usize) -> Self {
        self.max_queued_events = max;
        self
    }
}
