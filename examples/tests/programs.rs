//! The programs as a user meets them: `relay_sim`'s banner pasted into a client's environment
//! makes the README's client authenticate and take an offered call (over `ws://` and over
//! `wss://` with the simulator's own CA), and every binary explains itself with `--help`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use relay_tokio::advanced::Event;
use relay_tokio::ClientEvent;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Every wait in this file is bounded by this.
const WAIT: Duration = Duration::from_secs(20);

/// A child process killed and reaped when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `relay_sim` on a free loopback port and reads its banner up to the last `export`
/// line: the variables as a shell would hold them after pasting.
fn start_sim(args: &[&str]) -> (Running, HashMap<String, String>, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay_sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay_sim starts");
    let stdout = child.stdout.take().unwrap();
    let sim = Running(child);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut vars = HashMap::new();
    while !vars.contains_key("SIGNALWIRE_CONTEXTS") {
        let line = lines
            .recv_timeout(WAIT)
            .expect("relay_sim prints its banner");
        if let Some((name, value)) = line
            .strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
        {
            vars.insert(name.to_owned(), unquote(value));
        }
    }
    (sim, vars, lines)
}

/// What a POSIX shell makes of one word the banner printed (bare or single-quoted).
fn unquote(word: &str) -> String {
    match word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
        Some(inner) => inner.replace("'\\''", "'"),
        None => word.to_owned(),
    }
}

/// The README's client, built from `vars`: waits until it is ready and an offered call
/// reaches its handler; returns the call's caller.
fn connect_and_take_a_call(vars: HashMap<String, String>) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let client = relay_tokio::client()
            .contexts(["default"])
            .from_lookup(|name| vars.get(name).cloned())
            .expect("the banner has every variable")
            .build()
            .expect("the banner's variables make a valid client");
        let (ready_tx, mut ready) = futures_channel::mpsc::unbounded();
        client.on_event(move |event| {
            if let ClientEvent::Engine(Event::Ready { .. }) = event {
                let _ = ready_tx.unbounded_send(());
            }
        });
        let (call_tx, mut calls) = futures_channel::mpsc::unbounded();
        client.on_call(move |call| {
            let _ = call_tx.unbounded_send(call.from_number().unwrap_or_default().to_owned());
            async {}
        });
        let runner = tokio::spawn({
            let client = client.clone();
            async move { client.run().await }
        });
        use futures_util::StreamExt;
        tokio::time::timeout(WAIT, ready.next())
            .await
            .expect("the client authenticates")
            .unwrap();
        let from = tokio::time::timeout(WAIT, calls.next())
            .await
            .expect("the offered call reaches the handler")
            .unwrap();
        client.shutdown();
        tokio::time::timeout(WAIT, runner)
            .await
            .expect("the client stops")
            .unwrap()
            .expect("run ends cleanly after shutdown");
        from
    })
}

#[test]
fn the_banner_makes_a_ws_client_connect() {
    let (_sim, vars, lines) = start_sim(&[
        "--offer-calls",
        "1",
        "--project",
        "banner-project",
        "--token",
        "it's a secret",
    ]);
    assert_eq!(vars["SIGNALWIRE_PROJECT_ID"], "banner-project");
    assert_eq!(vars["SIGNALWIRE_API_TOKEN"], "it's a secret");
    assert_eq!(vars["SIGNALWIRE_RELAY_SCHEME"], "ws");
    assert_eq!(vars["SIGNALWIRE_CONTEXTS"], "office");
    assert!(!vars.contains_key("SIGNALWIRE_RELAY_CA_FILE"));
    assert!(vars["SIGNALWIRE_SPACE"].starts_with("127.0.0.1:"));

    let from = connect_and_take_a_call(vars);
    assert!(from.starts_with("+1555"), "{from}");
    let offered = (0..10)
        .filter_map(|_| lines.recv_timeout(WAIT).ok())
        .find(|line| line.starts_with("offered"));
    assert_eq!(offered.as_deref(), Some("offered 1 calls"));
}

#[test]
fn the_banner_makes_a_wss_client_trust_the_simulators_ca() {
    let ca = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("relay_sim-ca-{}.pem", std::process::id()));
    let (_sim, vars, _lines) = start_sim(&[
        "--offer-calls",
        "1",
        "--context",
        "sales",
        "--self-signed-ca",
        ca.to_str().unwrap(),
    ]);
    assert!(!vars.contains_key("SIGNALWIRE_RELAY_SCHEME"));
    assert_eq!(
        std::path::Path::new(&vars["SIGNALWIRE_RELAY_CA_FILE"]),
        ca.canonicalize().unwrap()
    );
    assert_eq!(vars["SIGNALWIRE_CONTEXTS"], "sales");
    connect_and_take_a_call(vars);
    let _ = std::fs::remove_file(ca);
}

