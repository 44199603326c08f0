#!/usr/bin/env bash
# Runs every test of the workspace, all features on.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-features
