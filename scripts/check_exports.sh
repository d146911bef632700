#!/usr/bin/env bash
# Checks that libfaissx.so exports a faissx_ twin of every row of FAISS's C API inventory, and
# nothing named faiss_* (FAISS's own C API stays hidden inside the library).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=target/release/libfaissx.so
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort -u)
missing=$(comm -23 <(python3 tools/gen_ffi.py --exports | sort -u) <(echo "$exported"))
if [ -n "$missing" ]; then
  echo "missing from $lib:" >&2
  echo "$missing" >&2
  exit 1
fi
leaked=$(echo "$exported" | grep '^faiss_' || true)
if [ -n "$leaked" ]; then
  echo "FAISS's own symbols leak out of $lib:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "$(python3 tools/gen_ffi.py --exports | wc -l) inventory functions exported, no faiss_* symbol leaked"
