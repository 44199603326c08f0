//! `ClientBuilder` forwards every engine knob into the `EngineConfig` that `run` hands to
//! the engine, and checks it in one place.

use super::*;
use std::io;

/// A runtime that is never driven: `build` only needs one to hold.
struct Idle;

impl Runtime for Idle {
    fn connect_tcp(
        &self,
        _host: &str,
        _port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn super::super::ByteStream>>> {
        Box::pin(future::ready(Err(io::ErrorKind::Unsupported.into())))
    }
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(future::pending())
    }
    fn spawn(&self, _task: BoxFuture<'static, ()>) {}
}

fn builder() -> ClientBuilder {
    ClientBuilder::new(Arc::new(Idle))
        .project_token("p", "t")
        .seed(7)
}

/// The configuration `run` would give the engine.
fn engine_config(builder: ClientBuilder) -> EngineConfig {
    let client = builder.build().expect("valid configuration");
    let pending = client
        .inner
        .pending_loop
        .lock()
        .expect("not poisoned")
        .take();
    pending.expect("run not called").config
}

/// The engine's own defaults with the builder's credentials and seed.
fn defaults() -> EngineConfig {
    let mut config = EngineConfig::new(Credentials::token("p", "t"));
    config.seed = 7;
    config
}

type Setter = fn(ClientBuilder) -> ClientBuilder;
type Change = fn(&mut EngineConfig);

#[test]
fn every_engine_knob_set_on_the_builder_reaches_the_engine() {
    let cases: [(&str, Setter, Change); 13] = [
        (
            "jwt",
            |b| b.jwt("j"),
            |c| c.credentials = Credentials::jwt("j"),
        ),
        (
            "contexts",
            |b| b.contexts(["a"]).contexts(["b"]),
            |c| c.contexts = vec!["a".into(), "b".into()],
        ),
        ("agent", |b| b.agent("me/1"), |c| c.agent = "me/1".into()),
        (
            "request_timeout",
            |b| b.request_timeout(Duration::from_secs(3)),
            |c| c.request_timeout = Duration::from_secs(3),
        ),
        (
            "ping_interval",
            |b| b.ping_interval(Duration::from_secs(4)),
            |c| c.ping_interval = Duration::from_secs(4),
        ),
        (
            "backoff",
            |b| {
                b.backoff(BackoffConfig {
                    initial: Duration::from_millis(250),
                    max: Duration::from_secs(5),
                    jitter: 0.5,
                })
            },
            |c| {
                c.backoff = BackoffConfig {
                    initial: Duration::from_millis(250),
                    max: Duration::from_secs(5),
                    jitter: 0.5,
                }
            },
        ),
        (
            "max_active_calls",
            |b| b.max_active_calls(9),
            |c| c.max_active_calls = Some(9),
        ),
        (
            "max_tracked_calls",
            |b| b.max_tracked_calls(11),
            |c| c.max_tracked_calls = 11,
        ),
        (
            "dial_timeout",
            |b| b.dial_timeout(Duration::from_secs(6)),
            |c| c.dial_timeout = Duration::from_secs(6),
        ),
        (
            "max_server_id_len",
            |b| b.max_server_id_len(12),
            |c| c.max_server_id_len = 12,
        ),
        (
            "log_interval",
            |b| b.log_interval(Duration::from_secs(8)),
            |c| c.log_interval = Duration::from_secs(8),
        ),
        (
            "max_frame_size",
            |b| b.max_frame_size(13),
            |c| c.max_frame_size = 13,
        ),
        ("seed", |b| b.seed(99), |c| c.seed = 99),
    ];
    for (name, set, change) in cases {
        let mut want = defaults();
        change(&mut want);
        // Debug shows every knob but the seed (and hides the secrets): compare both.
        let want_text = format!("{want:?} seed={}", want.seed);
        let default_text = format!("{:?} seed={}", defaults(), defaults().seed);
        assert_ne!(
            want_text, default_text,
            "{name}: pick a value off the default"
        );
        let got = engine_config(set(builder()));
        assert_eq!(format!("{got:?} seed={}", got.seed), want_text, "{name}");
        assert_eq!(got.credentials, want.credentials, "{name}");
    }
}

#[test]
fn the_engine_config_checks_what_the_builder_was_given() {
    let refused = |b: ClientBuilder| match b.build() {
        Err(Error::Config(e)) => e,
        other => panic!("refused expected, got {:?}", other.map(|_| ())),
    };
    assert_eq!(
        refused(ClientBuilder::new(Arc::new(Idle))),
        ConfigError::Missing("credentials (project + token, or JWT)")
    );
    assert_eq!(
        refused(builder().jwt(" ")),
        ConfigError::Missing("jwt"),
        "credentials are checked by EngineConfig::validate"
    );
    assert_eq!(
        refused(builder().ping_interval(Duration::ZERO)),
        ConfigError::Zero("ping_interval")
    );
    assert_eq!(
        refused(builder().max_tracked_calls(0)),
        ConfigError::Zero("max_tracked_calls")
    );
    assert_eq!(
        refused(builder().max_outgoing_bytes(0)),
        ConfigError::Zero("max_outgoing_bytes")
    );
}
