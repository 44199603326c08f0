#!/bin/sh
# Replays issue 17's attacks, in-process on loopback, bounded in time (about a minute in all):
# `attack_client` runs a hostile RELAY server against our client, `attack_servers` hostile
# peers against our stream receiver and simulator. Each prints one line per case with its
# figure and `ok` or `FAIL`; the script exits non-zero when any goal is missed.
# Usage: scripts/attack.sh [client|servers] (both by default); each program takes --help.
set -eu
cd "$(dirname "$0")/.."
cargo build --release -q -p examples --bin attack_client --bin attack_servers
bin="${CARGO_TARGET_DIR:-target}/release"
which="${1:-both}"
status=0
if [ "$which" = both ] || [ "$which" = client ]; then
    "$bin/attack_client" || status=1
fi
if [ "$which" = both ] || [ "$which" = servers ]; then
    "$bin/attack_servers" || status=1
fi
exit "$status"
