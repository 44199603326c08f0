//! The async client's production behaviour, in memory on virtual time (the testkit): typed
//! connection failures, when the client gives up and when it never does, callbacks that
//! panic or dawdle, several event subscribers, a burst of requests larger than the send
//! queue.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use relay_rs_core::driver::{
    ClientEvent, Connector, DisconnectReason, Error, FrameReader, FrameWriter, OpenError,
    Transport, TransportError,
};
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::StreamOptions;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONTEXT: &str = "office";

fn dns_failure() -> OpenError {
    OpenError::Dns {
        host: "relay.example.invalid".into(),
        message: "failed to lookup address information".into(),
    }
}

/// Fails with `error` for attempts listed in `fail`, otherwise opens an in-memory connection.
struct Scripted {
    inner: Arc<dyn Connector>,
    attempts: AtomicU32,
    fail: fn(u32) -> Option<OpenError>,
}

impl Connector for Scripted {
    fn open(&self) -> BoxFuture<'static, Result<Box<dyn Transport>, OpenError>> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        match (self.fail)(attempt) {
            Some(error) => Box::pin(async move { Err(error) }),
            None => self.inner.open(),
        }
    }

    fn target(&self) -> String {
        "scripted".into()
    }
}

fn recorded(client: &relay_rs_core::driver::Client) -> Arc<Mutex<Vec<ClientEvent>>> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    client.on_event(move |event| {
        if !matches!(event, ClientEvent::Engine(_)) {
            sink.lock().unwrap().push(event.clone());
        }
    });
    events
}

#[test]
fn a_host_that_never_resolves_ends_run_with_a_typed_error_after_three_tries() {
    let relay = MemoryRelay::new(SimConfig::new());
    let connector = Arc::new(Scripted {
        inner: relay.connector(),
        attempts: AtomicU32::new(0),
        fail: |_| Some(dns_failure()),
    });
    let client = relay.client().connector(connector).seed(1).build().unwrap();
    let events = recorded(&client);
    let result = relay.run(client.run());
    assert_eq!(result, Err(Error::Open(dns_failure())));
    let events = events.lock().unwrap();
    let attempts: Vec<(u32, bool)> = events
        .iter()
        .map(|e| match e {
            ClientEvent::OpenFailed {
                error,
                attempt,
                retry_in,
            } => {
                assert_eq!(error, &dns_failure());
                (*attempt, retry_in.is_some())
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(attempts, [(1, true), (2, true), (3, false)]);
    // Backoff of about 1 s then 2 s between the tries, on the virtual clock.
    assert!(
        relay.elapsed() >= Duration::from_millis(2400),
        "{:?}",
        relay.elapsed()
    );
}

#[test]
fn after_a_first_session_the_client_retries_for_ever_and_says_why() {
    let relay = MemoryRelay::new(SimConfig::new());
    let connector = Arc::new(Scripted {
        inner: relay.connector(),
        attempts: AtomicU32::new(0),
        // The first connection works; the next five fail as if DNS were down; then it heals.
        fail: |attempt| (2..=6).contains(&attempt).then(dns_failure),
    });
    let client = relay
        .client()
        .contexts([CONTEXT])
        .connector(connector)
        .seed(2)
        .build()
        .unwrap();
    let events = recorded(&client);
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay.drop_connections();
        relay
            .wait_until(|r| {
                r.requests("signalwire.connect").len() == 2 && r.connections().len() == 1
            })
            .await;
    });
    assert_eq!(relay.client_result(), None, "the client is still running");
    let events = events.lock().unwrap();
    assert_eq!(
        events[0],
        ClientEvent::ConnectionLost(DisconnectReason::ServerClosed)
    );
    let failures = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::OpenFailed {
                    retry_in: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(failures, 5);
}

#[test]
fn a_panicking_call_handler_is_reported_and_the_next_call_is_served() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let events = recorded(&client);
    let served = Arc::new(AtomicU32::new(0));
    let count = served.clone();
    client.on_call(move |call| {
        let count = count.clone();
        async move {
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("handler bug on the first call");
            }
            call.answer().await.unwrap();
        }
    });
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let second = relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        relay
            .wait_until(|r| r.call_state(&second) == Some("answered"))
            .await;
    });
    assert_eq!(served.load(Ordering::SeqCst), 2);
    assert!(events
        .lock()
        .unwrap()
        .contains(&ClientEvent::CallbackPanicked {
            callback: "on_call",
            message: "handler bug on the first call".into(),
        }));
    assert_eq!(relay.client_result(), None);
}

#[test]
fn on_completed_callbacks_that_panic_or_block_do_not_stall_the_client() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let events = recorded(&client);
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    let answered_later = relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        let stream = call
            .stream("wss://media.example.com/a", StreamOptions::new())
            .await
            .unwrap();
        stream.on_completed(|_| panic!("on_completed bug"));
        let slow = relay.clone();
        stream.on_completed_async(move |_| async move {
            // A callback that takes an hour holds nothing up.
            slow.sleep(Duration::from_secs(3600)).await;
        });
        let control_id = stream.control_id().clone();
        relay.finish_media(&control_id);
        stream.wait().await.unwrap();
        // The loop still serves a new call at once.
        let second = relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        assert_eq!(call.id(), &second);
        call.answer().await.is_ok()
    });
    assert!(answered_later);
    assert!(relay.elapsed() < Duration::from_secs(3600));
    assert!(events
        .lock()
        .unwrap()
        .contains(&ClientEvent::CallbackPanicked {
            callback: "on_completed",
            message: "on_completed bug".into(),
        }));
}

