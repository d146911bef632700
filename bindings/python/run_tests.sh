#!/usr/bin/env bash
# Tests the faissx Python package as users install it: builds the wheel (build_wheel.sh, which
# runs `cargo build --release`), installs it into a fresh venv with numpy, faiss-cpu 1.12.0
# (the reference the results are compared with) and pytest, and runs tests/ there, locally
# and against faissx-server processes the tests start on free loopback ports and stop.
#
#     bash bindings/python/run_tests.sh [pytest arguments]
#
# FAISSX_SKIP_CARGO=1 skips the cargo build (the library and server must then be built).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Many short FAISS calls, client and server on the same few cores: idle OpenMP threads must
# sleep rather than spin on the cores the other side needs.
export OMP_WAIT_POLICY=PASSIVE
# The tests choose the mode themselves, and must load the installed library.
unset FAISSX_SERVER FAISSX_API_KEY FAISSX_TENANT_ID FAISSX_LIBRARY FAISSX_SERVER_PUBLIC_KEY

wheel="$(bash "$here/build_wheel.sh" "$here/dist" | tail -n 1)"
server="$root/target/release/faissx-server"
[[ -x $server ]] || { echo "missing $server: run \`cargo build --release\` at $root" >&2; exit 1; }

venv="$here/.venv-test"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check numpy "faiss-cpu==1.12.0" pytest
"$venv/bin/pip" install -q --disable-pip-version-check "$wheel"

cd "$here/tests"
FAISSX_SERVER_BIN="$server" FAISSX_TEST_WHEEL="$wheel" \
    "$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
