//! The engine's log lines: they say what happens (connects, auth, reconnects with their
//! delay, time-outs, refused input) and never carry a token or an authorization state.
#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used)]

use relay_rs_core::sim::{Fault, Pair, SimConfig};
use relay_rs_core::{Credentials, EngineConfig};
use serde_json::json;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const TOKEN: &str = "pt-SECRET-token-1";
const AUTH_STATE: &str = "SECRET-authorization-state";

/// Writes every event, with all its fields, as one line of text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = self.0.lock().unwrap();
        span.record(&mut Line(&mut text));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Line(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = self.0.lock().unwrap();
        let _ = write!(
            text,
            "{} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Line(&mut text));
        text.push('\n');
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_session_with_reconnects_logs_what_happens_and_no_secret() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        let config = EngineConfig::new(Credentials::token("project-1", TOKEN)).contexts(["office"]);
        let sim = SimConfig::new().credentials("project-1", TOKEN);
        let mut pair = Pair::new(config, sim);
        assert!(pair.connect());
        let conn = pair.conn().unwrap();
        pair.relay
            .send_authorization_state(conn, AUTH_STATE, pair.now);
        pair.step();
        // A dropped socket: reconnect, resuming with the authorization state.
        pair.relay.drop_connection(conn);
        assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(5)));
        // A rejected resume, then a fresh session.
        pair.relay.set_fault(Fault::RejectAuth);
        let conn = pair.conn().unwrap();
        pair.relay.drop_connection(conn);
        pair.step();
        pair.advance(Duration::from_secs(3));
        pair.relay.clear_faults();
        assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(10)));
        // A frame that is not JSON, and a request the relay never answers.
        pair.engine.handle_frame("{not json", pair.now);
        pair.relay.set_fault(Fault::Silent);
        pair.engine
            .execute("calling.noop", json!({}), pair.now)
            .unwrap();
        pair.advance(Duration::from_secs(31));
        pair.relay.clear_faults();
        pair.engine.shutdown(pair.now);
        pair.step();
    });
    let log = capture.0.lock().unwrap().clone();
    for secret in [TOKEN, AUTH_STATE] {
        assert!(!log.contains(secret), "the log leaks {secret}:\n{log}");
    }
    for line in [
        "connecting",
        "authenticated",
        "resumed=true",
        "authentication rejected",
        "disconnected; reconnecting after the delay",
        "delay_ms=",
        "request timed out",
        "server input refused",
        "session closed",
    ] {
        assert!(log.contains(line), "no {line:?} in:\n{log}");
    }
}
