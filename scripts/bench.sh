#!/usr/bin/env bash
# Runs every benchmark of issue 12 and writes BENCHMARKS.md and benchmarks.png
# (see scripts/bench/run.py). Sizes: BENCH_CALLS (10000), BENCH_RECEIVE_CALLS (BENCH_CALLS),
# BENCH_REPEATS (3), BENCH_LOAD_CALLS (10000), BENCH_STREAMS (200), BENCH_STREAM_SECONDS (10).
# BENCH_BEFORE_DIR (target/bench-scratch/before): workload and load built from an older commit,
# measured beside the current ones when present; BENCH_BEFORE_COMMIT names their commit. The profile behind "where the time goes":
# scripts/bench/profile.sh and profile_areas.py (its table is scripts/bench/profile.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
target/py-venv/bin/python -m pip install --quiet --disable-pip-version-check \
  matplotlib websockets==17.4
target/py-venv/bin/python scripts/bench/run.py
