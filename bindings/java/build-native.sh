#!/usr/bin/env bash
# Builds the JNI library (src/main/c) against libfaissx and stages both into the jar's classes.
# Run by Maven after compiling (javac -h has written the JNI header by then).
#
# Usage: build-native.sh [JAVA_HOME [LIB_DIR [INCLUDE_DIR [BUILD_DIR]]]]
#   LIB_DIR      holds libfaissx.so      (default: the repository's target/release)
#   INCLUDE_DIR  holds faissx_c.h        (default: the repository's include)
#   BUILD_DIR    Maven's target folder   (default: target beside this script)
#
# Writes, under BUILD_DIR:
#   native/libfaissx_jni.so, and beside it a link named after libfaissx's SONAME (libfaissx.so.0,
#     or libfaissx.so when it has none) to LIB_DIR's libfaissx: what the tests and the example load
#   classes/META-INF/native/<os>-<arch>/: libfaissx (stripped of debug info, under its SONAME),
#     libfaissx_jni.so, and `libraries`, the order to load them in: what the jar carries
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
java_home="${1:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}"
lib="${2:-$root/target/release}"
include="${3:-$root/include}"
build="${4:-$here/target}"
out="$build/native"

if [ ! -f "$lib/libfaissx.so" ]; then
  echo "build-native.sh: $lib/libfaissx.so is missing: run 'cargo build --release' at $root" >&2
  exit 1
fi
if [ ! -f "$include/faissx_c.h" ]; then
  echo "build-native.sh: $include/faissx_c.h is missing" >&2
  exit 1
fi

# The names NativeLoader.platform() gives; a jar built elsewhere carries that machine's natives.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) platform=linux-x86_64 ;;
  Linux-aarch64 | Linux-arm64) platform=linux-aarch64 ;;
  *) echo "build-native.sh: no platform name for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

# The linker records libfaissx's SONAME as the JNI library's NEEDED entry (the file name when there
# is no SONAME): the copy beside it must carry that name for the dynamic loader to find it.
soname="$(readelf -d "$lib/libfaissx.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')"
soname="${soname:-libfaissx.so}"

mkdir -p "$out"
# RUNPATH $ORIGIN only: wherever the pair is copied (the jar's extraction folder, a system library
# folder), the JNI library finds the libfaissx beside it, never one in the build tree.
"${CC:-cc}" -shared -fPIC -O2 -std=c11 -Wall -Wextra -Werror -Wmissing-prototypes \
  -I"$java_home/include" -I"$java_home/include/linux" -I"$include" -I"$out/include" \
  "$here/src/main/c/faissx_jni.c" -L"$lib" -lfaissx -Wl,--enable-new-dtags,-rpath,'$ORIGIN' \
  -o "$out/libfaissx_jni.so"
needed="$(readelf -d "$out/libfaissx_jni.so" | sed -n 's/.*(NEEDED).*\[\(libfaissx[^]]*\)\]$/\1/p')"
if [ "$needed" != "$soname" ]; then
  echo "build-native.sh: libfaissx_jni.so needs '$needed', expected '$soname'" >&2
  exit 1
fi
find "$out" -maxdepth 1 -name 'libfaissx.so*' -delete
ln -s "$(readlink -f "$lib/libfaissx.so")" "$out/$soname"

staged="$build/classes/META-INF/native/$platform"
rm -rf "$staged"
mkdir -p "$staged"
strip --strip-debug -o "$staged/$soname" "$(readlink -f "$lib/libfaissx.so")"
cp "$out/libfaissx_jni.so" "$staged/libfaissx_jni.so"
printf '%s\n' "$soname" libfaissx_jni.so >"$staged/libraries"
