//! A handler that blocks its thread must not stop the connection (issue 17 item 8): on a
//! current-thread runtime and on a two-worker one whose workers all sleep in handlers, a
//! server that pings every 200 ms gets every answer within its bound, because the
//! connection runs on a thread of its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use async_tungstenite::tungstenite::Message;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_util::compat::TokioAsyncReadCompatExt;

const PING_EVERY: Duration = Duration::from_millis(200);
const PINGS: usize = 18; // 3.6 s, longer than the handlers sleep
const HANDLER_SLEEP: Duration = Duration::from_secs(3);
/// Far above a loaded machine's scheduling delay, far below the handlers' sleep.
const ANSWER_BOUND: Duration = Duration::from_secs(1);

/// What the server saw: for each ping, how long its answer took (`None`: never came).
type Answers = Vec<Option<Duration>>;

/// A RELAY server on its own thread and runtime: authenticates the client, offers `calls`
/// calls, then pings every 200 ms and times each answer.
fn start_server(calls: usize) -> (SocketAddr, std::sync::mpsc::Receiver<Answers>) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = async_tungstenite::accept_async(tcp.compat()).await.unwrap();
            let (mut tx, mut rx) = ws.split();
            // signalwire.connect
            let connect: Value = loop {
                if let Some(Ok(Message::Text(text))) = rx.next().await {
                    break serde_json::from_str(text.as_str()).unwrap();
                }
            };
            let answer = json!({"jsonrpc": "2.0", "id": connect["id"],
                "result": {"protocol": "p-1", "identity": "i"}});
            tx.send(Message::text(answer.to_string())).await.unwrap();
            for i in 0..calls {
                let offer = json!({"jsonrpc": "2.0", "id": format!("offer-{i}"),
                    "method": "signalwire.event", "params": {"event_type": "calling.call.receive",
                    "params": {"call_id": format!("call-{i}"), "node_id": "n", "context": "office",
                        "call_state": "ringing", "direction": "inbound"}}});
                tx.send(Message::text(offer.to_string())).await.unwrap();
            }
            // Let the handlers start sleeping before the first ping.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = Instant::now();
            let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
            let pinger = async move {
                for i in 0..PINGS {
                    let ping = json!({"jsonrpc": "2.0", "id": format!("ping-{i}"),
                        "method": "signalwire.ping", "params": {}});
                    sent_tx.send(Instant::now()).unwrap();
                    tx.send(Message::text(ping.to_string())).await.unwrap();
                    tokio::time::sleep(PING_EVERY).await;
                }
                tx
            };
            let reader = async {
                let mut answers: Answers = vec![None; PINGS];
                let mut sent_at = Vec::new();
                let deadline = started + PING_EVERY * PINGS as u32 + Duration::from_secs(5);
                while answers.iter().any(Option::is_none) {
                    let frame = tokio::time::timeout_at(deadline.into(), rx.next()).await;
                    let Ok(Some(Ok(Message::Text(text)))) = frame else {
                        break;
                    };
                    while let Ok(at) = sent_rx.try_recv() {
                        sent_at.push(at);
                    }
                    let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                    let Some(i) = frame["id"]
                        .as_str()
                        .and_then(|id| id.strip_prefix("ping-"))
                        .and_then(|n| n.parse::<usize>().ok())
                    else {
                        continue; // acks of the offers, the client's own requests
                    };
                    if let Some(at) = sent_at.get(i) {
                        answers[i] = Some(at.elapsed());
                    }
                }
                answers
            };
            let (_tx, answers) = futures_util::future::join(pinger, reader).await;
            done_tx.send(answers).unwrap();
        });
    });
    (addr_rx.recv().unwrap(), done_rx)
}

fn pings_are_answered_while_handlers_sleep(runtime: tokio::runtime::Runtime, calls: usize) {
    let (addr, done) = start_server(calls);
    runtime.block_on(async move {
        let client = relay_tokio::client()
            .project_token("project", "token")
            .host(addr.to_string())
            .allow_insecure_loopback(true)
            .contexts(["office"])
            .build()
            .unwrap();
        client.on_call(|_call| async move {
            // What a handler must not do, and what a careless one does.
            std::thread::sleep(HANDLER_SLEEP);
        });
        let runner = client.clone();
        tokio::spawn(async move { runner.run().await });
        let answers = tokio::task::spawn_blocking(move || done.recv().unwrap())
            .await
            .unwrap();
        for (i, answer) in answers.iter().enumerate() {
            let took = answer.unwrap_or_else(|| panic!("ping {i} never answered: {answers:?}"));
            assert!(took < ANSWER_BOUND, "ping {i} took {took:?}: {answers:?}");
        }
        client.shutdown();
    });
}

#[test]
fn a_sleeping_handler_on_a_current_thread_runtime_does_not_stop_pings() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    pings_are_answered_while_handlers_sleep(runtime, 1);
}

#[test]
fn handlers_sleeping_on_both_workers_do_not_stop_pings() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    pings_are_answered_while_handlers_sleep(runtime, 2);
}
