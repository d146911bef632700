#!/usr/bin/env bash
# Longer fuzzing of faissx-server than the test suite's 20 s per fuzzer: the in-process fuzzer
# (tests/fuzz_server.rs), then the wire fuzzer against the server binary (tests/fuzz_wire.rs),
# each for SECONDS. A crash does not stop a run: it is saved (target/fuzz-crash-<seed>-<n>.bin),
# the fuzzer carries on, and the run fails at the end listing every crash.
#
#   scripts/fuzz.sh [seconds] [seed]      defaults: 600 s each, a seed from the clock
#
# Replay a saved message:
#   FAISSX_FUZZ_REPLAY=target/fuzz-crash-<seed>-<n>.bin \
#     cargo test --release --test fuzz_server -- in_process --nocapture
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
seed=${2:-$(date +%s)}
# FAISS's OpenMP threads would otherwise spin between requests, starving the fuzzer's own.
export OMP_WAIT_POLICY=PASSIVE
export FAISSX_FUZZ_SECONDS=$seconds FAISSX_FUZZ_SEED=$seed FAISSX_FUZZ_KEEP_GOING=1

echo "fuzzing for ${seconds} s per fuzzer with seed ${seed} (rerun: scripts/fuzz.sh ${seconds} ${seed})"
status=0
cargo test --release --test fuzz_server -- in_process_server_survives_fuzzing --nocapture || status=1
cargo test --release --test fuzz_wire -- --nocapture || status=1
exit $status
