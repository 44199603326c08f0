//! The SMS auto-reply example (`examples::sms_autoreply`) run offline: in memory on virtual
//! time against the simulator (HELP, STOP, another text, a reply whose delivery fails), and
//! once over a real loopback WebSocket on tokio.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod loopback;

use examples::sms_autoreply::{auto_reply, AutoReply, Keyword, HELP_TEXT, STOP_TEXT};
use futures_util::StreamExt;
use relay_tokio::testkit::{
    MemoryRelay, SimConfig, FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL,
};
use relay_tokio::{Error, MessageError, MessageState};
use std::time::Duration;

const CONTEXT: &str = "office";
const OURS: &str = "+15557650002";
const SENDER: &str = "+15551230001";

/// Runs the app in memory on each text of `inbound` (sender, body), one after another;
/// returns each auto-reply and the simulator, for its requests.
fn replies(inbound: &[(&str, &str)]) -> (Vec<AutoReply>, MemoryRelay) {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).seed(5).build().unwrap();
    let (done, mut replies) = futures_channel::mpsc::unbounded();
    let replier = client.clone();
    client.on_message(move |message| {
        let (client, done) = (replier.clone(), done.clone());
        async move {
            let _ = done.unbounded_send(auto_reply(&client, message).await);
        }
    });
    relay.start(&client);
    let results = relay.run(async {
        relay.wait_ready().await;
        let mut results = Vec::new();
        for (from, body) in inbound {
            relay.deliver_message(CONTEXT, from, OURS, body).unwrap();
            results.push(replies.next().await.unwrap());
        }
        results
    });
    client.shutdown();
    (results, relay)
}

#[test]
fn help_stop_and_other_texts_get_their_answers_delivered() {
    let (results, relay) = replies(&[
        (SENDER, "help"),
        (SENDER, "STOP"),
        (SENDER, "Is the shop open on Sunday?"),
    ]);
    let keywords: Vec<&Keyword> = results.iter().map(|r| &r.keyword).collect();
    assert_eq!(keywords, [&Keyword::Help, &Keyword::Stop, &Keyword::Other]);
    assert_eq!(results[0].text, HELP_TEXT);
    assert_eq!(results[1].text, STOP_TEXT);
    assert!(results[2].text.contains("\"Is the shop open on Sunday?\""));
    for result in &results {
        let message = result.result.as_ref().unwrap();
        assert_eq!(message.state, MessageState::Delivered);
    }
    // Each reply goes from the number written to, to the sender, with the text chosen.
    let sent = relay.requests("messaging.send");
    assert_eq!(sent.len(), 3);
    for (request, result) in sent.iter().zip(&results) {
        let params = &request["params"];
        assert_eq!(params["from_number"], OURS);
        assert_eq!(params["to_number"], SENDER);
        assert_eq!(params["body"], result.text.as_str());
        assert_eq!(params["tags"], relay_tokio::json::json!(["autoreply"]));
    }
    // Each reply was followed to its end: queued, initiated, sent, delivered.
    assert!(relay.elapsed() >= MESSAGE_STATE_INTERVAL * 12);
}

#[test]
fn a_reply_that_fails_is_reported_with_the_reason() {
    let (results, _relay) = replies(&[(FAILED_MESSAGE_NUMBER, "HELP")]);
    let Err(Error::Message(MessageError::Failed { reason, .. })) = &results[0].result else {
        panic!("{:?}", results[0].result)
    };
    assert_eq!(reason.as_deref(), Some(FAILED_REASON));
}

#[test]
fn the_autoreply_answers_over_a_real_socket() {
    loopback::on_tokio(async {
        let (sim, client) = loopback::sim_and_client(SimConfig::new(), CONTEXT).await;
        let (done, mut replies) = futures_channel::mpsc::unbounded();
        let replier = client.clone();
        client.on_message(move |message| {
            let (client, done) = (replier.clone(), done.clone());
            async move {
                let _ = done.unbounded_send(auto_reply(&client, message).await);
            }
        });
        let running = client.clone();
        tokio::spawn(async move { running.run().await });
        let reply = tokio::time::timeout(Duration::from_secs(10), async {
            while sim
                .deliver_message(CONTEXT, SENDER, OURS, "HELP")
                .await
                .is_none()
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            replies.next().await.unwrap()
        })
        .await
        .expect("the reply ends within 10 s");
        assert_eq!(reply.keyword, Keyword::Help);
        assert_eq!(reply.result.unwrap().state, MessageState::Delivered);
        let sent = sim.requests("messaging.send").await;
        assert_eq!(sent[0]["params"]["to_number"], SENDER);
        assert_eq!(sent[0]["params"]["body"], HELP_TEXT);
        client.shutdown();
    });
}
