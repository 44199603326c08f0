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
        assert!(pair.open());
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

#[test]
fn a_flood_of_hostile_events_writes_a_few_lines_not_one_each() {
    let capture = Capture::default();
    const EVENTS: usize = 100_000;
    tracing::subscriber::with_default(capture.clone(), || {
        let config = EngineConfig::new(Credentials::token("project-1", TOKEN)).contexts(["office"]);
        let mut pair = Pair::new(config, SimConfig::new().credentials("project-1", TOKEN));
        assert!(pair.open());
        // Over one virtual minute: unknown calls, invalid events and frames that are not JSON.
        for i in 0..EVENTS {
            let frame = match i % 3 {
                0 => format!(
                    r#"{{"jsonrpc":"2.0","id":"e{i}","method":"signalwire.event","params":{{"event_type":"calling.call.state","params":{{"call_id":"nobody{i}","node_id":"n","call_state":"ringing"}}}}}}"#
                ),
                1 => format!(
                    r#"{{"jsonrpc":"2.0","id":"e{i}","method":"signalwire.event","params":{{"event_type":"calling.call.dial","params":{{"x":{i}}}}}}}"#
                ),
                _ => format!("{{not json {i}"),
            };
            let now = pair.now + Duration::from_micros(600 * i as u64);
            pair.engine.handle_frame(&frame, now);
            while pair.engine.poll_transmit().is_some() {}
            while pair.engine.poll_event().is_some() {}
        }
    });
    let log = capture.0.lock().unwrap().clone();
    // 1M events must write < 1 MB: scaled, 100,000 events < 100 kB.
    assert!(log.len() < 100_000, "{} bytes of log", log.len());
    // One line per kind per 10 s interval (16,667 events, 5,556 of each kind), and each
    // later line counts what it held back.
    let refused = log.matches("server input refused").count();
    assert!((3..=3 * 7).contains(&refused), "{refused} lines:\n{log}");
    assert!(log.contains("similar_held_back=5555"), "{log}");
}
