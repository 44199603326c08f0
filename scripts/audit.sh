#!/usr/bin/env bash
# Dependency checks with cargo-deny (installed from crates.io): licenses, bans and sources
# always; advisories too when the RustSec database can be fetched (it lives on GitHub).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deny >/dev/null || cargo install --locked cargo-deny
cargo deny check licenses bans sources
if ! cargo deny check advisories; then
    echo "advisories not checked: the RustSec database could not be fetched from here" >&2
fi
