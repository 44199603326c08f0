# Sorts a callgrind profile's instructions into areas (TLS, WebSocket framing, JSON, engine,
# driver, runtime, allocation, memory copies) by the function that executes them (self cost),
# so the areas add up to the whole. Also prints the inclusive cost of a few entry points.
# Usage: python profile_areas.py FILE.callgrind CALLS [--json]
import json
import re
import subprocess
import sys

# First match wins; patterns are searched in the demangled "file:function" name.
AREAS = [
    ("allocation (malloc/free)", r"malloc\.c|arena\.c|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_|alloc::raw_vec|__libc_malloc|__libc_free|cfree|realloc"),
    ("memory copy/compare (libc)", r"memmove|memcpy|memcmp|strlen|memchr"),
    ("TLS (rustls, ring)", r"rustls|ring::|ring_core|aesni|gcm|_ghash|ecp_nistz|x25519|webpki|sha256|sha512|chacha|poly1305"),
    ("WebSocket framing (tungstenite)", r"tungstenite|bytes::|BytesMut|memset"),
    ("JSON parse/serialise (serde_json, Value maps)", r"serde_json|serde_core|serde::|btree|KeyClassifier|itoa|ryu|fmt::|core::fmt|write_str"),
    ("engine (relay_rs_core, sans-IO)", r"relay_rs_core::(?!driver)"),
    ("driver (event loop, handles)", r"relay_rs_core::driver|relay_tokio|relay_smol|workload::"),
    ("runtime: tasks, channels, wake-ups, syscalls", r"tokio|mio|futures|async_task|async_io|polling|parking|epoll|futex|syscall|pthread|clone3|__lll|sched_|_dl_|libc\.so|ld-linux|std::sys|std::thread|crossbeam|event_listener|concurrent_queue"),
    ("hashing (HashMap)", r"hash|Hasher|sip"),
]


def self_costs(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    return lines(out)


def inclusive_costs(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    return lines(out)


def lines(out):
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            rows.append((int(m.group(1).replace(",", "")), m.group(2)))
    return rows


def total(path):
    out = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True).stdout
    m = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", out)
    return int(m.group(1).replace(",", ""))


ENTRY_POINTS = [
    ("engine: Engine::handle_frame", "relay_rs_core::engine::Engine::handle_frame"),
    ("engine: frame::parse (JSON to Value)", "relay_rs_core::frame::parse"),
    ("transport: WsTransport::recv", "Transport>::recv"),
    ("tungstenite: FrameCodec::read_frame", "FrameCodec::read_frame"),
    ("rustls: process_new_packets", "process_new_packets"),
    ("event loop: commands (user requests)", "EventLoop::command"),
]


def main():
    path, calls = sys.argv[1], int(sys.argv[2])
    whole = total(path)
    areas = {name: 0 for name, _ in AREAS}
    areas["other"] = 0
    for cost, name in self_costs(path):
        for area, pattern in AREAS:
            if re.search(pattern, name):
                areas[area] += cost
                break
        else:
            areas["other"] += cost
    incl = {}
    rows = inclusive_costs(path)
    for label, needle in ENTRY_POINTS:
        # The outermost (largest) frame of a recursive or re-entered function.
        incl[label] = max((c for c, n in rows if needle in n and "'2" not in n), default=0)
    result = {"total": whole, "calls": calls, "areas": areas, "inclusive": incl}
    if "--json" in sys.argv:
        print(json.dumps(result))
        return
    print(f"{whole:,} instructions, {whole / calls:,.0f} per call")
    for area, cost in sorted(areas.items(), key=lambda kv: -kv[1]):
        print(f"  {area:48} {cost / calls:10,.0f} /call {100 * cost / whole:5.1f}%")
    for label, cost in incl.items():
        print(f"  incl. {label:42} {cost / calls:10,.0f} /call {100 * cost / whole:5.1f}%")


if __name__ == "__main__":
    main()
