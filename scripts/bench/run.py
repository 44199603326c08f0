# Runs every benchmark of issue 12 and writes BENCHMARKS.md and benchmarks.png: the client's
# CPU, memory and wall time against SignalWire's Python SDK on the answer+stream and the
# receive-only workloads, the engine against a plain `serde_json::Value` parse (criterion),
# relay-rs against a bare async-tungstenite client, memory per call and latency with 10,000
# concurrent calls (`load`), and the stream receiver against a Python `websockets` one.
# Every goal is a ratio of two figures measured in this one run.
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "target" / "release"
CALLS = int(os.environ.get("BENCH_CALLS", "10000"))
RECEIVE_CALLS = int(os.environ.get("BENCH_RECEIVE_CALLS", str(CALLS)))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
LOAD_CALLS = int(os.environ.get("BENCH_LOAD_CALLS", "10000"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "200"))
STREAM_SECONDS = int(os.environ.get("BENCH_STREAM_SECONDS", "10"))
CLIENT_TIMEOUT = int(os.environ.get("BENCH_CLIENT_TIMEOUT", "300"))
SCRATCH = ROOT / "target" / "bench-scratch"
# Binaries built from the commit before this work (workload, load), measured beside the current
# ones when present; otherwise the goals stated against "today" use the figure it recorded.
BEFORE_DIR = Path(os.environ.get("BENCH_BEFORE_DIR", SCRATCH / "before"))
# Which commit the "before" binaries were built from, for the report.
BEFORE_COMMIT = os.environ.get("BENCH_BEFORE_COMMIT", "an earlier commit")
LATENCY_P99_BEFORE_MS = 5.46
PACKETS_PER_STREAM_SECOND = 50  # 20 ms packets
MEDIA_STREAMS = int(os.environ.get("BENCH_MEDIA_STREAMS", "500"))
MEDIA_SECONDS = int(os.environ.get("BENCH_MEDIA_SECONDS", "10"))


def step(text):
    print(f"== {text}", flush=True)


def run(cmd, cwd=ROOT, **kw):
    return subprocess.run(cmd, check=True, cwd=cwd, **kw)


# ---------------------------------------------------------------------------------------------
# One measured client process against a fresh simulator.

def start_sim(calls):
    """A fresh simulator over wss:// with a throwaway test CA; (process, host:port, CA file)."""
    ca = tempfile.NamedTemporaryFile(suffix=".pem", delete=False).name
    args = [str(RELEASE / "relay_sim"), "--listen", "127.0.0.1:0", "--offer-calls", str(calls),
            "--auto-media", "200", "--self-signed-ca", ca]
    sim = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = sim.stdout.readline()
    match = re.search(r"wss://([0-9.]+:[0-9]+)", line)
    if not match:
        sim.kill()
        raise RuntimeError(f"relay_sim said {line!r}")
    return sim, match.group(1), ca


def watch(name, cmd, env):
    """Runs one client process to its end: wall, CPU (user + system from wait4), peak RSS."""
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
            client.kill()
            os.wait4(client.pid, 0)
            print(f"   {name}: killed after {CLIENT_TIMEOUT} s without finishing", flush=True)
            return None
        time.sleep(0.005)
    wall = time.monotonic() - began
    out = client.stdout.read().decode()
    err = client.stderr.read().decode()
    if status != 0:
        print(f"   {name}: failed: {out.strip()[-300:]} {err.strip()[-300:]}", flush=True)
        return None
    reported = {}
    for line in reversed(out.strip().splitlines()):
        try:
            reported = json.loads(line)
            break
        except ValueError:
            continue
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_kib": peak_kib,
            "own_wall_s": reported.get("wall_s", wall)}


