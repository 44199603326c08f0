//! The `stream_receiver` program, run as a user would: the simulator streams a call's two
//! tracks to it with a bearer token, and the WAV files it writes hold the audio sample for
//! sample.

use relay_tokio::media::{read_wav, test_signal, Encoding};
use relay_tokio::testkit::{AudioSource, Pacing, SimConfig, SimServerBuilder};
use relay_tokio::{ClientBuilder, Codec, StreamOptions, Track};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_stream_receiver");

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-receiver-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Kills the program if the test fails before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_describes_every_flag() {
    let output = Command::new(EXE).arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--listen",
        "--out",
        "--token",
        "--cert",
        "--key",
        "--max-connections",
        "--handshake-timeout",
        "--start-timeout",
        "--idle-timeout",
        "--silence-allowance",
        "--memory-budget-mb",
        "--disk-quota-mb",
        "--max-message-kb",
        "--no-auth",
        "--streams",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let bad = Command::new(EXE).arg("--nope").output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn accepting_anyone_is_an_explicit_and_loud_choice() {
    let refused = Command::new(EXE)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("STREAM_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("no --token") && said.contains("--no-auth"),
        "{said}"
    );

    let out = scratch("no-auth");
    let child = Command::new(EXE)
        .args(["--listen", "127.0.0.1:0", "--no-auth"])
        .arg("--out")
        .arg(&out)
        .env_remove("STREAM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stream_receiver starts");
    let mut running = Running(child);
    let mut banner = String::new();
    BufReader::new(running.0.stdout.take().expect("stdout"))
        .read_line(&mut banner)
        .expect("the banner");
    assert!(banner.contains("no token"), "{banner}");
    let mut warning = String::new();
    BufReader::new(running.0.stderr.take().expect("stderr"))
        .read_line(&mut warning)
        .expect("the warning");
    assert!(
        warning.contains("WARNING: --no-auth: accepting streams from anyone"),
        "{warning}"
    );
}

#[test]
fn writes_one_wav_per_track_and_a_line_per_stream() {
    let out = scratch("both");
    let child = Command::new(EXE)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--token",
            "recv-secret",
            "--streams",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stream_receiver starts");
    let mut running = Running(child);
    let mut stdout = BufReader::new(running.0.stdout.take().expect("stdout"));
    let mut banner = String::new();
    stdout.read_line(&mut banner).expect("the banner");
    let url = banner
        .split_whitespace()
        .find(|word| word.starts_with("ws://"))
        .unwrap_or_else(|| panic!("no url in {banner:?}"))
        .to_owned();
    assert!(banner.contains("bearer token required"), "{banner}");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let runtime = relay_tokio::runtime();
        let sim = SimServerBuilder::new(SimConfig::new().credentials("project", "token"))
            .audio(AudioSource::TestSignal { duration_ms: 1000 })
            .pacing(Pacing::Fast)
            .start(runtime.clone())
            .await
            .expect("simulator");
        let client = ClientBuilder::new(runtime.clone())
            .project_token("project", "token")
            .host(sim.host())
            .allow_insecure_loopback(true)
            .contexts(["office"])
            .build()
            .expect("client");
        client.on_call(move |call| {
            let url = url.clone();
            async move {
                call.answer().await.expect("answer");
                let options = StreamOptions::new()
                    .allow_insecure_loopback(true)
                    .track(Track::Both)
                    .codec(Codec::Pcmu)
                    .authorization_bearer_token("recv-secret")
                    .custom_parameter("app", "receiver-test");
                let stream = call.stream(&url, options).await.expect("stream");
                let _ = stream.wait().await;
            }
        });
        let running_client = client.clone();
        tokio::spawn(async move { running_client.run().await });
        let began = Instant::now();
        while sim
            .offer_call("office", "+15550001111", "+15550002222")
            .await
            .is_none()
        {
            assert!(began.elapsed() < Duration::from_secs(10), "no session");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The program exits by itself after its one stream.
        let began = Instant::now();
        while running.0.try_wait().expect("try_wait").is_none() {
            assert!(began.elapsed() < Duration::from_secs(20), "did not exit");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        client.shutdown();
    });
    assert!(running
        .0
        .try_wait()
        .expect("exited")
        .is_some_and(|s| s.success()));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("stdout");
    let line = rest
        .lines()
        .find(|l| l.starts_with("call="))
        .unwrap_or_else(|| panic!("no stream line in {rest:?}"));
    for part in [
        "tracks=inbound,outbound",
        "ms=1000,1000",
        "gaps=0",
        "stopped=true",
        "errors=0",
        r#"params={"app":"receiver-test"}"#,
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }

    let wav_list = line.split("wav=").nth(1).expect("wav=");
    let files: Vec<&str> = wav_list.split(',').collect();
    assert_eq!(files.len(), 2);
    assert!(files[0].ends_with("-inbound.wav") && files[1].ends_with("-outbound.wav"));
    let signal = test_signal(8000, 1000);
    let round_trip = |samples: &[i16]| Encoding::Mulaw.decode(&Encoding::Mulaw.encode(samples));
    let inbound = read_wav(&std::fs::read(files[0]).expect("inbound WAV")).expect("valid");
    assert_eq!((inbound.sample_rate, inbound.channels), (8000, 1));
    assert_eq!(inbound.samples, round_trip(&signal));
    // The simulator plays the outbound track at a quarter of the level.
    let outbound = read_wav(&std::fs::read(files[1]).expect("outbound WAV")).expect("valid");
    let quieter: Vec<i16> = signal.iter().map(|s| s / 4).collect();
    assert_eq!(outbound.samples, round_trip(&quieter));
    assert_eq!(std::fs::read_dir(&out).expect("out dir").count(), 2);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_stream_past_the_disk_quota_is_closed_with_a_reason() {
    use relay_tokio::media::{MediaChunk, MediaFormat, MediaTrack, StartInfo, StreamMessage};
    let out = scratch("quota");
    let child = Command::new(EXE)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--no-auth",
            "--disk-quota-mb",
            "0",
            "--streams",
            "1",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stream_receiver starts");
    let mut running = Running(child);
    let mut stdout = BufReader::new(running.0.stdout.take().expect("stdout"));
    let mut banner = String::new();
    stdout.read_line(&mut banner).expect("the banner");
    let addr: std::net::SocketAddr = banner
        .split_whitespace()
        .find_map(|word| word.strip_prefix("ws://"))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no url in {banner:?}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let close = rt.block_on(async {
        let runtime = relay_tokio::runtime();
        let mut ws = relay_tokio::testkit::RawWebSocket::connect(runtime.as_ref(), addr, &[])
            .await
            .expect("the upgrade");
        let start = StreamMessage::Start {
            sequence_number: 1,
            start: StartInfo::new(
                "quota",
                "a",
                "c",
                vec![MediaTrack::Inbound],
                MediaFormat::pcmu(),
            ),
        };
        let media = StreamMessage::Media {
            sequence_number: 2,
            media: MediaChunk::new(MediaTrack::Inbound, 1, 0, vec![0xff; 160]),
        };
        ws.send_text(&start.to_json()).await.expect("start sent");
        ws.send_text(&media.to_json()).await.expect("media sent");
        tokio::time::timeout(Duration::from_secs(10), ws.close_frame())
            .await
            .expect("closed in time")
    });
    assert_eq!(
        close,
        Some((1008, "refused: disk quota of 0 bytes used up".to_owned()))
    );
    let began = Instant::now();
    while running.0.try_wait().expect("try_wait").is_none() {
        assert!(began.elapsed() < Duration::from_secs(10), "did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut stderr = String::new();
    running
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(
        stderr.contains("stream 1: closed: disk quota of 0 bytes used up"),
        "{stderr}"
    );
}
