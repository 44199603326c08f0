//! The client's log tells the story of a session (ready, inbound call, connection lost,
//! stopped) and never holds a secret. Alone in its test binary: tracing caches each log
//! site's interest process-wide, and a test running beside it without a subscriber can make
//! a site look uninteresting to this one's scoped subscriber.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::StreamOptions;
use std::sync::{Arc, Mutex};

const CONTEXT: &str = "office";

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_tell_what_happened_and_never_hold_a_secret() {
    const TOKEN: &str = "SECRET-api-token-81";
    const AUTH_STATE: &str = "SECRET-authorization-state-82";
    const BEARER: &str = "SECRET-bearer-83";
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let relay = MemoryRelay::new(SimConfig::new().credentials("project", TOKEN));
        let client = relay.client().contexts([CONTEXT]).build().unwrap();
        let mut incoming = client.incoming().unwrap();
        relay.start(&client);
        relay.run(async {
            relay.wait_ready().await;
            relay.with_relay(|r, now| {
                let conn = r.connections()[0];
                r.send_authorization_state(conn, AUTH_STATE, now);
            });
            relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
            let call = incoming.next().await.unwrap();
            call.answer().await.unwrap();
            call.stream(
                "wss://media.example.com/a",
                StreamOptions::new().authorization_bearer_token(BEARER),
            )
            .await
            .unwrap();
            relay.drop_connections();
            // The resume sends the authorization state back: a secret on the wire, never in a log.
            relay
                .wait_until(|r| {
                    r.requests("signalwire.connect").len() == 2 && r.connections().len() == 1
                })
                .await;
            call.hangup().await.unwrap();
        });
        client.shutdown();
        relay.run(relay.wait_client_stopped());
    });
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for secret in [TOKEN, AUTH_STATE, BEARER] {
        assert!(!log.contains(secret), "the log holds {secret}:\n{log}");
    }
    for line in [
        "session ready",
        "inbound call",
        "connection lost",
        "client stopped",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
}
