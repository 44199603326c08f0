//! The simulator server under hostile clients, over real loopback sockets: the connection
//! cap, the handshake and authentication time-outs, the write deadline and the bound on a
//! connection's outgoing queue. Short real time-outs; every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{AsyncReadExt, AsyncWriteExt};
use relay_rs_core::driver::{ByteStream, Runtime};
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{RawWebSocket, SimServer, SimServerBuilder};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

async fn within<T>(secs: u64, what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs} s: {what}"))
}

async fn until(secs: u64, what: &str, check: impl Fn() -> bool) {
    within(secs, what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

async fn tcp(rt: &Arc<dyn Runtime>, sim: &SimServer) -> Box<dyn ByteStream> {
    let addr = sim.local_addr();
    rt.connect_tcp(&addr.ip().to_string(), addr.port())
        .await
        .expect("tcp connects")
}

/// Reads until the server ends the socket (within 10 s).
async fn closed_by_server(socket: &mut Box<dyn ByteStream>) {
    within(10, "the server to close the socket", async {
        let mut buf = [0u8; 4096];
        while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await
}

async fn start(builder: SimServerBuilder) -> SimServer {
    builder
        .start(relay_tokio::runtime())
        .await
        .expect("the simulator starts")
}

#[test]
fn slowloris_sockets_are_dropped_at_the_handshake_timeout() {
    block_on(async {
        let rt: Arc<dyn Runtime> = relay_tokio::runtime();
        let sim = start(
            SimServerBuilder::new(SimConfig::new()).handshake_timeout(Duration::from_millis(200)),
        )
        .await;
        let stats = sim.stats();
        let mut sockets = Vec::new();
        for _ in 0..20 {
            let mut socket = tcp(&rt, &sim).await;
            // Half a request, then nothing.
            socket
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            sockets.push(socket);
        }
        for socket in &mut sockets {
            closed_by_server(socket).await;
        }
        until(10, "every place freed", || stats.active() == 0).await;
        assert_eq!(stats.handshake_timeouts(), 20);
    });
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    block_on(async {
        let rt: Arc<dyn Runtime> = relay_tokio::runtime();
        let sim = start(SimServerBuilder::new(SimConfig::new()).max_connections(2)).await;
        let stats = sim.stats();
        let _first = tcp(&rt, &sim).await;
        let _second = tcp(&rt, &sim).await;
        until(10, "two places taken", || stats.active() == 2).await;
        let mut third = tcp(&rt, &sim).await;
        closed_by_server(&mut third).await;
        assert_eq!((stats.refused_over_cap(), stats.active()), (1, 2));
    });
}

#[test]
fn a_websocket_that_does_not_authenticate_is_closed_at_the_auth_timeout() {
    block_on(async {
        let rt: Arc<dyn Runtime> = relay_tokio::runtime();
        let sim = start(
            SimServerBuilder::new(SimConfig::new()).auth_timeout(Some(Duration::from_millis(200))),
        )
        .await;
        let stats = sim.stats();
        let mut idle = RawWebSocket::connect(rt.as_ref(), sim.local_addr(), &[])
            .await
            .unwrap();
        // A bad authentication does not count as one.
        let connect = json!({"jsonrpc": "2.0", "id": "1", "method": "signalwire.connect",
            "params": {"version": {"major": 2, "minor": 0, "revision": 0},
                       "authentication": {"project": "project", "token": "wrong"}}});
        idle.send_text(&connect.to_string()).await.unwrap();
        within(10, "the auth time-out", idle.wait_closed()).await;
        until(10, "the place freed", || stats.active() == 0).await;
        let timeouts = sim.with_relay(|relay, _| relay.auth_timeouts()).await;
        assert_eq!(timeouts, Some(1));
    });
}

/// Pings with 10 kB ids, sent and never read: the answers pile up on the server's side.
async fn flood_without_reading(ws: &mut RawWebSocket, count: usize) {
    let id = "i".repeat(10_000);
    for n in 0..count {
        let ping = json!({"jsonrpc": "2.0", "id": format!("{id}{n}"), "method": "signalwire.ping",
            "params": {}});
        if ws.send_text(&ping.to_string()).await.is_err() {
            return;
        }
    }
}

#[test]
fn a_client_that_never_reads_is_closed_at_the_write_deadline() {
    block_on(async {
        let rt: Arc<dyn Runtime> = relay_tokio::runtime();
        let sim = start(
            SimServerBuilder::new(SimConfig::new().record_frames(false))
                .auth_timeout(None)
                .write_timeout(Duration::from_millis(300)),
        )
        .await;
        let stats = sim.stats();
        let mut ws = RawWebSocket::connect(rt.as_ref(), sim.local_addr(), &[])
            .await
            .unwrap();
        // Enough to fill both socket buffers; the sender stops when the server closes.
        within(
            20,
            "the flood to end",
            flood_without_reading(&mut ws, 5_000),
        )
        .await;
        until(10, "the write deadline", || stats.write_timeouts() == 1).await;
        until(10, "the place freed", || stats.active() == 0).await;
        assert_eq!(stats.queue_overflows(), 0);
    });
}

#[test]
fn a_connection_whose_queue_passes_its_bound_is_closed() {
    block_on(async {
        let rt: Arc<dyn Runtime> = relay_tokio::runtime();
        let sim = start(
            SimServerBuilder::new(SimConfig::new().record_frames(false))
                .auth_timeout(None)
                .write_timeout(Duration::from_secs(60))
                .max_queued_bytes(100_000),
        )
        .await;
        let stats = sim.stats();
        let mut ws = RawWebSocket::connect(rt.as_ref(), sim.local_addr(), &[])
            .await
            .unwrap();
        let flood = flood_without_reading(&mut ws, 5_000);
        let overflow = until(20, "the queue bound", || stats.queue_overflows() == 1);
        // The flood may block on full buffers: the bound is reached all the same.
        tokio::select! {
            _ = flood => {}
            _ = overflow => {}
        }
        until(20, "the queue bound", || stats.queue_overflows() == 1).await;
        let open = sim.with_relay(|relay, _| relay.connections().len()).await;
        assert_eq!(open, Some(0), "the service forgot the connection at once");
    });
}