def measure(name, cmd, mode, calls):
    sim, host, ca = start_sim(calls)
    env = dict(os.environ, SIGNALWIRE_PROJECT_ID="project", SIGNALWIRE_API_TOKEN="token",
               SIGNALWIRE_SPACE=host, SIGNALWIRE_RELAY_CA_FILE=ca, BENCH_CALLS=str(calls),
               BENCH_MODE=mode, BENCH_TIMEOUT=str(CLIENT_TIMEOUT))
    env.pop("SIGNALWIRE_JWT_TOKEN", None)
    env.pop("SIGNALWIRE_RELAY_SCHEME", None)
    try:
        return watch(name, cmd, env)
    finally:
        sim.terminate()
        sim.wait()
        os.unlink(ca)


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def compare(mode, clients, calls):
    """Each client REPEATS times, interleaved so that a busy moment of the machine falls on
    every client alike; the median of each figure."""
    samples = {name: [] for name, _ in clients}
    for i in range(REPEATS):
        for name, cmd in clients:
            began = time.monotonic()
            result = measure(name, cmd, mode, calls)
            if result:
                samples[name].append(result)
                print(f"   {mode} {calls:,} calls, run {i + 1}/{REPEATS}: {name}: "
                      f"CPU {result['cpu_s']:.2f} s, peak {result['peak_kib'] / 1024:.1f} MiB, "
                      f"wall {time.monotonic() - began:.1f} s", flush=True)
    rows = {}
    for name, runs in samples.items():
        if runs:
            rows[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rows[name]["per_call_us"] = rows[name]["cpu_s"] / calls * 1e6
    return rows


# ---------------------------------------------------------------------------------------------

def engine_ratio():
    out = run(["cargo", "bench", "-p", "relay-rs-core", "--bench", "engine"], capture_output=True,
              text=True).stdout
    lines = [line.strip() for line in out.splitlines() if "RATIO" in line]
    found = {}
    for line in lines:
        m = re.search(r"RATIO (\w+): engine (\d+) ns/frame vs parse-only (\d+) ns/frame", line)
        if m:
            found[m.group(1)] = {"engine_ns": int(m.group(2)), "parse_ns": int(m.group(3))}
    return lines, found


def load(runtime, binary=RELEASE / "load"):
    out = run([str(binary), "--runtime", runtime, "--calls", str(LOAD_CALLS)],
              capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["report"]


def load_all():
    """`load` on each runtime (and the code before this work, when built), REPEATS times
    interleaved; the median of each figure, and the latencies of the run with the median p99."""
    variants = [("tokio", "tokio", RELEASE / "load"), ("smol", "smol", RELEASE / "load")]
    if (BEFORE_DIR / "load").exists():
        variants.insert(1, ("tokio, before", "tokio", BEFORE_DIR / "load"))
    runs = {name: [] for name, _, _ in variants}
    for i in range(REPEATS):
        for name, runtime, binary in variants:
            report = load(runtime, binary)
            runs[name].append(report)
            print(f"   load {LOAD_CALLS:,} calls, run {i + 1}/{REPEATS}: {name}: "
                  f"{report['bytes_per_call'] / 1024:.2f} KiB per call, p50 "
                  f"{report['latency_us_p50'] / 1000:.2f} ms, p99 {report['latency_us_p99'] / 1000:.2f} ms",
                  flush=True)
    loads = {}
    for name, reports in runs.items():
        by_p99 = sorted(reports, key=lambda r: r["latency_us_p99"])
        merged = dict(by_p99[len(by_p99) // 2])
        for key in ("bytes_per_call", "anon_bytes_per_call", "latency_us_p50", "latency_us_p99",
                    "calls_per_s", "setup_frames_per_s"):
            if all(key in r for r in reports):  # an older build's load has no anon figure
                merged[key] = statistics.median(r[key] for r in reports)
        loads[name] = merged
    return loads


def heap_profile():
    """`load` built with dhat counting every allocation (feature `dhat-heap`): live heap bytes
    per streaming call, and the allocation sites that hold them (heap_sites.py)."""
    run(["cargo", "build", "--release", "-p", "examples", "--features", "dhat-heap", "--bin", "load", "--quiet"])
    work = SCRATCH / "heap"
    work.mkdir(parents=True, exist_ok=True)
    binary = work / "load-dhat"
    shutil.copy(RELEASE / "load", binary)
    # Back to the plain `load` the other steps time: dhat's counting slows every allocation.
    run(["cargo", "build", "--release", "-p", "examples", "--bin", "load", "--quiet"])
    out = run([str(binary), "--runtime", "tokio", "--calls", str(LOAD_CALLS), "--heap-profile", "dhat-heap.json"],
              cwd=work,
              capture_output=True, text=True).stdout
    report = json.loads(out.strip().splitlines()[-1])["report"]
    sites = run([sys.executable, str(ROOT / "scripts" / "bench" / "heap_sites.py"),
                 str(work / "dhat-heap.json"), "--calls", str(LOAD_CALLS), "--top", "12"],
                capture_output=True, text=True).stdout
    return report["heap_bytes_per_call"], sites


def receiver(name, cmd):
    """Starts a receiver (which prints its ws:// url), floods it with STREAMS concurrent
    streams of STREAM_SECONDS each, and measures the receiver process."""
    out_dir = SCRATCH / "streams" / name.split()[0]
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    began = time.monotonic()
    server = subprocess.Popen([c.replace("{out}", str(out_dir)) for c in cmd], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    match = re.search(r"ws://[0-9.]+:[0-9]+", line)
    if not match:
        server.kill()
        raise RuntimeError(f"{name} said {line!r}")
    run([str(RELEASE / "stream_flood"), match.group(0), str(STREAMS), str(STREAM_SECONDS)])
    peak_kib = 0
    while True:
        pid, status, usage = os.wait4(server.pid, os.WNOHANG)
        if pid:
            break
        peak_kib = max(peak_kib, vm_hwm_kib(server.pid))
        if time.monotonic() - began > CLIENT_TIMEOUT:
            server.kill()
            os.wait4(server.pid, 0)
            return None
        time.sleep(0.005)
    files = list(out_dir.glob("*.wav"))
    shutil.rmtree(out_dir, ignore_errors=True)
    if status != 0 or len(files) < STREAMS:
        print(f"   {name}: failed ({len(files)} of {STREAMS} WAV files)", flush=True)
        return None
    messages = STREAMS * STREAM_SECONDS * PACKETS_PER_STREAM_SECOND
    cpu = usage.ru_utime + usage.ru_stime
    return {"cpu_s": cpu, "peak_kib": peak_kib, "messages": messages,
            "us_per_message": cpu / messages * 1e6,
            "streams_per_core": messages / cpu / PACKETS_PER_STREAM_SECOND}


def receivers():
    clients = [("relay-rs stream_receiver", [str(RELEASE / "stream_receiver"), "--listen", "127.0.0.1:0",
                                              "--out", "{out}", "--streams", str(STREAMS), "--quiet", "--no-auth"]),
               ("Python websockets", [sys.executable, str(ROOT / "scripts" / "bench" / "python_receiver.py"),
                                      "{out}", str(STREAMS)])]
    samples = {name: [] for name, _ in clients}
    for i in range(REPEATS):
        for name, cmd in clients:
            result = receiver(name, cmd)
            if result:
                samples[name].append(result)
                print(f"   receiver run {i + 1}/{REPEATS}: {name}: {result['us_per_message']:.1f} µs "
                      f"per message, {result['streams_per_core']:,.0f} streams per core", flush=True)
    return {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            for name, runs in samples.items() if runs}


# ---------------------------------------------------------------------------------------------
# Two-way media (issue 19): `media_flood` drives MEDIA_STREAMS real-time 20 ms PCMU streams
# through an echo agent, our media session on one core or `python_media_echo.py`.

def media_echo():
    flood = [str(RELEASE / "media_flood"), "--streams", str(MEDIA_STREAMS), "--seconds", str(MEDIA_SECONDS)]
    samples = {"relay-rs media session": [], "Python websockets": []}
    for i in range(REPEATS):
        out = run(flood, capture_output=True, text=True).stdout
        samples["relay-rs media session"].append(json.loads(out.strip().splitlines()[-1]))
        echo = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "bench" / "python_media_echo.py")],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            match = re.search(r"(ws://[0-9.]+:[0-9]+) pid ([0-9]+)", echo.stdout.readline())
            if match:
                out = run(flood + ["--connect", match.group(1), "--server-pid", match.group(2)],
                          capture_output=True, text=True).stdout
                samples["Python websockets"].append(json.loads(out.strip().splitlines()[-1]))
        finally:
            echo.kill()
            echo.wait()
        for name, runs in samples.items():
            if len(runs) == i + 1:
                r = runs[-1]
                print(f"   media run {i + 1}/{REPEATS}: {name}: {r['cpu_us_per_stream_second']:.0f} µs CPU per "
                      f"stream-second, {r['streams_per_core']:,.0f} streams per core, echo p50 "
                      f"{r['echo_p50_ms']:.2f} ms, p99 {r['echo_p99_ms']:.2f} ms", flush=True)
    keys = ("cpu_us_per_stream_second", "streams_per_core", "echo_p50_ms", "echo_p99_ms")
    return {name: {k: statistics.median(r[k] for r in runs) for k in keys}
            for name, runs in samples.items() if runs}


# ---------------------------------------------------------------------------------------------

def table(rows, baseline):
    base = rows.get(baseline)
    lines = ["| client | wall s | CPU s | CPU µs per call | peak MiB | CPU × | memory × |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        ratio = lambda k: f"{r[k] / base[k]:.2f}" if base and base[k] else "–"
        lines.append(f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['per_call_us']:.1f} | "
                     f"{r['peak_kib'] / 1024:.1f} | {ratio('cpu_s')} | {ratio('peak_kib')} |")
    return "\n".join(lines)


def goals(stream_rows, receive_rows, engine, e2e, loads, recv, media=None):
    """One row per target of issue 16 (after issue 12's goals): (goal, figure, baseline, ratio, verdict, ratio value, target)."""
    rows = []
    ours, py = "relay-rs (tokio)", "signalwire-sdk (Python)"

    def at_least(value, target):
        return ("met" if value >= target else f"not met: {value / target:.0%} of the goal"), value, target

    def at_most(value, target):
        return ("met" if value <= target else f"not met: {value / target:.2f}× the goal"), value, target

    if ours in stream_rows and py in stream_rows:
        o, p = stream_rows[ours], stream_rows[py]
        verdict = at_least(p["cpu_s"] / o["cpu_s"], 20)
        rows.append(("1. CPU per call, answer+stream (≥ 20× less than Python)",
                     f"{o['per_call_us']:.1f} µs", f"{p['per_call_us']:.1f} µs", f"{verdict[1]:.1f}×") + verdict)
        verdict = at_least(p["peak_kib"] / o["peak_kib"], 10)
        rows.append(("2a. peak memory, answer+stream (≤ 1/10 of Python)",
                     f"{o['peak_kib'] / 1024:.1f} MiB", f"{p['peak_kib'] / 1024:.1f} MiB", f"{verdict[1]:.1f}×") + verdict)
    if ours in receive_rows and py in receive_rows:
        o, p = receive_rows[ours], receive_rows[py]
        verdict = at_least(p["cpu_s"] / o["cpu_s"], 30)
        rows.append(("1b. CPU per call, receive only (≥ 30× less than Python)",
                     f"{o['per_call_us']:.1f} µs", f"{p['per_call_us']:.1f} µs", f"{verdict[1]:.1f}×") + verdict)
    before = loads.get("tokio, before")
    if "tokio" in loads:
        kib = loads["tokio"]["bytes_per_call"] / 1024
        verdict = at_most(kib / 1.5, 1.0)
        was = f"; before: {before['bytes_per_call'] / 1024:.2f} KiB" if before else ""
        heap = loads["tokio"].get("heap_bytes_per_call")
        anon = loads["tokio"].get("anon_bytes_per_call")
        parts = ([f"without code pages {anon / 1024:.2f} KiB"] if anon else []) + \
            ([f"live heap {heap / 1024:.2f} KiB"] if heap else [])
        live = f" ({'; '.join(parts)})" if parts else ""
        rows.append((f"2b. client memory per active call, {LOAD_CALLS:,} streaming (< 1.5 KiB)",
                     f"{kib:.2f} KiB{live}", f"1.5 KiB (goal){was}", f"{verdict[1]:.2f}×") + verdict)
    stream = engine.get("stream_event")
    if stream:
        verdict = at_most(stream["engine_ns"] / stream["parse_ns"], 0.5)
        rows.append(("3. engine per `calling.call.stream` event (≤ 0.5× a `Value` parse)",
                     f"{stream['engine_ns']} ns", f"{stream['parse_ns']} ns (parse only)",
                     f"{verdict[1]:.2f}×") + verdict)
    if e2e:
        o, b = e2e["relay-rs (tokio)"], e2e["bare async-tungstenite"]
        verdict = at_most(o["cpu_s"] / b["cpu_s"], 1.5)
        rows.append(("4. client CPU per event over loopback (≤ 1.5× a bare client that only acks)",
                     f"{o['cpu_s'] / RECEIVE_CALLS * 1e6:.1f} µs", f"{b['cpu_s'] / RECEIVE_CALLS * 1e6:.1f} µs",
                     f"{verdict[1]:.2f}×") + verdict)
    if "relay-rs stream_receiver" in recv and "Python websockets" in recv:
        o, p = recv["relay-rs stream_receiver"], recv["Python websockets"]
        ratio = o["streams_per_core"] / p["streams_per_core"]
        rows.append(("5. 20 ms PCMU streams one core takes (decode once; vs Python `websockets`)",
                     f"{o['streams_per_core']:,.0f}", f"{p['streams_per_core']:,.0f}", f"{ratio:.1f}×",
                     "reported (no target)", ratio, None))
    if "tokio" in loads:
        r = loads["tokio"]
        p99 = r["latency_us_p99"] / 1000
        if before:
            was_p99 = before["latency_us_p99"] / 1000
            baseline = (f"{was_p99:.2f} ms (p50 {before['latency_us_p50'] / 1000:.2f} ms): the code "
                        "before this work, same run")
        else:
            was_p99 = LATENCY_P99_BEFORE_MS
            baseline = f"{was_p99} ms (recorded before this work)"
        verdict = at_most(p99 / was_p99, 1.0)
        rows.append((f"6. event → callback latency, {LOAD_CALLS:,} calls: p99 (p50 {r['latency_us_p50'] / 1000:.2f} ms)",
                     f"{p99:.2f} ms", baseline, f"{verdict[1]:.2f}×") + verdict)
    o, p = (media or {}).get("relay-rs media session"), (media or {}).get("Python websockets")
    if o:
        base = f"{p['streams_per_core']:,.0f} (Python `websockets`)" if p else "–"
        verdict = at_least(o["streams_per_core"], 1000)
        rows.append(("7. two-way 20 ms PCMU streams per core through the media session (≥ 1,000)",
                     f"{o['streams_per_core']:,.0f}", base, f"{verdict[1] / 1000:.2f}×") + verdict)
        base = f"{p['echo_p99_ms']:.2f} ms (Python `websockets`)" if p else "–"
        verdict = at_most(o["echo_p99_ms"], 2.0)
        rows.append((f"7b. added latency p99 at {MEDIA_STREAMS} streams, echo round trip (< 2 ms; p50 {o['echo_p50_ms']:.2f} ms)",
                     f"{o['echo_p99_ms']:.2f} ms", base, f"{verdict[1] / 2.0:.2f}×") + verdict)
    return sorted(rows, key=lambda row: row[0].split(".")[0])


def plot(goal_rows, loads, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(15, 5.2), gridspec_kw={"width_ratios": [1.6, 1]})
    ax = axes[0]
    labels, values, colours = [], [], []
    for goal, _, _, _, verdict, value, target in goal_rows:
        if target is None:
            continue
        # Normalised so that 1.0 is the goal and more is better, whatever the goal's direction.
        better = value / target if goal.split(".")[0] in ("1", "1b", "2a", "5", "7") else target / value
        labels.append(goal.split(" (")[0])
        values.append(better)
        colours.append("#1b9e77" if verdict == "met" else "#d95f02")
    ax.barh(labels, values, color=colours)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("figure ÷ goal (≥ 1 is met; log scale)")
    ax.set_title("issue 16's targets, each a ratio measured in this run")
    ax.invert_yaxis()
    ax = axes[1]
    for runtime, report in loads.items():
        lat = sorted(report["latencies_us"])
        ax.plot([v / 1000 for v in lat], [i / max(1, len(lat) - 1) for i in range(len(lat))], label=runtime)
    if "tokio, before" not in loads:
        ax.axvline(LATENCY_P99_BEFORE_MS, color="grey", linestyle=":", label="p99 recorded before")
    ax.set_xlabel("server event → user's code (ms)")
    ax.set_ylabel("fraction of calls")
    ax.set_title(f"latency with {LOAD_CALLS:,} concurrent calls")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    kernel = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
    load_avg = os.getloadavg()
    return f"{os.cpu_count()} cores, {model}, {kernel}; load average at the start {load_avg[0]:.2f}"


def main():
    began = time.monotonic()
    where = machine()
    step("building (release)")
    run(["cargo", "build", "--release", "-p", "examples", "--bins", "--quiet"])
    py = [sys.executable, str(ROOT / "scripts" / "bench" / "python_load.py")]
    ours = [("relay-rs (tokio)", [str(RELEASE / "workload"), "tokio"]),
            ("relay-rs (smol)", [str(RELEASE / "workload"), "smol"]),
            ("signalwire-sdk (Python)", py)]
    if (BEFORE_DIR / "workload").exists():
        ours.insert(2, ("relay-rs (tokio), before", [str(BEFORE_DIR / "workload"), "tokio"]))
    step(f"1/6 workload: {CALLS:,} calls answered and streamed, {REPEATS} runs each")
    stream_rows = compare("stream", ours, CALLS)
    step(f"2/6 workload: {RECEIVE_CALLS:,} calls received, {REPEATS} runs each")
    receive_rows = compare("receive", ours, RECEIVE_CALLS)
    step(f"3/6 end to end: relay-rs (receive) against a bare async-tungstenite client, {RECEIVE_CALLS:,} calls")
    e2e_rows = compare("receive", [("relay-rs (tokio)", [str(RELEASE / "workload"), "tokio"]),
                                   ("bare async-tungstenite", [str(RELEASE / "bare_client")])], RECEIVE_CALLS)
    for r in e2e_rows.values():
        r["events_per_s"] = RECEIVE_CALLS / r["own_wall_s"]
        r["cpu_per_event_us"] = r["cpu_s"] / RECEIVE_CALLS * 1e6
    if len(e2e_rows) < 2:
        e2e_rows = None
    step("4/6 engine: one signalwire.event frame against parsing it (criterion)")
    ratio_lines, engine = engine_ratio()
    for line in ratio_lines:
        print("   " + line, flush=True)
    step(f"5/6 load: {LOAD_CALLS:,} concurrent calls, {REPEATS} runs each")
    loads = load_all()
    heap_per_call, heap_sites = heap_profile()
    if "tokio" in loads:
        loads["tokio"]["heap_bytes_per_call"] = heap_per_call
    print(f"   live heap per streaming call (dhat): {heap_per_call:,.0f} bytes", flush=True)
    step(f"6/6 stream receivers: {STREAMS} concurrent PCMU streams of {STREAM_SECONDS} s, {REPEATS} runs each")
    recv = receivers()
    step(f"7/7 two-way media: {MEDIA_STREAMS} real-time PCMU echo streams of {MEDIA_SECONDS} s, {REPEATS} runs each")
    media = media_echo()
    step("writing BENCHMARKS.md and benchmarks.png")
    goal_rows = goals(stream_rows, receive_rows, engine, e2e_rows, loads, recv, media)
    plot(goal_rows, loads, ROOT / "benchmarks.png")
    write_report(where, goal_rows, ratio_lines, loads, stream_rows, receive_rows, e2e_rows, recv,
                 heap_sites, time.monotonic() - began)


def write_report(where, goal_rows, ratio_lines, loads, stream_rows, receive_rows, e2e, recv, heap_sites,
                 took):
    goal_lines = ["| goal | figure | baseline | ratio | met? |", "|---|---:|---:|---:|---|"]
    for goal, figure, baseline, ratio, verdict, _, _ in goal_rows:
        goal_lines.append(f"| {goal} | {figure} | {baseline} | {ratio} | {verdict} |")
    load_lines = ["| runtime | calls set up /s | frames /s during set-up | event → callback p50 | p99 | client memory per call |",
                  "|---|---:|---:|---:|---:|---:|"]
    for runtime, r in loads.items():
        load_lines.append(f"| {runtime} | {r['calls_per_s']:,.0f} | {r['setup_frames_per_s']:,.0f} | "
                          f"{r['latency_us_p50'] / 1000:.2f} ms | {r['latency_us_p99'] / 1000:.2f} ms | "
                          f"{r['bytes_per_call'] / 1024:.2f} KiB |")
    e2e_lines = ["| client | events /s | CPU µs per event | peak MiB |", "|---|---:|---:|---:|"]
    for name, r in (e2e or {}).items():
        e2e_lines.append(f"| {name} | {r['events_per_s']:,.0f} | {r['cpu_per_event_us']:.1f} | {r['peak_kib'] / 1024:.1f} |")
    recv_lines = ["| receiver | CPU s | µs per message | streams per core | peak MiB |", "|---|---:|---:|---:|---:|"]
    for name, r in recv.items():
        recv_lines.append(f"| {name} | {r['cpu_s']:.2f} | {r['us_per_message']:.1f} | "
                          f"{r['streams_per_core']:,.0f} | {r['peak_kib'] / 1024:.1f} |")
    profile = ROOT / "scripts" / "bench" / "profile.md"
    text = f"""# Benchmarks

Written by `bash scripts/bench.sh` on {time.strftime('%Y-%m-%d')} in {took / 60:.0f} min.
Machine: {where}. The machine is shared: other work ran beside the benchmark, so absolute
times move from run to run; every ratio below compares two figures measured in this same run,
interleaved run by run, median of {REPEATS}.

![benchmarks](benchmarks.png)

## Targets (issue 16)

{chr(10).join(goal_lines)}

How each figure is taken:
1. `workload` (relay-rs, tokio on one thread) and `scripts/bench/python_load.py` (SignalWire's
   Python SDK) against `relay_sim --offer-calls N --auto-media 200` over `wss://` with a test CA:
   CPU is user + system time of the client process (`wait4`), divided by the calls.
2. Peak memory is the client's VmHWM; memory per active call is the `load` tool's RSS growth
   with {LOAD_CALLS:,} concurrent streaming calls, divided by the calls (the goal's figure); beside
   it the same growth of anonymous memory alone (`RssAnon`: without the ~1 MiB of code pages the
   set-up runs for the first time, a fixed cost, not one of each call); the live heap beside
   it is the same run built with dhat (`--features dhat-heap`), which counts bytes allocated
   and not freed, without the allocator's own overhead and free lists.
3. Criterion (`relay-core/benches/engine.rs`): the engine handling one `calling.call.stream`
   event frame (route, state, ack, event out) against `serde_json::from_str::<Value>` of it.
4. `bare_client` (authenticates, acks every frame, counts `calling.call.receive`) against
   `workload` in receive mode, same simulator set-up; events/s from each client's own clock
   (connect to last call). The simulator offers the calls as fast as it can, so it paces
   both clients; CPU per event is in the table below.
5. `stream_flood` plays {STREAMS} concurrent 20 ms PCMU streams of {STREAM_SECONDS} s as fast as the
   socket takes them into the receiver (`stream_receiver`, or `scripts/bench/python_receiver.py`
   with `websockets`, µ-law decoded once by `audioop`, placed, one WAV per stream);
   streams per core = messages per CPU second of the receiver ÷ 50.
6. `load`: from the simulator writing a call's `ended` event to the user's `wait_for_ended`
   returning. "before" rows are binaries built from an earlier commit ({BEFORE_COMMIT}) when
   `{BEFORE_DIR.relative_to(ROOT) if BEFORE_DIR.is_relative_to(ROOT) else BEFORE_DIR}` holds them, run in this same run.
7. `media_flood --streams {MEDIA_STREAMS} --seconds {MEDIA_SECONDS}`: that many two-way 20 ms PCMU streams
   paced in real time against an echo agent (each frame decoded and sent back): the media session
   on its own current-thread runtime (one core), or `scripts/bench/python_media_echo.py`. CPU is
   the server thread's scheduler time (`/proc/.../schedstat`) over the run; streams per core =
   stream-seconds per CPU second. The latency is the round trip from a frame leaving the load
   generator to its echo arriving, so it also holds loopback and the generator's own delay.

## {CALLS:,} calls answered and streamed, events acked

{table(stream_rows, 'relay-rs (tokio)')}

## {RECEIVE_CALLS:,} calls received (offered and acked, no answer)

{table(receive_rows, 'relay-rs (tokio)')}

## End to end against a bare async-tungstenite client ({RECEIVE_CALLS:,} calls received)

{chr(10).join(e2e_lines)}

## Engine: one `signalwire.event` frame, against only parsing it with serde_json

{chr(10).join('    ' + r for r in ratio_lines)}

## {LOAD_CALLS:,} concurrent calls on one connection, each answered and streaming (`load`)

{chr(10).join(load_lines)}

### Where a streaming call's memory is (dhat, live heap at the peak, per call)

`load --features dhat-heap` counts every allocation of the client process; the sites below
hold the heap at its peak (the first frames of our code that allocated), divided by the calls.
The handler's own future and task (`load::drive`, `spawn`) are the app's, not the library's.

```
{heap_sites.strip()}
```

## Stream receivers ({STREAMS} concurrent streams × {STREAM_SECONDS} s of 20 ms PCMU)

{chr(10).join(recv_lines)}

{profile.read_text() if profile.exists() else ''}"""
    (ROOT / "BENCHMARKS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    if sys.argv[1:] == ["media"]:
        # This section alone (release binaries already built): `python3 scripts/bench/run.py media`.
        media = media_echo()
        print(json.dumps(media, indent=1))
        for row in goals({}, {}, {}, None, {}, {}, media):
            print(" | ".join(str(x) for x in row[:5]))
    else:
        main()
