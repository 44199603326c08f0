//! A newcomer's connection mistakes on real loopback sockets: `run()` ends with a typed cause
//! whose text says what to change (no tracing subscriber needed), and with a subscriber each
//! failed attempt is one log line and an auth rejection is logged once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{Pacing, SimServerBuilder};
use relay_tokio::{BackoffConfig, ClientEvent, Error, OpenError};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fast_backoff() -> BackoffConfig {
    BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(40),
        jitter: 0.0,
    }
}

/// Log lines written by the subscriber, shared with the test.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Runs `test` on a one-thread tokio runtime with an INFO subscriber writing to the returned
/// lines (the client's tasks run on that thread, so they log there too).
fn with_logs<T, F: std::future::Future<Output = T>>(test: impl FnOnce() -> F) -> (T, Vec<String>) {
    use tracing_subscriber::util::SubscriberInitExt;
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = subscriber.set_default();
    let value = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test());
    (value, lines.text())
}

/// Connect failures reported to `on_event`.
fn count_failures(client: &relay_tokio::Client) -> Arc<Mutex<u32>> {
    let count = Arc::new(Mutex::new(0));
    let sink = count.clone();
    client.on_event(move |event| {
        if matches!(event, ClientEvent::OpenFailed { .. }) {
            *sink.lock().unwrap() += 1;
        }
    });
    count
}

/// The lines a newcomer sees between the client's start and its stop (and the session's
/// close that comes with the stop).
fn noise(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| {
            !l.contains("client starting")
                && !l.contains("client stopped")
                && !l.contains("session closed")
        })
        .collect()
}

#[test]
fn ws_client_against_a_tls_server_is_told_to_use_wss() {
    let ((), lines) = with_logs(|| async {
        let pki = suite::test_pki();
        let tls = relay_rs_core::server::tls_server_config(
            pki.cert_pem.as_bytes(),
            pki.key_pem.as_bytes(),
        )
        .unwrap();
        let sim = SimServerBuilder::new(SimConfig::new())
            .tls(tls)
            .pacing(Pacing::Fast)
            .start(relay_tokio::runtime())
            .await
            .unwrap();
        // The newcomer set SIGNALWIRE_RELAY_SCHEME=ws (here: insecure_loopback) by mistake.
        let client = relay_tokio::client()
            .project_token("project", "token")
            .host(sim.host())
            .allow_insecure_loopback(true)
            .backoff(fast_backoff())
            .build()
            .unwrap();
        let failures = count_failures(&client);
        let result = client.run().await;
        let Err(Error::Open(OpenError::ServerSpeaksTls { addr, .. })) = &result else {
            panic!("expected ServerSpeaksTls, got {result:?}");
        };
        assert_eq!(addr, &sim.host());
        let text = result.unwrap_err().to_string();
        assert!(text.contains("the server speaks TLS"), "{text}");
        assert!(text.contains("use wss://"), "{text}");
        assert!(text.contains("unset SIGNALWIRE_RELAY_SCHEME"), "{text}");
        // A permanent mistake: a few tries, then run() ends.
        assert_eq!(*failures.lock().unwrap(), 3);
    });
    // One line an attempt: two "will retry", one "giving up", each with the hint.
    let noise = noise(&lines);
    assert_eq!(noise.len(), 3, "{lines:#?}");
    assert!(noise.iter().all(|l| l.contains("use wss://")), "{lines:#?}");
}

#[test]
fn refused_port_ends_run_at_the_first_session_timeout_with_the_address() {
    let (failures, lines) = with_logs(|| async {
        let port = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .unwrap()
            .local_addr()
            .unwrap()
            .port(); // closed again at once: nobody listens there
        let client = relay_tokio::client()
            .project_token("project", "token")
            .host(format!("127.0.0.1:{port}"))
            .allow_insecure_loopback(true)
            .backoff(fast_backoff())
            .first_session_timeout(Some(Duration::from_millis(300)))
            .build()
            .unwrap();
        let failures = count_failures(&client);
        let result = client.run().await;
        let Err(Error::Open(OpenError::Tcp { kind, addr, .. })) = &result else {
            panic!("expected a refused TCP connection, got {result:?}");
        };
        assert_eq!(*kind, std::io::ErrorKind::ConnectionRefused);
        assert_eq!(addr, &format!("127.0.0.1:{port}"));
        let error = result.unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!("connection refused at 127.0.0.1:{port}")),
            "{text}"
        );
        assert!(text.contains("SIGNALWIRE_SPACE"), "{text}");
        // `fn main() -> Result<(), Error>` prints Debug: it starts with the same text.
        assert!(format!("{error:?}").starts_with(&text), "{error:?}");
        let failures = *failures.lock().unwrap();
        assert!(failures >= 2, "retried before giving up: {failures}");
        failures
    });
    // One line an attempt, then the give-up line.
    let noise = noise(&lines);
    let retries = noise.iter().filter(|l| l.contains("will retry")).count();
    assert_eq!(retries as u32, failures, "{lines:#?}");
    assert_eq!(noise.len() as u32, failures + 1, "{lines:#?}");
    assert!(noise[noise.len() - 1].contains("giving up"), "{lines:#?}");
    assert!(
        noise.iter().all(|l| l.contains("connection refused at")),
        "{lines:#?}"
    );
}

#[test]
fn bad_credentials_end_run_naming_the_variables_and_each_rejection_logs_once() {
    let ((), lines) = with_logs(|| async {
        let sim = SimServerBuilder::new(SimConfig::new().credentials("project", "right"))
            .pacing(Pacing::Fast)
            .start(relay_tokio::runtime())
            .await
            .unwrap();
        let client = relay_tokio::client()
            .project_token("project", "wrong")
            .host(sim.host())
            .allow_insecure_loopback(true)
            .backoff(fast_backoff())
            .build()
            .unwrap();
        let result = client.run().await;
        let Err(Error::Session(relay_tokio::SessionError::AuthRejected { attempts, .. })) = &result
        else {
            panic!("expected an auth rejection, got {result:?}");
        };
        assert_eq!(*attempts, 3);
        let text = result.unwrap_err().to_string();
        assert!(text.contains("SIGNALWIRE_PROJECT_ID"), "{text}");
        assert!(text.contains("SIGNALWIRE_API_TOKEN"), "{text}");
        assert!(!text.contains("wrong"), "no secret in the error: {text}");
    });
    let rejected = lines
        .iter()
        .filter(|l| l.contains("WARN") && l.contains("authentication rejected"))
        .count();
    assert_eq!(rejected, 3, "one line a rejection: {lines:#?}");
    assert_eq!(noise(&lines).len(), 3, "nothing else: {lines:#?}");
    assert!(
        lines.iter().all(|l| !l.contains("wrong")),
        "no secret in logs"
    );
}
