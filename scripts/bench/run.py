# Runs every benchmark and writes BENCHMARKS.md and benchmarks.png: the engine against plain
# parsing (criterion), 10,000 concurrent calls per runtime (the `load` tool), and the same
# workload on relay-rs, SignalWire's Python SDK and the `signalwire-sdk` crate from crates.io.
# Each figure is also given as a ratio to relay-rs on tokio, measured in the same run.
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "target" / "release"
CALLS = int(os.environ.get("BENCH_CALLS", "1000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LOAD_CALLS = int(os.environ.get("BENCH_LOAD_CALLS", "10000"))
SCRATCH = ROOT / "target" / "bench-scratch"
CLIENT_TIMEOUT = int(os.environ.get("BENCH_CLIENT_TIMEOUT", "60"))


def step(text):
    print(f"== {text}", flush=True)


def run(cmd, cwd=ROOT, **kw):
    return subprocess.run(cmd, check=True, cwd=cwd, **kw)


# ---------------------------------------------------------------------------------------------
# The `signalwire-sdk` crate: built in a scratch project (it is not a dependency of ours).

CRATE_MAIN = r'''
use signalwire::relay::client::Client;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let calls: usize = std::env::var("BENCH_CALLS").unwrap().parse().unwrap();
    let began = Instant::now();
    let client = Arc::new(Client::from_env().expect("SIGNALWIRE_* set"));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    client.on_call(move |_call, _event| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    client.connect().expect("connect");
    client.receive(&["office".to_string()]);
    while seen.load(Ordering::SeqCst) < calls {
        if began.elapsed() > Duration::from_secs(120) {
            eprintln!("timed out");
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("{{\"client\":\"signalwire-sdk (crate)\",\"calls\":{},\"wall_s\":{}}}", calls, began.elapsed().as_secs_f64());
    client.disconnect();
}
'''


def build_crate_client():
    project = SCRATCH / "signalwire-sdk-crate"
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / "Cargo.toml").write_text(
        '[package]\nname = "sw-crate-bench"\nversion = "0.0.0"\nedition = "2021"\n\n'
        '[dependencies]\nsignalwire-sdk = { version = "=1.1.2", default-features = false }\n\n'
        "[workspace]\n"
    )
    (project / "src" / "main.rs").write_text(CRATE_MAIN)
    try:
        run(["cargo", "build", "--release", "--quiet"], cwd=project)
    except subprocess.CalledProcessError:
        return None
    return project / "target" / "release" / "sw-crate-bench"


# ---------------------------------------------------------------------------------------------
# One measured client process against a fresh simulator.

def start_sim(tls: bool, calls: int):
    args = [str(RELEASE / "relay_sim"), "--listen", "127.0.0.1:0", "--offer-calls", str(calls),
            "--auto-media", "200"]
    ca = None
    if tls:
        ca = tempfile.NamedTemporaryFile(suffix=".pem", delete=False).name
        args += ["--self-signed-ca", ca]
    sim = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = sim.stdout.readline()
    match = re.search(r"wss?://([0-9.]+:[0-9]+)", line)
    if not match:
        sim.kill()
        raise RuntimeError(f"relay_sim said {line!r}")
    return sim, match.group(1), ca


def measure(name, cmd, tls, mode, calls):
    sim, host, ca = start_sim(tls, calls)
    env = dict(os.environ, SIGNALWIRE_PROJECT_ID="project", SIGNALWIRE_API_TOKEN="token",
               SIGNALWIRE_SPACE=host, BENCH_CALLS=str(calls), BENCH_MODE=mode)
    env.pop("SIGNALWIRE_JWT_TOKEN", None)
    if ca:
        env["SIGNALWIRE_RELAY_CA_FILE"] = ca
    else:
        env["SIGNALWIRE_RELAY_SCHEME"] = "ws"
    began = time.monotonic()
    client = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    # ru_maxrss of a child counts the forking parent's memory too, so the peak is read from
    # the child's own /proc VmHWM (monotonic) while it runs.
    peak_kib = 0
    while True:
        pid, status, usage = os.wait4(client.pid, os.WNOHANG)
        if pid:
            break
        peak_kib = max(peak_kib, vm_hwm_kib(client.pid))
        if time.monotonic() - began > CLIENT_TIMEOUT:
            # Some clients wedge under load; a benchmark must still end.
            client.kill()
            _, status, usage = os.wait4(client.pid, 0)
            sim.terminate()
            sim.wait()
            print(f"   {name}: killed after {CLIENT_TIMEOUT} s without finishing", flush=True)
            return {"hung": True}
        time.sleep(0.005)
    wall = time.monotonic() - began
    out = client.stdout.read().decode()
    err = client.stderr.read().decode()
    sim.terminate()
    sim.wait()
    if status != 0:
        print(f"   {name}: failed: {out.strip()} {err.strip()[-300:]}", flush=True)
        return None
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_kib": peak_kib}


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def compare(mode, clients):
    rows = {}
    for name, cmd, tls in clients:
        samples = []
        for i in range(REPEATS):
            print(f"   {mode}: {name} run {i + 1}/{REPEATS}", flush=True)
            result = measure(name, cmd, tls, mode, CALLS)
            if result and result.get("hung"):
                rows[name] = {"hung": True}
                break
            if result:
                samples.append(result)
        if samples and name not in rows:
            rows[name] = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    return rows


# ---------------------------------------------------------------------------------------------

def engine_ratios():
    out = run(["cargo", "bench", "-p", "relay-core", "--bench", "engine"], capture_output=True,
              text=True).stdout
    return [line.strip() for line in out.splitlines() if "RATIO" in line]


def load(runtime):
    out = run([str(RELEASE / "load"), "--runtime", runtime, "--calls", str(LOAD_CALLS)],
              capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["report"]


def table(rows, baseline):
    base = rows.get(baseline)
    lines = ["| client | wall s | CPU s | peak MiB | wall × | CPU × | memory × |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        if r.get("hung"):
            lines.append(f"| {name} | did not finish in {CLIENT_TIMEOUT} s (killed) | | | | | |")
            continue
        ratio = lambda k: f"{r[k] / base[k]:.2f}" if base and base[k] else "–"
        lines.append(f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_kib'] / 1024:.1f} | "
                     f"{ratio('wall_s')} | {ratio('cpu_s')} | {ratio('peak_kib')} |")
    return "\n".join(lines)


def plot(stream_rows, receive_rows, loads, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    for ax, key, label in ((axes[0], "cpu_s", "CPU seconds"), (axes[1], "peak_kib", "peak memory (MiB)")):
        names = [n for n in stream_rows if not stream_rows[n].get("hung")]
        values = [stream_rows[n][key] / (1024 if key == "peak_kib" else 1) for n in names]
        ax.barh(names, values, color=["#2b7bba" if "relay-rs" in n else "#d95f02" for n in names])
        ax.set_title(f"{CALLS} calls answered and streamed: {label}")
        ax.invert_yaxis()
    ax = axes[2]
    for runtime, report in loads.items():
        lat = sorted(report["latencies_us"])
        ax.plot([v / 1000 for v in lat], [i / max(1, len(lat) - 1) for i in range(len(lat))], label=runtime)
    ax.set_xlabel("server event → user's code (ms)")
    ax.set_ylabel("fraction of calls")
    ax.set_title(f"latency with {LOAD_CALLS:,} concurrent calls")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    step("building (release)")
    run(["cargo", "build", "--release", "-p", "examples", "--bins", "--quiet"])
    step("engine: one signalwire.event frame against parsing it (criterion)")
    ratios = engine_ratios()
    for line in ratios:
        print("   " + line)
    loads = {}
    for runtime in ("tokio", "smol"):
        step(f"load: {LOAD_CALLS:,} concurrent calls on {runtime}")
        loads[runtime] = load(runtime)
    step("the signalwire-sdk crate from crates.io (scratch project)")
    crate = build_crate_client()
    py = [sys.executable, str(ROOT / "scripts" / "bench" / "python_load.py")]
    ours = [("relay-rs (tokio)", [str(RELEASE / "workload"), "tokio"], True),
            ("relay-rs (smol)", [str(RELEASE / "workload"), "smol"], True),
            ("signalwire-sdk (Python)", py, True)]
    step(f"workload: {CALLS} calls answered and streamed")
    stream_rows = compare("stream", ours)
    step(f"workload: {CALLS} calls received")
    receive = ours + [("relay-rs (tokio, ws://)", [str(RELEASE / "workload"), "tokio"], False)]
    if crate:
        receive.append(("signalwire-sdk (crate, ws://)", [str(crate)], False))
    receive_rows = compare("receive", receive)
    step("writing BENCHMARKS.md and benchmarks.png")
    plot(stream_rows, receive_rows, loads, ROOT / "benchmarks.png")
    write_report(ratios, loads, stream_rows, receive_rows, crate is not None)


def write_report(ratios, loads, stream_rows, receive_rows, crate_built):
    load_lines = ["| runtime | calls set up /s | frames /s during set-up | event → callback p50 | p99 | client memory per call |",
                  "|---|---:|---:|---:|---:|---:|"]
    for runtime, r in loads.items():
        load_lines.append(f"| {runtime} | {r['calls_per_s']:,.0f} | {r['setup_frames_per_s']:,.0f} | "
                          f"{r['latency_us_p50'] / 1000:.2f} ms | {r['latency_us_p99'] / 1000:.2f} ms | "
                          f"{r['bytes_per_call'] / 1024:.1f} KiB |")
    machine = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
    text = f"""# Benchmarks

Written by `bash scripts/bench.sh` on {time.strftime('%Y-%m-%d')} ({machine}, {os.cpu_count()} cores).
Every client runs against the same local simulator (`relay_sim`), in its own process, {REPEATS}
runs each, median shown; "×" columns are ratios to relay-rs on tokio measured in the same run.

![benchmarks](benchmarks.png)

## Engine: one `signalwire.event` frame, against only parsing it with serde_json

{chr(10).join('    ' + r for r in ratios)}

## {LOAD_CALLS:,} concurrent calls on one connection, each answered and streaming (`load`)

The simulator runs in a child process; latency is from the moment it writes a call's `ended`
event (paced at 5,000 calls/s) to the moment the user's `wait_for_ended` returns.

{chr(10).join(load_lines)}

## The same workload on each client: {CALLS} calls answered and streamed, events acked

Whole process: wall time (start to exit, including each stream's 200 ms of simulated media),
CPU time (user + system), peak resident memory (VmHWM). All over `wss://` with a test CA.

{table(stream_rows, 'relay-rs (tokio)')}

## {CALLS} calls received (offered and acked, no answer)

{table(receive_rows, 'relay-rs (tokio)')}

The `signalwire-sdk` crate (1.1.2, crates.io) is {'in this table over plain `ws://`, the only scheme it speaks without TLS features' if crate_built else 'missing: it did not build in the scratch project on this machine'}.
It cannot run the streaming workload: its `Call::answer` and `Call::stream` build the
command's params and record them locally (`relay/call.rs`, `execute`) but never send them.
A client still running after 60 s is killed and shown so; in a 200-call smoke run the crate
finished, at 1,000 offered calls it has not returned on this machine.
"""
    (ROOT / "BENCHMARKS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
