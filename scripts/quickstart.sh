#!/usr/bin/env bash
# Builds libfaissx, its header and faissx-server, then runs the C quick start twice: in-process,
# and unchanged against a faissx-server this script starts on loopback — the outputs must match.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --workspace
bash examples/run.sh quickstart

echo
echo "== the same binary against a faissx-server (FAISSX_SERVER set, no code change)"
log=$(mktemp)
target/release/faissx-server --bind-address 127.0.0.1 --port 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$log" && break
  sleep 0.1
done
endpoint=$(sed -n 's/^listening on //p' "$log")
[ -n "$endpoint" ] || { cat "$log" >&2; echo "faissx-server did not start" >&2; exit 1; }
echo "faissx-server at $endpoint"
target/examples/quickstart >"$log.local"
FAISSX_SERVER="$endpoint" target/examples/quickstart | tee "$log.remote"
if diff -q "$log.local" "$log.remote" >/dev/null; then
  echo "remote results are identical to local ones"
else
  diff "$log.local" "$log.remote" >&2
  exit 1
fi
rm -f "$log.local" "$log.remote"