#[test]
fn several_event_subscribers_each_see_every_event_and_a_panicking_one_is_isolated() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let first = Arc::new(AtomicU32::new(0));
    let second = Arc::new(AtomicU32::new(0));
    let (a, b) = (first.clone(), second.clone());
    client.on_event(move |_| {
        a.fetch_add(1, Ordering::SeqCst);
    });
    client.on_event(|event| {
        if matches!(
            event,
            ClientEvent::Engine(relay_rs_core::Event::Ready { .. })
        ) {
            panic!("subscriber bug");
        }
    });
    client.on_event(move |_| {
        b.fetch_add(1, Ordering::SeqCst);
    });
    relay.start(&client);
    relay.run(relay.wait_ready());
    relay.run(relay.sleep(Duration::from_millis(1)));
    let (first, second) = (first.load(Ordering::SeqCst), second.load(Ordering::SeqCst));
    assert!(first > 0);
    // Both saw every event plus the report of the panicking subscriber.
    assert_eq!(first, second);
    assert_eq!(relay.client_result(), None);
}

/// A `tracing` writer into a shared buffer.
#[test]
fn calls_nobody_takes_are_passed_on_once_the_incoming_queue_is_full() {
    let relay = MemoryRelay::new(SimConfig::new().record_frames(true));
    // A cap above the queue, so that the queue is what fills.
    let client = relay
        .client()
        .contexts([CONTEXT])
        .max_active_calls(5_000)
        .build()
        .unwrap();
    let incoming = client.incoming().unwrap();
    relay.start(&client);
    let last = relay.run(async {
        relay.wait_ready().await;
        let mut last = None;
        for _ in 0..1_025 {
            last = relay.offer_call(CONTEXT, "+1555", "+1666");
        }
        let last = last.unwrap();
        relay
            .wait_until(|r| !r.requests("calling.pass").is_empty())
            .await;
        last
    });
    let passed = relay.requests("calling.pass");
    assert_eq!(
        passed.len(),
        1,
        "only the call over the queue's 1,024 is passed"
    );
    assert_eq!(passed[0]["params"]["call_id"], last.as_str());
    drop(incoming);
}

#[test]
fn receive_and_unreceive_change_where_calls_come_from() {
    let relay = MemoryRelay::new(SimConfig::new().record_frames(true));
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        client.receive(vec!["sales".into()]).await.unwrap();
        let offered = relay.offer_call("sales", "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        assert_eq!(call.id(), &offered);
        client.unreceive(vec!["sales".into()]).await.unwrap();
        assert_eq!(relay.offer_call("sales", "+1555", "+1666"), None);
    });
    let sent = relay.requests("signalwire.unreceive");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["params"]["contexts"], serde_json::json!(["sales"]));
}

#[test]
fn wait_ready_waits_for_a_reconnected_socket_to_authenticate() {
    use futures_util::future::{select, Either};
    use relay_rs_core::sim::Fault;
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    relay.start(&client);
    relay.run(relay.wait_ready());
    // The service stops answering, then the socket drops: the session is detached and the
    // client's new socket cannot authenticate.
    relay.with_relay(|r, _| r.set_fault(Fault::Silent));
    relay.drop_connections();
    let ready_too_early = relay.run(async {
        relay
            .wait_until(|r| r.requests("signalwire.connect").len() == 2)
            .await;
        let ready = std::pin::pin!(relay.wait_ready());
        let later = std::pin::pin!(relay.sleep(Duration::from_secs(5)));
        matches!(select(ready, later).await, Either::Left(_))
    });
    assert!(!ready_too_early, "no socket is authenticated yet");
    relay.with_relay(|r, _| r.clear_faults());
    relay.run(relay.wait_ready());
    let bound = relay.with_relay(|r, _| {
        r.connections()
            .into_iter()
            .filter(|c| r.session_of(*c).is_some())
            .count()
    });
    assert_eq!(bound, 1);
    assert_eq!(relay.sockets_opened(), 0);
    client.shutdown();
}

