#!/usr/bin/env bash
# Runs every test of the workspace, all features on, after installing what the tests need
# (scripts/setup.sh: the official Python SDK in target/py-venv for the interop test). Ends
# with one summary line; exits non-zero when any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p target
log=target/test-output.log
status=0
cargo test --workspace --all-features --no-fail-fast 2>&1 | tee "$log" || status=$?
awk '/test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
     END { printf "== summary: %d passed, %d failed, %d ignored (full log: '"$log"')\n", p, f, g }' "$log"
if [ "$status" -ne 0 ]; then
    echo "== some tests failed (exit $status)" >&2
fi
exit "$status"
