#!/usr/bin/env bash
# Runs every test of the workspace, all features on. Installs what the tests need first
# (the official Python SDK for the interop test); that step is quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-features
