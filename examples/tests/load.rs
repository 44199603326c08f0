//! One connection carries 10,000 concurrent calls, each answered and streaming, on each
//! runtime: the `load` tool runs against the simulator in a child process, and every call
//! must end and reach the user's code. Memory per call is printed, not timed or raced.

use std::process::Command;

fn run_load(runtime: &str) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_load"))
        .args(["--runtime", runtime, "--calls", "10000", "--rate", "5000"])
        .output()
        .expect("the load tool runs");
    assert!(
        output.status.success(),
        "load failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(line.trim()).expect("one JSON line")
}

fn check(runtime: &str) {
    let result = run_load(runtime);
    let report = &result["report"];
    assert_eq!(report["ended"], 10_000, "{report}");
    let per_call = report["bytes_per_call"].as_f64().expect("memory per call");
    println!(
        "{runtime}: 10,000 concurrent streaming calls, {:.0} bytes of client memory per call, \
         event-to-callback p50 {:.0} µs p99 {:.0} µs",
        per_call, report["latency_us_p50"], report["latency_us_p99"]
    );
    // Far below what would mean per-call state is leaking or copied per event.
    assert!(per_call < 64.0 * 1024.0, "{per_call} bytes per call");
}

#[test]
fn ten_thousand_concurrent_streams_on_tokio() {
    check("tokio");
}

#[test]
fn ten_thousand_concurrent_streams_on_smol() {
    check("smol");
}
