#!/usr/bin/env python3
"""Which allocation sites hold the heap at its peak, from a dhat-heap.json.

    python3 scripts/bench/heap_sites.py dhat-heap.json [--calls N] [--top K]

Each row: bytes and blocks live at the peak (per call with --calls), and the first frames
of our own code (relay_rs_core, relay_tokio, relay_smol, load) that allocated them.
"""
import argparse
import json
import re

OURS = re.compile(r"relay_rs_core|relay_tokio|relay_smol|load::")


def site(frames, ftbl):
    names = [ftbl[i] for i in frames]
    ours = [n for n in names if OURS.search(n)]
    chosen = ours[:3] or names[1:4]
    return " <- ".join(re.sub(r"^\[?0x[0-9a-f]+\]?:? ?", "", n).split(" (")[0] for n in chosen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--calls", type=int, default=1)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    data = json.load(open(args.file))
    ftbl = data["ftbl"]
    rows = {}
    for pp in data["pps"]:
        key = site(pp["fs"], ftbl)
        b, n = rows.get(key, (0, 0))
        rows[key] = (b + pp.get("gb", 0), n + pp.get("gbk", 0))
    total = sum(b for b, _ in rows.values())
    print(f"live at peak: {total / args.calls:,.0f} bytes per call ({total:,} in all)")
    for key, (b, n) in sorted(rows.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{b / args.calls:9,.0f} B {n / args.calls:6.2f} blocks  {key}")


if __name__ == "__main__":
    main()
