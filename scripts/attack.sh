#!/bin/sh
# Replays issue 17's attacks on our own servers (stream receiver, simulator), in-process on
# loopback, and prints one line per case with its figure; exits non-zero on a missed goal.
# Bounded: about 40 s. Usage: scripts/attack.sh [attack_servers flags, see --help]
set -eu
cd "$(dirname "$0")/.."
cargo build --release -q -p examples --bin attack_servers
exec "${CARGO_TARGET_DIR:-target}/release/attack_servers" "$@"
