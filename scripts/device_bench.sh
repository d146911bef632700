#!/usr/bin/env bash
# The many-clients benchmarks on a larger machine that has no Rust toolchain or FAISS build:
#
#   scripts/device_bench.sh pack   # here, after `cargo build --release -p faissx -p faissx-bench`:
#                                  # target/device-bench.tar.gz, the two binaries stripped, with
#                                  # the shared libraries they load beyond the C and C++ runtimes
#   scripts/device_bench.sh run    # there, in a copy of the repository with that file: unpacks
#                                  # it and runs concurrency (1, 16 and 64 threads; 16 and 64
#                                  # again with 4 ZeroMQ I/O threads on both sides), remote and
#                                  # scan, writing each table to $OUT (or target/device-bench/)
#
# Building FAISS takes minutes a borrowed machine's time is better spent measuring; the bundle
# is ~25 MB compressed. Issue 13's 16-core targets are read from the concurrency table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle="$root/target/device-bench.tar.gz"
case "${1:-}" in
pack)
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  mkdir -p "$dir/device-bench/lib"
  for binary in faissx-bench faissx-server; do
    strip -o "$dir/device-bench/$binary" "$root/target/release/$binary"
  done
  # glibc, libstdc++ and libgcc_s are on any Linux that runs the binaries; the rest (OpenMP,
  # OpenBLAS and what it needs) may not be.
  ldd "$dir/device-bench/faissx-bench" "$dir/device-bench/faissx-server" |
    awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$dir/device-bench/lib/"; done
  tar -C "$dir" -czf "$bundle" device-bench
  ls -la "$bundle"
  ;;
run)
  out=${OUT:-$root/target/device-bench}
  mkdir -p "$out"
  work=$(mktemp -d)
  tar -C "$work" -xzf "$bundle"
  bench="$work/device-bench/faissx-bench"
  export LD_LIBRARY_PATH="$work/device-bench/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OMP_WAIT_POLICY=PASSIVE
  nproc | tee "$out/cores.txt"
  # Which cores: the tiles' speed depends on them (AVX-512VL, how many FMA units).
  grep -m1 'model name' /proc/cpuinfo | tee "$out/cpu.txt"
  grep -m1 '^flags' /proc/cpuinfo >> "$out/cpu.txt"
  "$bench" concurrency 1,16,64 2>&1 | tee "$out/concurrency.md"
  # One I/O thread per side may cap the request rate on many cores: the server's
  # --io-threads and the client's io_threads option both read this variable.
  FAISSX_IO_THREADS=4 "$bench" concurrency 16,64 2>&1 | tee "$out/concurrency-io4.md"
  "$bench" remote 2>&1 | tee "$out/remote.md"
  "$bench" scan 2>&1 | tee "$out/scan.md"
  rm -rf "$work"
  ;;
*)
  echo "usage: scripts/device_bench.sh pack|run" >&2
  exit 2
  ;;
esac
