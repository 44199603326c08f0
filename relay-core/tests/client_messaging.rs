//! Messaging through the async client, in memory on virtual time: `send_message` and its
//! handle (delivered, undelivered and failed with the reason, a refusal, a time-out, a
//! shutdown), inbound messages to a handler (a panicking one too) and to the stream.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use relay_rs_core::driver::{Client, ClientEvent, Error};
use relay_rs_core::sim::{
    Fault, SimConfig, FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL,
    UNDELIVERED_NUMBER, UNDELIVERED_REASON,
};
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{CommandError, Message, MessageError, MessageState, RequestError, SendMessage};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONTEXT: &str = "office";
const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";

fn started() -> (MemoryRelay, Client) {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).seed(7).build().unwrap();
    relay.start(&client);
    (relay, client)
}

#[test]
fn a_message_is_accepted_then_delivered() {
    let (relay, client) = started();
    relay.run(async {
        relay.wait_ready().await;
        let handle = client
            .send_message(SendMessage::new(FROM, TO).body("hello").tags(["t"]))
            .await
            .unwrap();
        assert_eq!(handle.state(), MessageState::Queued);
        assert!(!handle.is_done());
        let message = handle.wait().await.unwrap();
        assert_eq!(message.state, MessageState::Delivered);
        assert_eq!(message.id, *handle.id());
        assert_eq!(message.tags, ["t"]);
        assert_eq!(handle.state(), MessageState::Delivered);
        // queued, initiated, sent, delivered: four intervals after the result.
        assert_eq!(relay.elapsed(), MESSAGE_STATE_INTERVAL * 4);
        let sent = relay.requests("messaging.send");
        assert_eq!(sent.len(), 1);
        assert!(sent[0]["params"]["context"]
            .as_str()
            .unwrap()
            .starts_with("signalwire_"));
    });
}

#[test]
fn undelivered_and_failed_are_typed_errors_with_the_reason() {
    for (to, reason, undelivered) in [
        (UNDELIVERED_NUMBER, UNDELIVERED_REASON, true),
        (FAILED_MESSAGE_NUMBER, FAILED_REASON, false),
    ] {
        let (relay, client) = started();
        relay.run(async {
            relay.wait_ready().await;
            let handle = client
                .send_message(SendMessage::new(FROM, to).body("hello"))
                .await
                .unwrap();
            let error = handle.wait().await.unwrap_err();
            let Error::Message(error) = error else {
                panic!("{error:?}")
            };
            assert_eq!(error.reason(), Some(reason));
            assert_eq!(
                matches!(error, MessageError::Undelivered { .. }),
                undelivered
            );
            let last = handle.message();
            assert!(last.state.is_terminal());
            assert_eq!(last.reason.as_deref(), Some(reason));
        });
    }
}

#[test]
fn a_refused_send_is_a_typed_error() {
    let (relay, client) = started();
    relay.run(async {
        relay.wait_ready().await;
        relay.with_relay(|r, _| {
            r.set_fault(Fault::Reply {
                method: "messaging.send".into(),
                code: "422".into(),
            })
        });
        let error = client
            .send_message(SendMessage::new(FROM, TO).body("x"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &error,
                Error::Message(MessageError::Request(RequestError::Failed { code, .. })) if code == "422"
            ),
            "{error:?}"
        );
    });
}

#[test]
fn an_empty_message_is_refused_without_a_frame() {
    let (relay, client) = started();
    relay.run(async {
        relay.wait_ready().await;
        let error = client
            .send_message(SendMessage::new(FROM, TO))
            .await
            .unwrap_err();
        assert_eq!(error, Error::Command(CommandError::EmptyMessage));
        assert!(relay.requests("messaging.send").is_empty());
    });
}

#[test]
fn wait_timeout_gives_up_and_a_later_wait_still_sees_the_end() {
    let (relay, client) = started();
    relay.run(async {
        relay.wait_ready().await;
        let handle = client
            .send_message(SendMessage::new(FROM, TO).body("x"))
            .await
            .unwrap();
        assert_eq!(
            handle.wait_timeout(MESSAGE_STATE_INTERVAL).await,
            Err(Error::WaitTimedOut)
        );
        assert_eq!(handle.wait().await.unwrap().state, MessageState::Delivered);
    });
}

