#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh machine: the Rust components, and the
# official Python SDK used by the interop test. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if [ -f scripts/requirements.txt ]; then
    python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
fi
cargo fetch --locked 2>/dev/null || cargo fetch
