#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md and benchmarks.png (see scripts/bench/run.py).
# Sizes: BENCH_CALLS (default 1000), BENCH_REPEATS (3), BENCH_LOAD_CALLS (10000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
target/py-venv/bin/python -m pip install --quiet --disable-pip-version-check matplotlib
target/py-venv/bin/python scripts/bench/run.py
