#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh machine: the Rust components, and, in
# a virtual environment under target/ (never the system interpreter), the official Python SDK
# used by the interop test. Safe to run twice; quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
VENV=target/py-venv
if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p target
    python3 -m venv "$VENV"
fi
if ! cmp -s scripts/requirements.txt "$VENV/.installed" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
    cp scripts/requirements.txt "$VENV/.installed"
fi
cargo fetch --locked 2>/dev/null || cargo fetch
