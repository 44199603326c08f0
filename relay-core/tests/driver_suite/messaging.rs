//! Messaging over a real loopback WebSocket to the simulator, on every runtime: a message
//! sent and followed to `delivered`, one that ends `undelivered` with its reason, and inbound
//! messages to a handler and to the stream. (The simulator reports a state every 0.5 s.)
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::*;
use futures_util::StreamExt;
use relay_rs_core::driver::{Client, Error};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::{SimConfig, UNDELIVERED_NUMBER, UNDELIVERED_REASON};
use relay_rs_core::testkit::{Pacing, SimServer};
use relay_rs_core::{Message, MessageError, MessageState, SendMessage};
use std::sync::Arc;
use std::time::Duration;

const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";

/// One `#[test]` per messaging behaviour for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! messaging_tests {
    ($block_on:path, $runtime:path) => {
        messaging_tests!(@tests $block_on, $runtime;
            a_message_is_delivered,
            an_undelivered_message_carries_the_reason,
            an_inbound_message_reaches_the_handler,
            an_inbound_message_reaches_the_stream,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { messaging::$name($runtime()).await });
            }
        )*
    };
}

/// Waits until the simulator has an authenticated session on an open socket.
async fn session_up(rt: &Arc<dyn ServerRuntime>, sim: &SimServer) {
    within(rt, 10, "the client to authenticate", async {
        loop {
            let up = sim
                .with_relay(|r, _| {
                    r.connections()
                        .into_iter()
                        .any(|conn| r.session_of(conn).is_some())
                })
                .await;
            if up == Some(true) {
                return;
            }
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

async fn running(rt: &Arc<dyn ServerRuntime>, setup: impl FnOnce(&Client)) -> (SimServer, Client) {
    let sim = start_sim(rt, SimConfig::new(), 0, Pacing::Fast).await;
    let client = client_of(rt, &sim).build().expect("client");
    setup(&client);
    drop(spawn_run(rt, &client));
    session_up(rt, &sim).await;
    (sim, client)
}

pub async fn a_message_is_delivered(rt: Arc<dyn ServerRuntime>) {
    let (sim, client) = running(&rt, |_| {}).await;
    let handle = within(
        &rt,
        10,
        "the send",
        client.send_message(SendMessage::new(FROM, TO).body("hello").tags(["t"])),
    )
    .await
    .unwrap();
    let message = within(&rt, 10, "delivery", handle.wait()).await.unwrap();
    assert_eq!(message.state, MessageState::Delivered);
    assert_eq!(message.body.as_deref(), Some("hello"));
    let sent = sim.requests("messaging.send").await;
    assert_eq!(sent.len(), 1);
    let params = &sent[0]["params"];
    assert_eq!(params["from_number"], FROM);
    assert_eq!(params["to_number"], TO);
    assert_eq!(params["body"], "hello");
    assert_eq!(params["tags"], serde_json::json!(["t"]));
    client.shutdown();
}

pub async fn an_undelivered_message_carries_the_reason(rt: Arc<dyn ServerRuntime>) {
    let (_sim, client) = running(&rt, |_| {}).await;
    let handle = within(
        &rt,
        10,
        "the send",
        client.send_message(SendMessage::new(FROM, UNDELIVERED_NUMBER).body("hello")),
    )
    .await
    .unwrap();
    let error = within(&rt, 10, "the end", handle.wait()).await.unwrap_err();
    let Error::Message(MessageError::Undelivered { message_id, reason }) = error else {
        panic!("{error:?}")
    };
    assert_eq!(&message_id, handle.id());
    assert_eq!(reason.as_deref(), Some(UNDELIVERED_REASON));
    assert_eq!(handle.state(), MessageState::Undelivered);
    client.shutdown();
}

pub async fn an_inbound_message_reaches_the_handler(rt: Arc<dyn ServerRuntime>) {
    let (seen_tx, mut seen) = futures_channel::mpsc::unbounded::<Message>();
    let (sim, client) = running(&rt, move |client| {
        client.on_message(move |message| {
            let seen_tx = seen_tx.clone();
            async move {
                let _ = seen_tx.unbounded_send(message);
            }
        })
    })
    .await;
    let id = sim
        .deliver_message(CONTEXT, TO, FROM, "HELP")
        .await
        .unwrap();
    let message = within(&rt, 10, "the handler", seen.next()).await.unwrap();
    assert_eq!(message.id, id);
    assert_eq!(message.body.as_deref(), Some("HELP"));
    assert_eq!(message.state, MessageState::Received);
    client.shutdown();
}

pub async fn an_inbound_message_reaches_the_stream(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 0, Pacing::Fast).await;
    let client = client_of(&rt, &sim).build().expect("client");
    let mut messages = client.messages().unwrap();
    let done = spawn_run(&rt, &client);
    session_up(&rt, &sim).await;
    sim.deliver_message(CONTEXT, TO, FROM, "STOP")
        .await
        .unwrap();
    let message = within(&rt, 10, "the stream", messages.next())
        .await
        .unwrap();
    assert_eq!(message.body.as_deref(), Some("STOP"));
    client.shutdown();
    assert_eq!(within(&rt, 10, "run to end", done).await, Ok(Ok(())));
    assert_eq!(messages.next().await, None);
}
