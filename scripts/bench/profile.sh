#!/usr/bin/env bash
# Profiles the release `workload` under callgrind against a fresh `relay_sim` over wss://.
# Usage: [WORKLOAD=path] scripts/bench/profile.sh MODE(stream|receive) CALLS OUT.callgrind [RUNTIME]
# (WORKLOAD: another build of the workload, e.g. an older commit's, to compare.)
# Instruction counts do not depend on other load on the machine, unlike wall or CPU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=$1 calls=$2 out=$3 runtime=${4:-tokio}
workload=${WORKLOAD:-target/release/workload}
ca=$(mktemp --suffix=.pem)
fifo=$(mktemp -u)
mkfifo "$fifo"
target/release/relay_sim --listen 127.0.0.1:0 --offer-calls "$calls" --auto-media 200 \
  --self-signed-ca "$ca" >"$fifo" &
sim=$!
exec 3<"$fifo"
read -r banner <&3
host=$(grep -oE 'wss://[0-9.]+:[0-9]+' <<<"$banner" | head -1 | sed 's#wss://##')
SIGNALWIRE_PROJECT_ID=project SIGNALWIRE_API_TOKEN=token SIGNALWIRE_SPACE=$host \
  SIGNALWIRE_RELAY_CA_FILE=$ca BENCH_CALLS=$calls BENCH_MODE=$mode BENCH_TIMEOUT=600 \
  valgrind --tool=callgrind --callgrind-out-file="$out" --separate-threads=no \
  "$workload" "$runtime" 2>"$out.log" || { tail "$out.log"; }
kill "$sim" 2>/dev/null || true
wait "$sim" 2>/dev/null || true
rm -f "$fifo" "$ca"
