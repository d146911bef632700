#!/usr/bin/env bash
# Builds the Node binding and runs its tests (local, remote, errors, types), faiss-node 0.5.1's own
# suite against it, and the example.
# Assumes `cargo build --release` ran at the repository root (libfaissx.so, faissx-server).
# Needs the npm registry the first time only: `npm install` (typescript, @types/node) and
# faiss_node_suite.sh (faiss-node's tarball, jest; cached in ~/.cache/faissx-node-tests).
# The package as users install it (npm pack, offline install): tests/install/node.sh.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd ../.. && pwd)"

for f in "$ROOT/target/release/libfaissx.so" "$ROOT/target/release/faissx-server" "$ROOT/include/faissx_c.h"; do
  [[ -e "$f" ]] || { echo "run_tests.sh: missing $f (run 'cargo build --release' at the repository root)" >&2; exit 1; }
done

# Remote mode must come only from what each test configures.
unset FAISSX_SERVER FAISSX_API_KEY FAISSX_TENANT_ID

npm install --ignore-scripts --prefer-offline --no-audit --no-fund
npm run build --silent
node --test
./faiss_node_suite.sh
node example.js >/dev/null
echo "example.js: ok"
