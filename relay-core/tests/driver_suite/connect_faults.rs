//! Connection failures on real sockets, run on every runtime: each case shows the typed
//! `OpenFailed` event the user sees, and whether `run` gives up (a failure that cannot
//! heal, before any session) or keeps retrying. And a server that stops reading: the write
//! deadline turns it into a reconnect, and shutdown still works.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::{start_sim, test_pki, within, PROJECT, TOKEN};
use futures_util::future::{self, Either};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use relay_rs_core::driver::{ClientBuilder, ClientEvent, Error, OpenError, TlsFailure};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{Pacing, SimServerBuilder};
use relay_rs_core::{BackoffConfig, RequestError};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One `#[test]` per case for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! connect_fault_tests {
    ($block_on:path, $runtime:path) => {
        connect_fault_tests!(@tests $block_on, $runtime;
            plain_server_reached_as_wss_says_so_and_run_gives_up,
            unresolvable_host_ends_run_with_a_dns_error,
            refused_port_is_retried_with_the_cause_each_time,
            unknown_ca_ends_run_with_a_certificate_error,
            handshake_answered_404_is_final,
            handshake_answered_500_is_retried,
            server_that_never_completes_the_handshake_times_out,
            server_that_stops_reading_is_left_for_a_new_connection,
            shutdown_works_while_a_write_is_stuck,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { connect_faults::$name($runtime()).await });
            }
        )*
    };
}

type Events = Arc<Mutex<Vec<ClientEvent>>>;

fn fast_backoff() -> BackoffConfig {
    BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(40),
        jitter: 0.0,
    }
}

/// A client of `host` with fast retries, recording every non-engine event.
fn client_to(rt: &Arc<dyn ServerRuntime>, host: &str) -> (ClientBuilder, Events) {
    let builder = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(host)
        .contexts(["office"])
        .backoff(fast_backoff())
        .request_timeout(Duration::from_secs(2));
    (builder, Arc::new(Mutex::new(Vec::new())))
}

fn record(client: &relay_rs_core::driver::Client, events: &Events) {
    let sink = events.clone();
    client.on_event(move |event| {
        if !matches!(event, ClientEvent::Engine(_)) {
            sink.lock().unwrap().push(event.clone());
        }
    });
}

fn failures(events: &Events) -> Vec<(OpenError, u32, bool)> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            ClientEvent::OpenFailed {
                error,
                attempt,
                retry_in,
            } => Some((error.clone(), *attempt, retry_in.is_some())),
            _ => None,
        })
        .collect()
}

/// Runs the client until `run` returns; its result.
async fn run_to_end(
    rt: &Arc<dyn ServerRuntime>,
    client: &relay_rs_core::driver::Client,
) -> Result<(), Error> {
    within(rt, 20, "run to return", client.run()).await
}

/// Runs the client in the background until `n` connect failures were seen, then shuts it
/// down; how `run` ended.
async fn fail_n_times(
    rt: &Arc<dyn ServerRuntime>,
    client: &relay_rs_core::driver::Client,
    events: &Events,
    n: usize,
) -> Result<(), Error> {
    let runner = client.clone();
    let run = Box::pin(async move { runner.run().await });
    let watch = Box::pin(async {
        while failures(events).len() < n {
            rt.sleep(Duration::from_millis(5)).await;
        }
    });
    let run = match future::select(run, watch).await {
        Either::Left((result, _)) => return result,
        Either::Right((_, run)) => run,
    };
    client.shutdown();
    within(rt, 10, "run to return after shutdown", run).await
}

