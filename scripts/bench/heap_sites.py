#!/usr/bin/env python3
"""Which allocation sites hold the heap at its peak, from a dhat-heap.json.

    python3 scripts/bench/heap_sites.py dhat-heap.json [--calls N] [--top K]

Each row: bytes and blocks live at the peak (per call with --calls), and the first frames
of our own code (relay_rs_core, relay_tokio, relay_smol, load) that allocated them.
With --active, what is live when the profile was written (`load` writes it once every call
streams); with --total, every block allocated until then (the allocations per call).
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
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--active", action="store_true", help="live when the profile was written")
    which.add_argument("--total", action="store_true", help="allocated until the profile was written")
    args = ap.parse_args()
    bytes_key, blocks_key, label = ("gb", "gbk", "live at peak")
    if args.active:
        bytes_key, blocks_key, label = ("eb", "ebk", "live when written")
    elif args.total:
        bytes_key, blocks_key, label = ("tb", "tbk", "allocated until written")
    data = json.load(open(args.file))
    ftbl = data["ftbl"]
    rows = {}
    for pp in data["pps"]:
        key = site(pp["fs"], ftbl)
        b, n = rows.get(key, (0, 0))
        rows[key] = (b + pp.get(bytes_key, 0), n + pp.get(blocks_key, 0))
    total = sum(b for b, _ in rows.values())
    blocks = sum(n for _, n in rows.values())
    print(f"{label}: {total / args.calls:,.0f} bytes, {blocks / args.calls:,.2f} blocks per call "
          f"({total:,} bytes in all)")
    order = (lambda kv: -kv[1][1]) if args.total else (lambda kv: -kv[1][0])
    for key, (b, n) in sorted(rows.items(), key=order)[: args.top]:
        print(f"{b / args.calls:9,.0f} B {n / args.calls:6.2f} blocks  {key}")


if __name__ == "__main__":
    main()
