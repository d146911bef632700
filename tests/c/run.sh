#!/usr/bin/env bash
# Builds every tests/c/test_*.c against include/faissx_c.h and target/release/libfaissx.so with
# AddressSanitizer and UBSan, runs each with leak detection, prints `ok NAME` / `FAIL NAME` and
# a closing `N passed, M failed`. Expects `cargo build --release` to have run.
# Usage: tests/c/run.sh [NAME...]   (names like test_index; default: all)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="$root/target/release"
out="$root/target/ctests"
cc="${CC:-cc}"

if [[ ! -f "$lib/libfaissx.so" ]]; then
    echo "missing $lib/libfaissx.so: run cargo build --release first" >&2
    exit 2
fi
mkdir -p "$out"

if (($#)); then
    tests=("$@")
else
    tests=()
    for src in "$here"/test_*.c; do
        tests+=("$(basename "$src" .c)")
    done
fi

# halt_on_error: a sanitizer finding fails the test instead of scrolling past.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# No LeakSanitizer suppressions: OpenMP's and BLAS's thread pools report no false leaks here,
# and FAISS's or faissx's own leaks must fail the test.
# These programs check local indexes (casts, borrowed sub-objects): keep remote mode off.
unset FAISSX_SERVER
# One OpenMP/BLAS thread keeps runs reproducible and quick on small data.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OPENBLAS_NUM_THREADS=1

passed=0
failed=0
for name in "${tests[@]}"; do
    src="$here/$name.c"
    bin="$out/$name"
    log="$out/$name.log"
    status=ok
    if ! "$cc" -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined \
        -fno-omit-frame-pointer -fno-sanitize-recover=undefined -I "$root/include" \
        "$src" -o "$bin" -L "$lib" -lfaissx -lm -Wl,-rpath,"$lib" >"$log" 2>&1; then
        status=FAIL
        echo "$name: compile error" >>"$log"
    elif ! nm "$bin" | grep '__asan_init' >/dev/null ||
        ! readelf -d "$bin" | grep 'NEEDED.*libasan' >/dev/null; then
        # A test built without ASan would pass while checking nothing about memory.
        # (grep without -q reads all of nm's output: an early exit would SIGPIPE nm.)
        status=FAIL
        echo "$name: __asan_init / libasan not found: AddressSanitizer is not linked" >>"$log"
    else
        tmp="$(mktemp -d)"
        if ! (cd "$tmp" && TMPDIR="$tmp" timeout 120 "$bin") >>"$log" 2>&1; then
            status=FAIL
        fi
        rm -rf "$tmp"
    fi
    if [[ $status == ok ]]; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/    /' "$log" | tail -n 40
    fi
done

echo "$passed passed, $failed failed"
((failed == 0))
