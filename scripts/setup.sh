#!/usr/bin/env bash
# Installs what building and testing faissx needs on a fresh Debian machine (run as root, or
# with sudo available): the toolchain for building FAISS from source, BLAS/LAPACK with OpenMP,
# and the Python FAISS wheel that the interoperability tests and the benchmark compare against.
set -euo pipefail

# libsodium-dev: the vendored libzmq links it for CURVE encryption (third_party/zmq-sys).
# qemu-user: tests/install/run.sh runs the libraries on emulated CPUs without AVX2; gdb and
# systemd (systemd-analyze): it checks the split debug info and verifies the installed unit.
packages=(cmake g++ pkg-config libopenblas-openmp-dev liblapack-dev libzmq3-dev libsodium-dev
    qemu-user gdb systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# The interop tests and the wheel benchmark compare against the FAISS version faiss-sys builds.
if ! python3 -c 'import faiss, numpy; assert faiss.__version__ == "1.12.0"' >/dev/null 2>&1; then
  python3 -m pip install --quiet faiss-cpu==1.12.0 numpy
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required: https://rustup.rs" >&2; exit 1; }