#[test]
fn wait_handlers_done_waits_for_the_handler_past_the_call_end() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts(["office"]).build().unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let clock = relay.clone();
    client.on_call(move |call| {
        let flag = flag.clone();
        let clock = clock.clone();
        async move {
            call.answer().await.unwrap();
            call.wait_for_ended().await.unwrap();
            // Work after the end: a report, say.
            clock.sleep(Duration::from_secs(10)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    relay.start(&client);
    let id = relay.run(async {
        relay.wait_ready().await;
        let id = relay
            .offer_call("office", "+15550001111", "+15550002222")
            .unwrap();
        relay
            .wait_until(|r| r.call_state(&id) == Some("answered"))
            .await;
        relay.end_call(&id, "hangup");
        relay
            .wait_until(|r| r.call_state(&id) == Some("ended"))
            .await;
        id
    });
    assert_eq!(relay.call_state(&id).as_deref(), Some("ended"));
    assert!(
        !done.load(std::sync::atomic::Ordering::SeqCst),
        "run returned at the end"
    );
    let before = relay.elapsed();
    relay.run(relay.wait_handlers_done());
    assert!(done.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(relay.elapsed() - before, Duration::from_secs(10));
}

/// The memory connection, with the bytes its writer is handed between two flushes counted:
/// the writer flushes once per take of the loop's outbox, so the largest count is the most
/// the loop queued before letting the writer run.
struct Metered {
    inner: Arc<dyn Connector>,
    most_between_flushes: Arc<AtomicUsize>,
}

struct MeteredTransport {
    inner: Box<dyn Transport>,
    most_between_flushes: Arc<AtomicUsize>,
}

struct MeteredWriter {
    inner: Box<dyn FrameWriter>,
    since_flush: usize,
    most_between_flushes: Arc<AtomicUsize>,
}

impl Connector for Metered {
    fn open(&self) -> BoxFuture<'static, Result<Box<dyn Transport>, OpenError>> {
        let open = self.inner.open();
        let most_between_flushes = self.most_between_flushes.clone();
        Box::pin(async move {
            let inner = open.await?;
            Ok(Box::new(MeteredTransport {
                inner,
                most_between_flushes,
            }) as Box<dyn Transport>)
        })
    }

    fn target(&self) -> String {
        "metered".into()
    }
}

impl Transport for MeteredTransport {
    fn split(self: Box<Self>) -> (Box<dyn FrameReader>, Box<dyn FrameWriter>) {
        let (reader, writer) = self.inner.split();
        let writer = MeteredWriter {
            inner: writer,
            since_flush: 0,
            most_between_flushes: self.most_between_flushes,
        };
        (reader, Box::new(writer))
    }
}

#[async_trait::async_trait]
impl FrameWriter for MeteredWriter {
    async fn send(&mut self, text: String) -> Result<(), TransportError> {
        self.since_flush += text.len();
        self.inner.send(text).await
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        self.most_between_flushes
            .fetch_max(self.since_flush, Ordering::SeqCst);
        self.since_flush = 0;
        self.inner.flush().await
    }

    async fn close(&mut self) {
        self.inner.close().await
    }
}

#[test]
fn a_burst_of_requests_leaves_in_write_batches_and_none_is_refused_while_the_server_reads() {
    let relay = MemoryRelay::new(SimConfig::new());
    let most_between_flushes = Arc::new(AtomicUsize::new(0));
    let connector = Arc::new(Metered {
        inner: relay.connector(),
        most_between_flushes: most_between_flushes.clone(),
    });
    // The burst (2,000 requests of ~400 bytes) is three times what may wait for the socket.
    let limit = 256 * 1024;
    let client = relay
        .client()
        .connector(connector)
        .max_outgoing_bytes(limit)
        .build()
        .unwrap();
    relay.start(&client);
    relay.run(relay.wait_ready());
    let pad = "x".repeat(360);
    let results = relay.run(futures_util::future::join_all((0..2_000).map(|i| {
        client.execute("calling.custom", serde_json::json!({ "i": i, "pad": pad }))
    })));
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(Error::SendQueueFull { .. })))
        .count();
    assert_eq!(refused, 0, "the server reads: nothing may be refused");
    assert_eq!(relay.requests("calling.custom").len(), 2_000);
    // The loop lets the writer run once a write batch (64 KiB) waits, so a burst is never
    // held whole: at most a batch and the commands of one turn between two flushes.
    let most = most_between_flushes.load(Ordering::SeqCst);
    assert!(
        most <= 96 * 1024,
        "{most} bytes queued before the writer ran"
    );
    client.shutdown();
}

/// A tracked call is one record, the engine's: the engine's table, the event loop's table
/// and each `Call` handle hold the same `Arc<CallInfo>`, with the client's part of the call
/// (its end, its subscribers, a bridge) inside it, where the client kept a second record
/// of its own per call (which alone held the engine's: a count of two). Once the call is
/// over only the handles hold it.
#[test]
fn a_tracked_call_is_one_record_shared_by_the_engine_the_loop_and_its_handles() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    let counts = relay.run(async {
        relay.wait_ready().await;
        let id = relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        // The engine's table, the loop's table, this handle.
        let tracked = Arc::strong_count(call.info());
        let copy = call.clone();
        assert!(Arc::ptr_eq(copy.info(), call.info()));
        let with_copy = Arc::strong_count(call.info());
        relay.end_call(&id, "hangup");
        call.wait_for_ended().await.unwrap();
        assert_eq!(copy.state(), relay_rs_core::CallState::Ended);
        (tracked, with_copy, Arc::strong_count(call.info()))
    });
    assert_eq!(counts, (3, 4, 2));
}
