#!/usr/bin/env bash
# Runs a command, in the current directory, with FAISSX_SERVER pointing at a faissx-server
# started on a free loopback port for its duration: `scripts/with_server.sh examples/run.sh`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp)
"$root/target/release/faissx-server" --bind-address 127.0.0.1 --port 0 --log-level warn >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$log" && break
  sleep 0.1
done
endpoint=$(sed -n 's/^listening on //p' "$log")
[ -n "$endpoint" ] || { cat "$log" >&2; echo "faissx-server did not start" >&2; exit 1; }
echo "faissx-server at $endpoint"
FAISSX_SERVER="$endpoint" "$@"
