#!/usr/bin/env bash
# Every check faissx has, in the order a failure is cheapest to find: generated files,
# formatting and lints, the build, then the Rust, ABI, C and example suites.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests and examples run many short FAISS calls on a shared 2-core machine: OpenMP threads that
# spin while waiting for work starve the other test processes. Timings are not asserted anywhere.
export OMP_WAIT_POLICY=PASSIVE

step() { printf '\n==> %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "generated FAISS declarations are current (tools/gen_ffi.py --verify)"
python3 tools/gen_ffi.py --verify
python3 tools/gen_abi_decls.py --verify
python3 tools/gen_compat.py --verify

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --release --workspace --all-targets -- -D warnings

step "build"
cargo build --release --workspace

step "header drift: include/faissx_c.h equals a fresh generation"
git diff --exit-code -- include/faissx_c.h || {
  echo "include/faissx_c.h differs from what build.rs generates: commit the regenerated header" >&2
  exit 1
}

step "every inventory row is exported as faissx_* by libfaissx.so"
bash scripts/check_exports.sh

step "Rust tests (incl. parity with the faiss crate, Python interop, ABI check)"
cargo test --release --workspace

step "C tests under AddressSanitizer"
bash tests/c/run.sh

step "C examples, in-process"
bash examples/run.sh

step "C examples, unchanged, against a faissx-server (FAISSX_SERVER)"
bash scripts/with_server.sh bash examples/run.sh

step "compat library libfaiss_c: FAISS-named C programs and Rust's faiss crate"
bash bindings/faiss_c/run_tests.sh

step "Go binding (go test, local and remote)"
bash bindings/go/run_tests.sh

step "Java binding (mvn test, local and remote)"
bash bindings/java/run_tests.sh

step "Node binding (node --test, local and remote; faiss-node 0.5.1's own suite)"
bash bindings/node/run_tests.sh

step "Python package (the wheel in a fresh venv; pytest against faiss-cpu, local and remote)"
FAISSX_SKIP_CARGO=1 bash bindings/python/run_tests.sh

step "install into a prefix and use it as a new user would: pkg-config, CMake, Go, Maven, npm"
bash tests/install/run.sh --no-build