#[test]
fn shutdown_resolves_a_message_in_flight() {
    let (relay, client) = started();
    relay.run(async {
        relay.wait_ready().await;
        let handle = client
            .send_message(SendMessage::new(FROM, TO).body("x"))
            .await
            .unwrap();
        client.shutdown();
        assert_eq!(handle.wait().await, Err(Error::Closed));
        assert_eq!(relay.wait_client_stopped().await, "ok");
        assert_eq!(
            client
                .send_message(SendMessage::new(FROM, TO).body("x"))
                .await
                .unwrap_err(),
            Error::Closed
        );
    });
}

#[test]
fn inbound_messages_go_to_the_handler() {
    let (relay, client) = started();
    let seen = Arc::new(Mutex::new(Vec::<Message>::new()));
    let sink = seen.clone();
    client.on_message(move |message| {
        let sink = sink.clone();
        async move { sink.lock().unwrap().push(message) }
    });
    relay.run(async {
        relay.wait_ready().await;
        let id = relay.deliver_message(CONTEXT, TO, FROM, "HELP").unwrap();
        relay.sleep(Duration::from_millis(10)).await;
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].id, id);
        assert_eq!(seen[0].body.as_deref(), Some("HELP"));
        assert_eq!(seen[0].state, MessageState::Received);
    });
}

#[test]
fn a_panicking_message_handler_is_reported_and_the_client_goes_on() {
    let (relay, client) = started();
    let panics = Arc::new(Mutex::new(Vec::new()));
    let sink = panics.clone();
    client.on_event(move |event| {
        if let ClientEvent::CallbackPanicked { callback, message } = event {
            sink.lock().unwrap().push((*callback, message.clone()));
        }
    });
    client.on_message(|message| async move {
        if message.body.as_deref() == Some("boom") {
            panic!("handler exploded");
        }
    });
    relay.run(async {
        relay.wait_ready().await;
        relay.deliver_message(CONTEXT, TO, FROM, "boom").unwrap();
        relay.sleep(Duration::from_millis(10)).await;
        let handle = client
            .send_message(SendMessage::new(FROM, TO).body("still here"))
            .await
            .unwrap();
        handle.wait().await.unwrap();
    });
    assert_eq!(
        *panics.lock().unwrap(),
        [("on_message", "handler exploded".to_owned())]
    );
}

#[test]
fn inbound_messages_go_to_the_stream_without_a_handler() {
    let (relay, client) = started();
    let mut messages = client.messages().unwrap();
    assert!(client.messages().is_none());
    relay.run(async {
        relay.wait_ready().await;
        relay.deliver_message(CONTEXT, TO, FROM, "one").unwrap();
        relay.deliver_message(CONTEXT, TO, FROM, "two").unwrap();
        let first = messages.next().await.unwrap();
        let second = messages.next().await.unwrap();
        assert_eq!(first.body.as_deref(), Some("one"));
        assert_eq!(second.body.as_deref(), Some("two"));
        assert_eq!(first.from, TO);
        client.shutdown();
        assert_eq!(messages.next().await, None);
    });
}

#[test]
fn on_completed_gets_the_delivered_message_and_the_undelivered_reason() {
    let (relay, client) = started();
    let seen = Arc::new(Mutex::new(Vec::new()));
    relay.run(async {
        relay.wait_ready().await;
        for to in [TO, UNDELIVERED_NUMBER] {
            let handle = client
                .send_message(SendMessage::new(FROM, to).body("hi"))
                .await
                .unwrap();
            let sink = seen.clone();
            handle.on_completed(move |result| sink.lock().unwrap().push(result));
            let _ = handle.wait().await;
        }
        // Callbacks run as tasks of their own: let them.
        relay.sleep(Duration::from_millis(1)).await;
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].as_ref().unwrap().state, MessageState::Delivered);
    match &seen[1] {
        Err(Error::Message(MessageError::Undelivered { reason, .. })) => {
            assert_eq!(reason.as_deref(), Some(UNDELIVERED_REASON))
        }
        other => panic!("{other:?}"),
    }
}
