//! The README's first command, as a test: the offline demo writes a WAV that holds the
//! simulator's audio sample for sample after the G.711 round trip, on both runtimes.

use examples::demo::{run_offline, DemoOptions};
use relay_tokio::media::{read_wav, test_signal, Encoding};

fn check(
    report_dir: &std::path::Path,
    run: impl FnOnce(DemoOptions) -> examples::demo::DemoReport,
) {
    let out = report_dir.join("stream-demo.wav");
    let options = DemoOptions {
        seconds: 2,
        fast: true,
        out: out.clone(),
        progress: false,
    };
    let report = run(options);
    assert!(report.matches_source, "{report}");
    assert_eq!(report.frames, 100);
    assert_eq!(report.audio_ms, 2000);
    assert!(report.gaps.is_empty());
    assert!(report.stopped);
    assert_eq!(report.custom_parameters["app"], "relay-rs seed example");
    assert_eq!(report.custom_parameters["from"], "+15551230001");

    // The file on disk, read back independently of the demo's own check.
    let wav = read_wav(&std::fs::read(&out).expect("the WAV exists")).expect("a valid WAV");
    assert_eq!((wav.sample_rate, wav.channels), (8000, 1));
    let expected = Encoding::Mulaw.decode(&Encoding::Mulaw.encode(&test_signal(8000, 2000)));
    assert_eq!(wav.samples, expected);
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-demo-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn demo_on_tokio_writes_the_simulators_audio() {
    let dir = scratch("tokio");
    check(&dir, |options| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run_offline(relay_tokio::runtime(), &options))
            .expect("the demo runs")
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_on_smol_writes_the_simulators_audio() {
    let dir = scratch("smol");
    check(&dir, |options| {
        smol::block_on(run_offline(relay_smol::runtime(), &options)).expect("the demo runs")
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_arguments_are_checked() {
    assert_eq!(
        DemoOptions::from_args(["--fast".into(), "--seconds".into(), "5".into()]),
        Ok(DemoOptions {
            seconds: 5,
            fast: true,
            ..DemoOptions::default()
        })
    );
    assert!(DemoOptions::from_args(["--seconds".into(), "0".into()]).is_err());
    assert!(DemoOptions::from_args(["--bogus".into()]).is_err());
}

#[test]
fn the_demo_prints_whole_lines() {
    let dir = scratch("lines");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--fast", "--seconds", "2", "--out"])
        .arg(dir.join("stream-demo.wav"))
        .output()
        .expect("the demo runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\r'), "no carriage return: {text:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("receiving")), "{text}");
    // The app's own line starts a line of its own.
    assert!(
        lines.iter().any(|l| l.starts_with("stream completed")),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
