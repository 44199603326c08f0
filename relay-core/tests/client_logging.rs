//! The client's own warnings under a flood (issue 17 item 7): an event subscriber that never
//! reads makes every later event of its call a dropped one, and that is one warning line per
//! interval with a count, not one per event.
#![allow(clippy::unwrap_used)]

use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn events_dropped_for_a_subscriber_that_never_reads_are_one_line_with_a_count() {
    const EVENTS: usize = 10_000;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let relay = MemoryRelay::new(SimConfig::new());
        let client = relay.client().contexts(["office"]).seed(7).build().unwrap();
        let (subscribed_tx, subscribed) = futures_channel::oneshot::channel();
        let subscribed_tx = Mutex::new(Some(subscribed_tx));
        client.on_call(move |call| {
            let events = call.events();
            let tx = subscribed_tx.lock().unwrap().take();
            async move {
                let _ = call.answer().await;
                if let Some(tx) = tx {
                    let _ = tx.send(events); // held by the test, never read
                }
            }
        });
        relay.start(&client);
        relay.run(async {
            relay.wait_ready().await;
            let id = relay
                .offer_call("office", "+15551110000", "+15552220000")
                .unwrap();
            let _unread = subscribed.await.unwrap();
            relay.with_relay(|r, now| {
                let conn = r.connections()[0];
                for _ in 0..EVENTS {
                    r.send_event(
                        conn,
                        "calling.call.state",
                        json!({"call_id": id.as_str(), "node_id": r.node_id(&id).unwrap().as_str(),
                               "call_state": "answered", "direction": "inbound"}),
                        now,
                    );
                }
            });
            relay
                .wait_until(|r| r.acks_received() >= EVENTS as u64)
                .await;
        });
        client.shutdown();
    });
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines = log.matches("event dropped for it").count();
    assert!(
        (1..=3).contains(&lines),
        "{lines} lines for {EVENTS} dropped events:\n{log}"
    );
    assert!(log.len() < 10_000, "{} bytes of log", log.len());
}
