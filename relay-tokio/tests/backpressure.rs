//! A server that stops reading while it floods the client with pings (issue 17 item 5): the
//! bytes waiting for the socket stay within `max_outgoing_bytes`, and a new request fails at
//! once with the typed `SendQueueFull` instead of queueing without end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_tungstenite::tungstenite::Message;
use futures_util::{SinkExt, StreamExt};
use relay_tokio::Error;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_util::compat::TokioAsyncReadCompatExt;

const LIMIT: usize = 256 * 1024;
/// Pings with ids of 1,000 bytes (under the 1 KiB limit, so each is answered): about 20 MB
/// of answers, more than the loopback socket buffers hold.
const PINGS: usize = 20_000;

#[test]
fn a_server_that_stops_reading_gets_a_bounded_queue_and_requests_fail_fast() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (flooded_tx, flooded) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = async_tungstenite::accept_async(tcp.compat()).await.unwrap();
            let (mut tx, mut rx) = ws.split();
            let connect: Value = loop {
                if let Some(Ok(Message::Text(text))) = rx.next().await {
                    break serde_json::from_str(text.as_str()).unwrap();
                }
            };
            let answer = json!({"jsonrpc": "2.0", "id": connect["id"],
                "result": {"protocol": "p-1", "identity": "i"}});
            tx.send(Message::text(answer.to_string())).await.unwrap();
            // From here on nothing is read.
            let pad = "x".repeat(990);
            for i in 0..PINGS {
                let ping = json!({"jsonrpc": "2.0", "id": format!("{pad}{i:08}"),
                    "method": "signalwire.ping", "params": {}});
                tx.feed(Message::text(ping.to_string())).await.unwrap();
            }
            tx.flush().await.unwrap();
            flooded_tx.send(()).unwrap();
            // Hold the socket open, unread, until the test ends.
            futures_util::future::pending::<()>().await;
            drop(rx);
        });
        let client = relay_tokio::client()
            .project_token("project", "token")
            .host(addr.to_string())
            .allow_insecure_loopback(true)
            .max_outgoing_bytes(LIMIT)
            .build()
            .unwrap();
        let runner = client.clone();
        tokio::spawn(async move { runner.run().await });
        tokio::time::timeout(Duration::from_secs(20), flooded)
            .await
            .expect("the flood to be sent")
            .unwrap();
        // Requests made before the queue is full go out and wait (the server never answers);
        // once it is full, one fails at once with the typed error.
        let refused = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let request = client.execute("test.noop", json!({}));
                match tokio::time::timeout(Duration::from_millis(50), request).await {
                    Ok(Err(Error::SendQueueFull { queued, limit })) => break (queued, limit),
                    Ok(other) => panic!("{other:?}"),
                    Err(_) => continue,
                }
            }
        })
        .await
        .expect("a request refused with SendQueueFull");
        let (queued, limit) = refused;
        assert_eq!(limit, LIMIT);
        assert!(queued <= LIMIT, "{queued} bytes queued");
        client.shutdown();
        server.abort();
    });
}
