//! What an app names is reachable from the runtime crate alone: `StreamExt` for the
//! streams of inbound calls and call events, and the types named in the testkit's public
//! signatures (`ConnId`, `SimOutput`). No `futures` or `relay_rs_core` import here.
#![allow(clippy::unwrap_used)]

use relay_tokio::testkit::{ConnId, FakeRelay, MemoryRelay, SimConfig, SimOutput};
use relay_tokio::StreamExt;

#[test]
fn incoming_calls_and_the_testkit_need_nothing_but_relay_tokio() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts(["office"]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    let (offered, conns) = relay.run(async {
        relay.wait_ready().await;
        let offered = relay
            .offer_call("office", "+15550001111", "+15550002222")
            .unwrap();
        let call = incoming.next().await.unwrap();
        assert_eq!(call.id(), &offered);
        let conns: Vec<ConnId> = relay.with_relay(|r: &mut FakeRelay, _| r.connections());
        (offered, conns)
    });
    assert_eq!(conns.len(), 1);
    let _unused: Option<SimOutput> = None;
    assert_eq!(relay.call_state(&offered).as_deref(), Some("ringing"));
}

#[test]
fn plumbing_lives_in_advanced_not_at_the_root() {
    // Compiles only while these are reachable there.
    #[allow(unused_imports)]
    use relay_tokio::advanced::{
        ActionDescriptor, ActionRequest, CallCommand, Event, SimpleControl, TerminalRule,
        EVENT_BUFFER,
    };
    // And the one list of the runtime crates' API keeps them out of the root.
    let api = include_str!("../../relay-core/src/driver/api.rs");
    let (root, advanced) = api.split_once("pub mod advanced").unwrap();
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '_')
            .map(str::to_owned)
            .collect()
    };
    let (root, advanced) = (words(root), words(advanced));
    for name in [
        "ActionDescriptor",
        "TerminalRule",
        "SimpleControl",
        "Event",
        "EVENT_BUFFER",
        "ActionRequest",
        "CallCommand",
    ] {
        assert!(!root.iter().any(|w| w == name), "{name} is at the root");
        assert!(
            advanced.iter().any(|w| w == name),
            "{name} is not in advanced"
        );
    }
}
