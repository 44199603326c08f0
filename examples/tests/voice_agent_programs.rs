//! The two programs together as a user runs them: `relay_sim --caller SCRIPT --caller-out DIR`
//! offers a call, `voice_agent` (live mode, the simulator's banner in its environment)
//! answers and connects it to its own media listener; the simulated caller speaks once, the
//! agent replies once, and the simulator writes the caller's stereo recording.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use relay_rs_core::media::read_wav;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// Starts `bin` with `args` and `env`; its stdout lines arrive on the receiver.
fn start(bin: &str, args: &[&str], env: &[(String, String)]) -> (Running, mpsc::Receiver<String>) {
    let mut command = Command::new(bin);
    for (name, _) in std::env::vars() {
        if name.starts_with("SIGNALWIRE_") || name.starts_with("VOICE_AGENT_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .args(args)
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), lines)
}

/// Waits for a line that starts with `prefix`.
fn line_starting(lines: &mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line starting {prefix:?}"));
        if line.starts_with(prefix) {
            return line;
        }
    }
}

#[test]
fn relay_sim_plays_the_caller_to_the_voice_agent_program() {
    let out = std::env::temp_dir().join(format!("voice-agent-programs-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let (_sim, sim_lines) = start(
        env!("CARGO_BIN_EXE_relay_sim"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--offer-every",
            "1",
            "--caller",
            "silence:200,speak:400,silence:700,tail:100",
            "--caller-out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let mut env = Vec::new();
    while !env
        .iter()
        .any(|(name, _): &(String, String)| name == "SIGNALWIRE_CONTEXTS")
    {
        let line = sim_lines.recv_timeout(WAIT).expect("the banner");
        if let Some((name, value)) = line
            .strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
        {
            env.push((name.to_owned(), value.trim_matches('\'').to_owned()));
        }
    }
    // A free loopback port for the agent's media listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("ws://{listen}");
    let (_agent, agent_lines) = start(
        env!("CARGO_BIN_EXE_voice_agent"),
        &[
            "--listen",
            &listen,
            "--media-url",
            &url,
            "--insecure-loopback",
        ],
        &env,
    );
    assert_eq!(
        line_starting(&agent_lines, "turns "),
        "turns 1, barge-ins 0"
    );
    let recorded = line_starting(&sim_lines, "caller 1: ");
    assert!(recorded.contains("caller-1.wav"), "{recorded}");
    let wav = read_wav(&std::fs::read(out.join("caller-1.wav")).unwrap()).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (8000, 2));
    std::fs::remove_dir_all(&out).unwrap();
}
