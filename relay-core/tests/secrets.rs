//! Secrets never show in `Debug` output: API tokens, JWTs, authorization state, bearer tokens,
//! whatever object holds them and whatever state the session is in.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::{Credentials, EngineConfig, StreamOptions};
use serde_json::json;

const TOKEN: &str = "pt-SECRET-token-1";
const JWT: &str = "eyJ-SECRET-jwt";
const AUTH_STATE: &str = "SECRET-authorization-state";
const BEARER: &str = "SECRET-bearer";

fn assert_clean(what: &str, debug: String) {
    for secret in [TOKEN, JWT, AUTH_STATE, BEARER] {
        assert!(!debug.contains(secret), "{what} leaks {secret}: {debug}");
    }
}

#[test]
fn credentials_and_config_hide_tokens() {
    assert_clean(
        "token credentials",
        format!("{:?}", Credentials::token("p", TOKEN)),
    );
    assert_clean("jwt credentials", format!("{:?}", Credentials::jwt(JWT)));
    assert_clean(
        "engine config",
        format!("{:?}", EngineConfig::new(Credentials::token("p", TOKEN))),
    );
    assert_clean(
        "sim config",
        format!("{:?}", SimConfig::new().credentials("p", TOKEN).jwt(JWT)),
    );
    let options = StreamOptions::new().authorization_bearer_token(BEARER);
    assert_clean("stream options", format!("{options:?}"));
}

#[test]
fn an_engine_mid_session_hides_token_and_authorization_state() {
    let mut client =
        Client::new(EngineConfig::new(Credentials::token("p", TOKEN)).contexts(["office"]));
    client.engine.open(client.now);
    client.transmits();
    client.engine.handle_connected(client.now);
    // Debug while the connect frame (which carries the token) is pending.
    assert_clean("authenticating engine", format!("{:?}", client.engine));
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    client.event(
        "ev-1",
        "signalwire.authorization.state",
        json!({"authorization_state": AUTH_STATE}),
    );
    assert!(client.engine.has_authorization_state());
    assert_clean("ready engine", format!("{:?}", client.engine));
    let events = client.drain_events();
    assert_clean("events", format!("{events:?}"));
}

#[cfg(feature = "driver")]
#[test]
fn client_builder_hides_credentials() {
    struct NoRuntime;
    impl relay_rs_core::driver::Runtime for NoRuntime {
        fn connect_tcp(
            &self,
            _: &str,
            _: u16,
        ) -> futures_util::future::BoxFuture<
            'static,
            std::io::Result<Box<dyn relay_rs_core::driver::ByteStream>>,
        > {
            Box::pin(async { Err(std::io::Error::other("no network here")) })
        }
        fn sleep(&self, _: std::time::Duration) -> futures_util::future::BoxFuture<'static, ()> {
            Box::pin(async {})
        }
        fn spawn(&self, _: futures_util::future::BoxFuture<'static, ()>) {}
    }
    let builder = relay_rs_core::driver::ClientBuilder::new(std::sync::Arc::new(NoRuntime))
        .project_token("p", TOKEN);
    assert_clean("client builder", format!("{builder:?}"));
    let client = builder.jwt(JWT).build().unwrap();
    assert_clean("client", format!("{client:?}"));
}