fn run(bin: &str, args: &[&str]) -> Output {
    // No SIGNALWIRE_* from the developer's shell: a program must not need them to explain
    // itself or to refuse a bad flag.
    let mut command = Command::new(bin);
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNALWIRE_") || name.starts_with("STREAM_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the program runs")
}

const LIVE: &[&str] = &[
    "--insecure-loopback",
    "SIGNALWIRE_PROJECT_ID",
    "SIGNALWIRE_API_TOKEN",
    "SIGNALWIRE_JWT_TOKEN",
    "SIGNALWIRE_SPACE",
    "SIGNALWIRE_RELAY_SCHEME",
    "SIGNALWIRE_RELAY_CA_FILE",
    "SIGNALWIRE_CONTEXTS",
    "STREAM_URL",
    "STREAM_TOKEN",
    "STREAM_SECONDS",
    "RUST_LOG",
];

/// What the app saw on a call of a simulator scripted from its command line.
#[derive(Debug, PartialEq)]
struct Scripted {
    digits: Option<String>,
    dial_failed: bool,
    ended_by_caller: bool,
}

#[test]
fn relay_sim_scripts_the_caller_and_the_dialed_numbers_from_its_flags() {
    let (_sim, vars, _lines) = start_sim(&[
        "--offer-calls",
        "1",
        "--caller-digits",
        "7",
        "--caller-hangup-after",
        "2",
        "--dialed",
        "+15557770001=busy",
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seen = rt.block_on(async move {
        let client = relay_tokio::client()
            .contexts(["default"])
            .from_lookup(|name| vars.get(name).cloned())
            .expect("the banner has every variable")
            .build()
            .expect("a client");
        let (tx, mut seen) = futures_channel::mpsc::unbounded();
        let dialer = client.clone();
        client.on_call(move |call| {
            let tx = tx.clone();
            let dialer = dialer.clone();
            async move {
                call.answer().await.expect("answer");
                let collected = call
                    .collect(examples::ivr::menu_collect())
                    .await
                    .expect("collect starts")
                    .wait()
                    .await
                    .expect("collect ends");
                let plan = relay_tokio::DialPlan::single(
                    relay_tokio::Device::phone()
                        .from("+15550001111")
                        .to("+15557770001"),
                );
                let dial_failed = dialer.dial(plan).await.is_err();
                let ended =
                    tokio::time::timeout(WAIT, call.wait_for_state(relay_tokio::CallState::Ended))
                        .await;
                let _ = tx.unbounded_send(Scripted {
                    digits: collected.digits().map(str::to_owned),
                    dial_failed,
                    ended_by_caller: matches!(ended, Ok(Ok(()))),
                });
            }
        });
        let runner = tokio::spawn({
            let client = client.clone();
            async move { client.run().await }
        });
        use futures_util::StreamExt;
        let seen = tokio::time::timeout(WAIT, seen.next())
            .await
            .expect("the call ran its course")
            .unwrap();
        client.shutdown();
        let _ = tokio::time::timeout(WAIT, runner).await;
        seen
    });
    assert_eq!(
        seen,
        Scripted {
            digits: Some("7".into()),
            dial_failed: true,
            ended_by_caller: true,
        }
    );
}

/// Each binary with the flags and variables its help must name.
fn programs() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    vec![
        (
            "demo",
            env!("CARGO_BIN_EXE_demo"),
            [&["--seconds", "--fast", "--out", "--quiet"][..], LIVE].concat(),
        ),
        (
            "relay_sim",
            env!("CARGO_BIN_EXE_relay_sim"),
            vec![
                "--listen",
                "--cert",
                "--key",
                "--self-signed-ca",
                "--project",
                "--token",
                "--context",
                "--offer-every",
                "--offer-calls",
                "--auto-media",
                "--seconds",
                "--wav",
                "--fast",
                "--media-ca",
                "--caller-digits",
                "--caller-says",
                "--caller-silent",
                "--caller-hangup-after",
                "--dialed",
                "--caller",
                "--caller-out",
                "RUST_LOG",
            ],
        ),
        (
            "stream_tokio",
            env!("CARGO_BIN_EXE_stream_tokio"),
            LIVE.to_vec(),
        ),
        (
            "stream_smol",
            env!("CARGO_BIN_EXE_stream_smol"),
            LIVE.to_vec(),
        ),
        (
            "stream_blocking",
            env!("CARGO_BIN_EXE_stream_blocking"),
            LIVE.to_vec(),
        ),
        (
            "ivr",
            env!("CARGO_BIN_EXE_ivr"),
            vec![
                "--dial",
                "--from",
                "SIGNALWIRE_PROJECT_ID",
                "SIGNALWIRE_API_TOKEN",
                "SIGNALWIRE_JWT_TOKEN",
                "SIGNALWIRE_SPACE",
                "SIGNALWIRE_RELAY_SCHEME",
                "SIGNALWIRE_RELAY_CA_FILE",
                "SIGNALWIRE_CONTEXTS",
                "RUST_LOG",
            ],
        ),
        (
            "sms_autoreply",
            env!("CARGO_BIN_EXE_sms_autoreply"),
            vec![
                "SIGNALWIRE_PROJECT_ID",
                "SIGNALWIRE_API_TOKEN",
                "SIGNALWIRE_JWT_TOKEN",
                "SIGNALWIRE_SPACE",
                "SIGNALWIRE_RELAY_SCHEME",
                "SIGNALWIRE_RELAY_CA_FILE",
                "SIGNALWIRE_CONTEXTS",
                "RUST_LOG",
            ],
        ),
        (
            "call_centre",
            env!("CARGO_BIN_EXE_call_centre"),
            vec![
                "--from",
                "--sales",
                "--support",
                "--ring",
                "SIGNALWIRE_PROJECT_ID",
                "SIGNALWIRE_API_TOKEN",
                "SIGNALWIRE_SPACE",
                "SIGNALWIRE_CONTEXTS",
                "RUST_LOG",
            ],
        ),
        (
            "load",
            env!("CARGO_BIN_EXE_load"),
            vec![
                "--runtime",
                "--calls",
                "--rate",
                "--heap-profile",
                "--serve",
                "RUST_LOG",
            ],
        ),
        (
            "bare_client",
            env!("CARGO_BIN_EXE_bare_client"),
            vec![
                "SIGNALWIRE_SPACE",
                "SIGNALWIRE_PROJECT_ID",
                "SIGNALWIRE_API_TOKEN",
                "SIGNALWIRE_RELAY_SCHEME",
                "BENCH_CALLS",
            ],
        ),
        (
            "stream_flood",
            env!("CARGO_BIN_EXE_stream_flood"),
            vec!["URL", "STREAMS", "SECONDS"],
        ),
        (
            "stream_receiver",
            env!("CARGO_BIN_EXE_stream_receiver"),
            vec!["--listen", "--out"],
        ),
        (
            "attack_client",
            env!("CARGO_BIN_EXE_attack_client"),
            vec![
                "--only",
                "--scale",
                "--case",
                "quadratic-peers",
                "blocking-handler",
            ],
        ),
        (
            "workload",
            env!("CARGO_BIN_EXE_workload"),
            vec![
                "RUNTIME",
                "SIGNALWIRE_SPACE",
                "BENCH_CALLS",
                "BENCH_MODE",
                "BENCH_TIMEOUT",
                "RUST_LOG",
            ],
        ),
        (
            "media_server_hyper",
            env!("CARGO_BIN_EXE_media_server_hyper"),
            vec!["--listen", "--token", "MEDIA_TOKEN", "RUST_LOG"],
        ),
        (
            "attack_servers",
            env!("CARGO_BIN_EXE_attack_servers"),
            vec![
                "--streams",
                "--idle",
                "--slowloris",
                "--flood-connections",
                "--only",
            ],
        ),
        (
            "media_flood",
            env!("CARGO_BIN_EXE_media_flood"),
            vec![
                "--streams",
                "--seconds",
                "--connect",
                "--server-pid",
                "RUST_LOG",
            ],
        ),
        (
            "voice_agent",
            env!("CARGO_BIN_EXE_voice_agent"),
            [
                &["--out", "--codec", "--listen", "--media-url", "--quiet"][..],
                &["--insecure-loopback"][..],
                &["VOICE_AGENT_MEDIA_URL", "VOICE_AGENT_MEDIA_TOKEN"][..],
                &LIVE[1..8],
                &["RUST_LOG"][..],
            ]
            .concat(),
        ),
    ]
}

#[test]
fn every_binary_is_in_the_list_of_programs() {
    let bins = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let listed: Vec<&str> = programs().iter().map(|(name, _, _)| *name).collect();
    let mut found = 0;
    for entry in std::fs::read_dir(bins).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert!(
            listed.contains(&name.as_str()),
            "{name} is not checked for --help and unknown flags: add it to programs()"
        );
        found += 1;
    }
    assert_eq!(found, listed.len(), "a listed program has no source");
}

#[test]
fn every_program_answers_help_with_its_flags_and_variables() {
    for (name, bin, words) in programs() {
        let long = run(bin, &["--help"]);
        assert_eq!(long.status.code(), Some(0), "{name} --help");
        let text = String::from_utf8(long.stdout).unwrap();
        assert!(
            text.to_lowercase().starts_with(&format!("usage: {name}")),
            "{text}"
        );
        for word in words.iter().chain(&["--help"]) {
            assert!(
                text.contains(word),
                "{name} --help does not name {word}:\n{text}"
            );
        }
        let short = run(bin, &["-h"]);
        assert_eq!(short.status.code(), Some(0), "{name} -h");
        assert_eq!(String::from_utf8(short.stdout).unwrap(), text, "{name} -h");
    }
}

#[test]
fn every_program_rejects_an_unknown_flag_with_exit_code_2() {
    for (name, bin, _) in programs() {
        let out = run(bin, &["--no-such-flag"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("\"--no-such-flag\"") && err.contains("--help"),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }
}
