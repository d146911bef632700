#!/usr/bin/env bash
# Runs bench.py: the faissx wheel against faiss-cpu (local) and against the upstream Python
# FAISSx package from PyPI (remote), each side in its own venv (both packages are `faissx`).
#
#     bash bindings/python/bench.sh [bench.py arguments]
#
# Builds the wheel (build_wheel.sh; FAISSX_SKIP_CARGO=1 skips cargo) and the venvs
# .venv-bench (the wheel, faiss-cpu 1.12.0) and .venv-upstream (PyPI faissx, faiss-cpu 1.12.0).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
unset FAISSX_SERVER FAISSX_API_KEY FAISSX_TENANT_ID FAISSX_LIBRARY

wheel="$(bash "$here/build_wheel.sh" "$here/dist" | tail -n 1)"
ours="$here/.venv-bench"
[[ -x $ours/bin/python ]] || python3 -m venv "$ours"
"$ours/bin/pip" install -q --disable-pip-version-check numpy "faiss-cpu==1.12.0"
"$ours/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
upstream="$here/.venv-upstream"
if ! "$upstream/bin/python" -c 'import faissx.server, faiss' 2>/dev/null; then
    python3 -m venv "$upstream"
    "$upstream/bin/pip" install -q --disable-pip-version-check faissx "faiss-cpu==1.12.0" numpy
fi
# Client and server share the cores: idle OpenMP threads must sleep (see BENCHMARKS.md).
OMP_WAIT_POLICY=PASSIVE "$ours/bin/python" "$here/bench.py" \
    --upstream-python "$upstream/bin/python" --server-bin "$root/target/release/faissx-server" "$@"