/// A loopback listener that answers every connection with `behaviour`.
async fn raw_server<F, Fut>(rt: &Arc<dyn ServerRuntime>, behaviour: F) -> SocketAddr
where
    F: Fn(Box<dyn relay_rs_core::driver::ByteStream>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut listener = rt
        .bind_tcp(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let spawner = rt.clone();
    rt.spawn(Box::pin(async move {
        while let Ok((stream, _)) = listener.accept().await {
            spawner.spawn(Box::pin(behaviour(stream)));
        }
    }));
    addr
}

/// Answers the upgrade request with a fixed HTTP status.
async fn http_status_server(rt: &Arc<dyn ServerRuntime>, status: &'static str) -> SocketAddr {
    raw_server(rt, move |mut stream| async move {
        let mut buf = [0u8; 2048];
        let _ = stream.read(&mut buf).await;
        let response =
            format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.flush().await;
    })
    .await
}

pub async fn plain_server_reached_as_wss_says_so_and_run_gives_up(rt: Arc<dyn ServerRuntime>) {
    // The simulator serves plain ws://; the client forgot SIGNALWIRE_RELAY_SCHEME=ws.
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (builder, events) = client_to(&rt, &sim.host());
    let client = builder.build().unwrap();
    record(&client, &events);
    let result = run_to_end(&rt, &client).await;
    let Err(Error::Open(OpenError::Tls { failure, .. })) = &result else {
        panic!("expected a TLS failure, got {result:?}");
    };
    assert_eq!(*failure, TlsFailure::NotTls);
    assert!(result
        .unwrap_err()
        .to_string()
        .contains("SIGNALWIRE_RELAY_SCHEME=ws"));
    let seen: Vec<(u32, bool)> = failures(&events).iter().map(|f| (f.1, f.2)).collect();
    assert_eq!(seen, [(1, true), (2, true), (3, false)]);
}

pub async fn unresolvable_host_ends_run_with_a_dns_error(rt: Arc<dyn ServerRuntime>) {
    let (builder, events) = client_to(&rt, "relay.example.invalid");
    let client = builder.build().unwrap();
    record(&client, &events);
    let result = run_to_end(&rt, &client).await;
    match &result {
        Err(Error::Open(OpenError::Dns { host, .. })) => {
            assert_eq!(host, "relay.example.invalid")
        }
        other => panic!("expected a DNS failure, got {other:?}"),
    }
    assert_eq!(failures(&events).len(), 3);
}

pub async fn refused_port_is_retried_with_the_cause_each_time(rt: Arc<dyn ServerRuntime>) {
    // A port nobody listens on: bind one, note it, close it.
    let port = {
        let listener = rt
            .bind_tcp(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        listener.local_addr().unwrap().port()
    };
    let (builder, events) = client_to(&rt, &format!("127.0.0.1:{port}"));
    let client = builder.build().unwrap();
    record(&client, &events);
    // A refused port may heal (the server is restarting): the client keeps trying.
    let result = fail_n_times(&rt, &client, &events, 5).await;
    assert_eq!(result, Ok(()), "only the shutdown ends it");
    for (error, _, retries) in failures(&events).iter().take(5) {
        match error {
            OpenError::Tcp { kind, addr, .. } => {
                assert_eq!(*kind, std::io::ErrorKind::ConnectionRefused);
                assert_eq!(addr, &format!("127.0.0.1:{port}"));
            }
            other => panic!("expected a TCP failure, got {other:?}"),
        }
        assert!(retries);
    }
}

pub async fn unknown_ca_ends_run_with_a_certificate_error(rt: Arc<dyn ServerRuntime>) {
    let pki = test_pki();
    let tls =
        relay_rs_core::server::tls_server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes())
            .unwrap();
    let sim = SimServerBuilder::new(SimConfig::new())
        .tls(tls)
        .start(rt.clone())
        .await
        .unwrap();
    let host = format!("localhost:{}", sim.local_addr().port());
    let (builder, events) = client_to(&rt, &host);
    let client = builder.build().unwrap();
    record(&client, &events);
    let result = run_to_end(&rt, &client).await;
    match &result {
        Err(Error::Open(OpenError::Tls { failure, .. })) => {
            assert_eq!(*failure, TlsFailure::Certificate)
        }
        other => panic!("expected a certificate failure, got {other:?}"),
    }
    assert!(sim.requests("signalwire.connect").await.is_empty());
}

pub async fn handshake_answered_404_is_final(rt: Arc<dyn ServerRuntime>) {
    let addr = http_status_server(&rt, "404 Not Found").await;
    let (builder, events) = client_to(&rt, &addr.to_string());
    let client = builder.allow_insecure_loopback(true).build().unwrap();
    record(&client, &events);
    let result = run_to_end(&rt, &client).await;
    match &result {
        Err(Error::Open(OpenError::Handshake { status, .. })) => {
            assert_eq!(*status, Some(404))
        }
        other => panic!("expected a 404 handshake, got {other:?}"),
    }
}

pub async fn handshake_answered_500_is_retried(rt: Arc<dyn ServerRuntime>) {
    let addr = http_status_server(&rt, "500 Internal Server Error").await;
    let (builder, events) = client_to(&rt, &addr.to_string());
    let client = builder.allow_insecure_loopback(true).build().unwrap();
    record(&client, &events);
    let result = fail_n_times(&rt, &client, &events, 4).await;
    assert_eq!(
        result,
        Ok(()),
        "a server error may heal: only the shutdown ends it"
    );
    for (error, _, retries) in failures(&events).iter().take(4) {
        assert!(
            matches!(
                error,
                OpenError::Handshake {
                    status: Some(500),
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(retries);
    }
}

pub async fn server_that_never_completes_the_handshake_times_out(rt: Arc<dyn ServerRuntime>) {
    let addr = raw_server(&rt, |stream| async move {
        // Accept and say nothing; keep the socket open for longer than the test.
        let _hold = stream;
        futures_util::future::pending::<()>().await;
    })
    .await;
    let (builder, events) = client_to(&rt, &addr.to_string());
    let client = builder
        .allow_insecure_loopback(true)
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    record(&client, &events);
    let result = fail_n_times(&rt, &client, &events, 2).await;
    assert_eq!(result, Ok(()));
    let seen = failures(&events);
    assert_eq!(seen[0].0, OpenError::Timeout);
    assert_eq!(seen[1].0, OpenError::Timeout);
}

/// A proxy's first connection, frozen on demand: once `freeze` is set it stops reading for
/// good, at a known point. The check sits between a read and its forwarding, so no byte read
/// after the freeze reaches the server; `stuck` is set by the first such read, i.e. when the
/// client has started a write the proxy will never take. Later connections are never frozen,
/// so the reconnect does not race a thaw.
struct Freezer {
    freeze: AtomicBool,
    stuck: AtomicBool,
}

async fn freezable_proxy(
    rt: &Arc<dyn ServerRuntime>,
    target: SocketAddr,
    freezer: Arc<Freezer>,
) -> SocketAddr {
    let connector = rt.clone();
    let spawner = rt.clone();
    let connections = Arc::new(AtomicUsize::new(0));
    raw_server(rt, move |client| {
        let connector = connector.clone();
        let spawner = spawner.clone();
        let freezer = freezer.clone();
        let first = connections.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            let Ok(server) = connector.connect_tcp("127.0.0.1", target.port()).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.split();
            let (mut server_read, mut server_write) = server.split();
            spawner.spawn(Box::pin(async move {
                let _ = futures_util::io::copy(&mut server_read, &mut client_write).await;
            }));
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match client_read.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if first && freezer.freeze.load(Ordering::SeqCst) {
                            // Stop reading this client for good, but keep its socket open.
                            freezer.stuck.store(true, Ordering::SeqCst);
                            futures_util::future::pending::<()>().await;
                        }
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    })
    .await
}

/// More bytes than the kernel can hold between the client and a peer that does not read (the
/// client's send buffer and the peer's receive buffer, both at their autotuning maximum), so
/// one frame of this size can never be written whatever the machine's speed. Linux's limits,
/// read from /proc; 64 MiB where they cannot be read.
fn unbufferable_len() -> usize {
    fn max_of(path: &str) -> Option<usize> {
        let text = std::fs::read_to_string(path).ok()?;
        text.split_whitespace().last()?.parse().ok()
    }
    let limits = (
        max_of("/proc/sys/net/ipv4/tcp_wmem"),
        max_of("/proc/sys/net/ipv4/tcp_rmem"),
    );
    match limits {
        (Some(send), Some(receive)) => send + receive + (8 << 20),
        _ => 64 << 20,
    }
}

/// Once the first session is up, freezes its connection and starts one request too large
/// for the socket buffers: that write starts, and can never finish. Returns when the proxy
/// has seen it start, with the request's outcome to come.
async fn stick_a_write(
    rt: &Arc<dyn ServerRuntime>,
    sim: &relay_rs_core::testkit::SimServer,
    client: &relay_rs_core::driver::Client,
    freezer: &Freezer,
) -> futures_channel::oneshot::Receiver<Result<relay_rs_core::Payload, Error>> {
    within(rt, 10, "the first session", async {
        while sim.requests("signalwire.connect").await.is_empty() {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    freezer.freeze.store(true, Ordering::SeqCst);
    let (tx, rx) = futures_channel::oneshot::channel();
    let sender = client.clone();
    rt.spawn(Box::pin(async move {
        let pad = "x".repeat(unbufferable_len());
        let result = sender
            .execute("calling.flood", serde_json::json!({ "pad": pad }))
            .await;
        let _ = tx.send(result);
    }));
    within(rt, 10, "the client to start the write", async {
        while !freezer.stuck.load(Ordering::SeqCst) {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    rx
}

fn freezer() -> Arc<Freezer> {
    Arc::new(Freezer {
        freeze: AtomicBool::new(false),
        stuck: AtomicBool::new(false),
    })
}

pub async fn server_that_stops_reading_is_left_for_a_new_connection(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let freezer = freezer();
    let proxy = freezable_proxy(&rt, sim.local_addr(), freezer.clone()).await;
    let (builder, events) = client_to(&rt, &proxy.to_string());
    let client = builder
        .allow_insecure_loopback(true)
        .request_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    record(&client, &events);
    let _done = super::suite::spawn_run(&rt, &client);
    let outcome = stick_a_write(&rt, &sim, &client, &freezer).await;
    // The stuck connection is given up (its write deadline, or the request's time-out, both
    // one second), and the client opens another, which the proxy lets through.
    within(&rt, 10, "a new connection after the stuck one", async {
        while sim.requests("signalwire.connect").await.len() < 2 {
            rt.sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    // The request never reached the server: it failed with its connection, not with an answer.
    let result = within(&rt, 10, "the stuck request to end", outcome).await;
    assert!(
        matches!(
            result,
            Ok(Err(Error::Request(
                RequestError::Timeout { .. } | RequestError::Closed
            )))
        ),
        "{result:?}"
    );
    assert!(sim.requests("calling.flood").await.is_empty());
    client.shutdown();
}

pub async fn shutdown_works_while_a_write_is_stuck(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let freezer = freezer();
    let proxy = freezable_proxy(&rt, sim.local_addr(), freezer.clone()).await;
    let (builder, _events) = client_to(&rt, &proxy.to_string());
    let client = builder
        .allow_insecure_loopback(true)
        .request_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let done = super::suite::spawn_run(&rt, &client);
    let _outcome = stick_a_write(&rt, &sim, &client, &freezer).await;
    client.shutdown();
    // Bounded by the write deadline (the request time-out here), not by the stuck peer.
    let result = within(&rt, 8, "run to return after shutdown", done).await;
    assert_eq!(result.unwrap(), Ok(()));
}
