#!/usr/bin/env bash
# Java binding: builds the JNI library and runs the JUnit 5 suite (local mode, remote mode against
# a faissx-server it starts, error paths, threads), then the example locally and remotely.
# Assumes `cargo build --release` ran at the repository root. Maven fetches its plugins and JUnit
# from Maven Central into ~/.m2 on the first run; later runs work offline.
# Prints a closing `java: N passed, M failed` line; exits non-zero on any failure.
# Usage: bindings/java/run_tests.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
release="$root/target/release"

for f in "$release/libfaissx.so" "$release/faissx-server"; do
  if [ ! -e "$f" ]; then
    echo "run_tests.sh: $f is missing: run 'cargo build --release' at $root" >&2
    exit 1
  fi
done
if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

cd "$here"
rm -rf target/surefire-reports
status=0
mvn -q -B test || status=$?

# Maven -q prints nothing on success: count from surefire's reports.
read -r tests failed skipped < <(cat target/surefire-reports/TEST-*.xml 2>/dev/null | awk '
  /<testsuite / {
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=");
      gsub(/[">]/, "", kv[2]);
      if (kv[1] == "tests") t += kv[2];
      else if (kv[1] == "failures" || kv[1] == "errors") f += kv[2];
      else if (kv[1] == "skipped") s += kv[2];
    }
  }
  END { print t + 0, f + 0, s + 0 }')

# The example, both ways; it throws when local and remote answers differ.
example=0
if [ "$status" -eq 0 ]; then
  java_example=(java -Dfaissx.jni.library="$here/target/native/libfaissx_jni.so" -cp "$here/target/classes"
    "$here/example/QuickStart.java")
  log="$(mktemp)"
  "$release/faissx-server" --bind-address 127.0.0.1 --port 0 --log-level warn >"$log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
  for _ in $(seq 100); do
    grep -q '^listening on ' "$log" && break
    sleep 0.1
  done
  address="$(sed -n 's/^listening on //p' "$log")"
  if [ -n "$address" ] && env -u FAISSX_SERVER "${java_example[@]}" "$address"; then
    tests=$((tests + 1))
  else
    echo "FAIL example/QuickStart.java" >&2
    example=1
    failed=$((failed + 1))
  fi
fi

echo "java: $((tests - failed - skipped)) passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$example" -ne 0 ] || [ "$tests" -eq 0 ]; then
  exit 1
fi
