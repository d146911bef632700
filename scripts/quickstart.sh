#!/usr/bin/env bash
# Builds libfaissx, its header and faissx-server, then runs the C quick start twice: in-process,
# and unchanged against a faissx-server started on loopback — the outputs must match.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --workspace
bash examples/run.sh quickstart

echo
echo "== the same binary against a faissx-server (FAISSX_SERVER set, no code change)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
target/examples/quickstart >"$out/local"
bash scripts/with_server.sh sh -c 'target/examples/quickstart | tee "$0"' "$out/remote"
diff "$out/local" "$out/remote" && echo "remote results are identical to local ones"
