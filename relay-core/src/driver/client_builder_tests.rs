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

/// A backoff off the default.
fn backoff() -> BackoffConfig {
    BackoffConfig {
        initial: Duration::from_millis(250),
        max: Duration::from_secs(5),
        jitter: 0.5,
    }
}

/// One row: the builder's setter `$name` given `$value`, and the same value in the engine's
/// field `$name` (wrapped in `Some` for an optional knob), named once.
macro_rules! knob {
    ($name:ident = Some($value:expr)) => {
        (
            stringify!($name),
            (|b| b.$name($value)) as Setter,
            (|c| c.$name = Some($value)) as Change,
        )
    };
    ($name:ident = $value:expr) => {
        (
            stringify!($name),
            (|b| b.$name($value)) as Setter,
            (|c| c.$name = $value) as Change,
        )
    };
}

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
        knob!(agent = String::from("me/1")),
        knob!(request_timeout = Duration::from_secs(3)),
        knob!(ping_interval = Duration::from_secs(4)),
        knob!(backoff = backoff()),
        knob!(max_active_calls = Some(9)),
        knob!(max_tracked_calls = 11),
        knob!(dial_timeout = Duration::from_secs(6)),
        knob!(max_server_id_len = 12),
        knob!(log_interval = Duration::from_secs(8)),
        knob!(max_frame_size = 13),
        knob!(seed = 99),
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
