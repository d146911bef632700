#!/usr/bin/env bash
# Builds target/native/libfaissx_jni.so (src/main/c) against the repository's libfaissx.
# Run by Maven after compiling (javac -h has written the JNI header by then).
# Usage: build-native.sh [JAVA_HOME]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
java_home="${1:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}"
lib="$root/target/release"
out="$here/target/native"

if [ ! -f "$lib/libfaissx.so" ]; then
  echo "build-native.sh: $lib/libfaissx.so is missing: run 'cargo build --release' at $root" >&2
  exit 1
fi
mkdir -p "$out"
# The rpath lets the JVM find libfaissx.so without LD_LIBRARY_PATH.
"${CC:-cc}" -shared -fPIC -O2 -std=c11 -Wall -Wextra -Werror -Wmissing-prototypes \
  -I"$java_home/include" -I"$java_home/include/linux" -I"$root/include" -I"$out/include" \
  "$here/src/main/c/faissx_jni.c" -L"$lib" -lfaissx -Wl,-rpath,"$lib" \
  -o "$out/libfaissx_jni.so"
