#!/usr/bin/env bash
# Builds libfaissx and its header, then builds and runs the C quick start against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release
bash examples/run.sh quickstart
