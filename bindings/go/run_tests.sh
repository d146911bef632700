#!/usr/bin/env bash
# Checks and tests the Go binding: gofmt, go vet, go test (local mode in the package's own
# tests, remote mode in remotetest, which starts its own faissx-server), then the example,
# locally and against a server. Assumes `cargo build --release` ran at the repository root.
# No third-party Go module is needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for f in "$root/target/release/libfaissx.so" "$root/target/release/faissx-server" \
    "$root/target/release/pkgconfig/faissx.pc" "$root/include/faissx_c.h"; do
    [[ -e $f ]] || { echo "missing $f: run \`cargo build --release\` at $root first" >&2; exit 1; }
done
command -v go >/dev/null || { echo "go is required (https://go.dev/dl/)" >&2; exit 1; }

cd "$here"
# `#cgo pkg-config: faissx` finds the build tree's libfaissx (build.rs writes this faissx.pc).
export PKG_CONFIG_PATH="$root/target/release/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_ENABLED=1 GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--mod=mod}"
# Many short FAISS calls on a small shared machine: idle OpenMP threads must not spin.
export OMP_WAIT_POLICY=PASSIVE
# The tests choose the mode themselves.
unset FAISSX_SERVER FAISSX_API_KEY FAISSX_TENANT_ID

unformatted="$(gofmt -l .)"
[[ -z $unformatted ]] || { echo "not gofmt-formatted:" >&2; echo "$unformatted" >&2; exit 1; }
go vet ./...
go test -count=1 ./...

go run ./example
log="$(mktemp)"
"$root/target/release/faissx-server" --bind-address 127.0.0.1 --port 0 --log-level warn >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
addr=""
for _ in $(seq 100); do
    addr="$(grep -o 'tcp://[0-9.]*:[0-9]*' "$log" || true)"
    [[ -n $addr ]] && break
    sleep 0.1
done
[[ -n $addr ]] || { echo "faissx-server did not start:" >&2; cat "$log" >&2; exit 1; }
out="$(go run ./example -server "$addr")"
echo "$out"
[[ $out == *"running on $addr"* ]] || { echo "the example did not run on $addr" >&2; exit 1; }
echo "Go binding: all checks passed"
