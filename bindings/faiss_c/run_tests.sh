#!/usr/bin/env bash
# Tests the compat library libfaiss_c.so as FAISS's users meet it:
# - the generated forwarders and headers match include/faissx_c.h;
# - it exports every function of FAISS's C API inventory under its FAISS name, and is a thin
#   layer over libfaissx.so (which it needs), not a second copy of FAISS;
# - C programs written with FAISS's names and include paths, linked to libfaiss_c.so only: the
#   faissx C tests (tests/c/test_*.c) renamed mechanically, and tests/faiss_style.c;
# - Rust's `faiss` crate (no `static` feature) running on libfaiss_c.so (tests/faiss_rs).
# Prints `ok NAME` / `FAIL NAME` per test and a closing `N passed, M failed`.
# Usage: bindings/faiss_c/run_tests.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="$root/target/release"
out="$root/target/faiss_c_tests"
cc="${CC:-cc}"
tsv="$root/tools/faiss-c-api-1.12.tsv"

cd "$root"
# The library under test is the one the current sources give (and faissx with it).
cargo build --release -p faiss_c
rm -rf "$out"
mkdir -p "$out"

# Same settings as tests/c/run.sh: sanitizer findings fail the test; one OpenMP/BLAS thread.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OPENBLAS_NUM_THREADS=1

passed=0
failed=0
# run NAME COMMAND...: one test, stopped at its first failing command (a subshell with set -e:
# called as an `if` condition, a function would run on past failures); output shown on failure.
run() {
    local name="$1" log="$out/$1.log" rc
    shift
    set +e
    (set -e; "$@") >"$log" 2>&1
    rc=$?
    set -e
    if ((rc == 0)); then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        sed 's/^/    /' "$log" | tail -n 40
    fi
}

# Reads all input before grepping: `grep -q` would exit early and SIGPIPE the producer.
has() { grep -E "$1" >/dev/null; }

check_exports() {
    local so="$lib/libfaiss_c.so" exported missing
    exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort -u)
    # The inventory itself, not the generator, says what FAISS's users may call.
    missing=$(comm -23 <(awk -F'\t' '$2 ~ /^faiss_/ { print $2 }' "$tsv" | sort -u) <(echo "$exported"))
    [[ -z $missing ]] || { echo "inventory functions not exported:"; echo "$missing"; return 1; }
    missing=$(comm -23 <(python3 tools/gen_compat.py --exports | sort -u) <(echo "$exported"))
    [[ -z $missing ]] || { echo "extensions not exported:"; echo "$missing"; return 1; }
    # faissx's own functions have no FAISS name; the library defines nothing but forwarders.
    if echo "$exported" | has '^faiss_(version|is_remote|configure|set_option|remote_|ping$)'; then
        echo "faissx-only functions exported under faiss_ names"
        return 1
    fi
    if echo "$exported" | has '^faissx_'; then
        echo "defines faissx_ symbols: libfaissx was linked in statically"
        return 1
    fi
    if nm -C --defined-only "$so" | has ' faiss::'; then
        echo "contains FAISS's C++ code: the faissx rlib was linked in"
        return 1
    fi
    readelf -d "$so" | has 'NEEDED.*\[libfaissx\.so\.0\]' || { echo "does not need libfaissx.so.0"; return 1; }
    readelf -d "$so" | has 'SONAME.*\[libfaiss_c\.so\.0\]' || { echo "SONAME is not libfaiss_c.so.0"; return 1; }
    echo "$(awk -F'\t' '$2 ~ /^faiss_/' "$tsv" | wc -l) inventory rows exported"
}

# build_c NAME SRC INCLUDE_DIR: a C program against the generated headers and libfaiss_c only.
build_c() {
    local name="$1" src="$2" inc="$3" bin="$out/$1"
    "$cc" -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined \
        -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
        -I "$here/include" -I "$inc" "$src" -o "$bin" \
        -L "$lib" -lfaiss_c -lm -Wl,-rpath,"$lib"
    # It must resolve FAISS's names through libfaiss_c.so, not through libfaissx directly.
    readelf -d "$bin" | has 'NEEDED.*\[libfaiss_c\.so\.0\]' || { echo "$bin does not need libfaiss_c.so.0"; return 1; }
    if readelf -d "$bin" | has 'NEEDED.*\[libfaissx\.so'; then
        echo "$bin links libfaissx.so directly"
        return 1
    fi
    if nm -u "$bin" | has ' faissx_'; then
        echo "$bin calls faissx_ names"
        return 1
    fi
    # A directory of its own for the files it writes.
    mkdir -p "$bin.run"
    (cd "$bin.run" && TMPDIR="$bin.run" timeout 120 "$bin")
}

# Each generated header compiles on its own, as C and as C++ (FAISS users include them one by
# one, in any order, from either language).
headers() {
    local h
    for h in $(cd "$here/include" && find faiss -name '*.h' | sort); do
        printf '#include <%s>\n' "$h" |
            "$cc" -fsyntax-only -x c -std=c11 -Wall -Wextra -Wpedantic -Werror -I "$here/include" -
        printf '#include <%s>\n' "$h" |
            "${CXX:-c++}" -fsyntax-only -x c++ -std=c++17 -Wall -Wextra -Werror -I "$here/include" -
    done
}

# The faiss crate's tests: the binary must take faiss_* from our libfaiss_c.so at run time,
# so a FAISS linked in statically (or another libfaiss_c.so) cannot pass for ours.
faiss_rs() {
    local bins bin loaded
    # Cargo reads .cargo/config.toml from the directory it runs in, not the manifest's.
    cd "$here/tests/faiss_rs"
    # Compiler messages go to the log as text; the JSON is only read for the binaries' paths.
    cargo test --release --no-run
    bins=$(cargo test --release --no-run --message-format=json |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])')
    [[ -n $bins ]] || { echo "no test binary built"; return 1; }
    for bin in $bins; do
        # libfaiss_c.so.0, its SONAME; a binary linked before it had one records libfaiss_c.so.
        loaded=$(ldd "$bin" | awk '$1 ~ /^libfaiss_c\.so(\.0)?$/ { print $3 }')
        [[ -n $loaded && $(realpath "$loaded") == $(realpath "$lib/libfaiss_c.so") ]] ||
            { echo "$bin does not load $lib/libfaiss_c.so:"; ldd "$bin"; return 1; }
        if nm --defined-only "$bin" | has ' faiss_'; then
            echo "$bin defines faiss_ symbols: FAISS is linked in statically"
            return 1
        fi
        nm -D --undefined-only "$bin" | has ' faiss_Index_search$' ||
            { echo "$bin does not import faiss_Index_search"; return 1; }
    done
    cargo test --release
}

# The faiss crate's own test suite (its unit tests and doc tests), unchanged, on libfaiss_c.so:
# its sources are copied from Cargo's registry (tests/faiss_rs depends on the same version) into
# target/, built against our library and run. Nothing of the crate is kept in this repository.
FAISS_CRATE_TESTS="75 5" # unit tests, doc tests of faiss 0.13.0
faiss_crate_setup() {
    local manifest crate="$out/faiss-crate"
    manifest=$(cd "$here/tests/faiss_rs" && cargo metadata --format-version 1 --locked |
        python3 -c 'import json, sys
print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "faiss"))')
    rm -rf "$crate"
    cp -r "$(dirname "$manifest")" "$crate"
    chmod -R u+w "$crate"
    # A workspace of its own, so that the crate is built as a package with its tests.
    printf '\n[workspace]\n' >>"$crate/Cargo.toml"
    mkdir -p "$crate/.cargo"
    cat >"$crate/.cargo/config.toml" <<EOF
[build]
target-dir = "$root/target/faiss_crate"
rustflags = ["-L", "native=$lib", "-C", "link-arg=-Wl,-rpath,$lib"]
rustdocflags = ["-L", "native=$lib", "-C", "link-arg=-Wl,-rpath,$lib"]
EOF
    (cd "$crate" && cargo test --release --offline --no-run)
}
# Every test of the suite ran and passed: none failed, ignored or filtered out.
faiss_crate_suite() {
    local log="$out/faiss-crate.log" counts
    (cd "$out/faiss-crate" && cargo test --release --offline) >"$log" 2>&1 || { cat "$log"; return 1; }
    counts=$(grep -E '^test result: ok\. [0-9]+ passed; 0 failed; 0 ignored; 0 measured; 0 filtered out' "$log" |
        awk '{ print $4 }' | paste -sd' ')
    [[ $counts == "$FAISS_CRATE_TESTS" ]] ||
        { cat "$log"; echo "expected the faiss crate's tests ($FAISS_CRATE_TESTS) to pass, got: $counts"; return 1; }
}

# FAISS's own C example (c_api/example_c.c of the FAISS sources faiss-sys vendors) and
# go-faiss 0.2.0's examples, unchanged, linked to libfaiss_c: each prints in remote mode exactly
# what it prints in local mode. Both draw their data from seeds that change at every run
# (example_c.c seeds rand() with time(NULL); Go seeds its generator at random), so the runs fix
# them: the C build links a time() that returns 1, and Go runs with GODEBUG=randautoseed=0.
# Neither program is kept in this repository: the first comes from Cargo's registry, the second
# from the Go module proxy (then the module cache).
GO_FAISS=github.com/DataIntelligenceCrew/go-faiss@v0.2.0
examples_build() {
    local src dir="$out/examples"
    mkdir -p "$dir"
    src=$(cargo metadata --manifest-path "$root/Cargo.toml" --format-version 1 --locked |
        python3 -c 'import json, os, sys
p = next(p for p in json.load(sys.stdin)["packages"] if p["name"] == "faiss-sys")
print(os.path.join(os.path.dirname(p["manifest_path"]), "faiss", "c_api", "example_c.c"))')
    printf 'time_t time(time_t *t) { if (t) *t = 1; return 1; }\n' >"$dir/seed.c"
    "$cc" -O2 -include time.h -I"$here/include/faiss/c_api" -I"$here/include" \
        "$src" "$dir/seed.c" -L"$lib" -lfaiss_c -Wl,-rpath,"$lib" -o "$dir/example_c"
    local module
    module=$(go mod download -json "$GO_FAISS" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    for example in flat ivfflat ivfpq; do
        (cd "$module/_example/$example" &&
            CGO_CFLAGS="-I$here/include" CGO_LDFLAGS="-L$lib -Wl,-rpath,$lib" \
                go build -o "$dir/go-faiss-$example" .)
    done
}
# Runs each example, its output kept as NAME.SUFFIX, compared with NAME.local when SUFFIX is
# not local.
examples_run() {
    local suffix="$1" name
    cd "$out/examples"
    for name in example_c go-faiss-flat go-faiss-ivfflat go-faiss-ivfpq; do
        GODEBUG=randautoseed=0 "./$name" >"$name.$suffix"
        [[ $suffix == local ]] || diff "$name.local" "$name.$suffix" >/dev/null ||
            { echo "$name prints other output in remote mode:"; diff "$name.local" "$name.$suffix" | head -20; return 1; }
    done
}

# A program linked to libfaiss_c, unchanged, in remote mode: FAISSX_SERVER set in its environment
# makes libfaissx create every index on the server. Pointed at an address where no server
# listens, the same binary must fail, which shows it did not quietly run in-process.
remote() {
    local program=("$@")
    cd "$out"
    bash "$root/scripts/with_server.sh" "${program[@]}"
    if FAISSX_SERVER=tcp://127.0.0.1:9 timeout 120 "${program[@]}" >/dev/null 2>&1; then
        echo "${program[*]} passed with FAISSX_SERVER at a dead address: it did not go remote"
        return 1
    fi
}

run generated python3 tools/gen_compat.py --verify
run exports check_exports
run faiss_style build_c faiss_style "$here/tests/faiss_style.c" "$here/tests"
run headers headers
# The faissx C tests as a FAISS user would have written them (faissx_ -> faiss_, FAISS's
# include paths), with the test helpers they include. A test of faissx's own functions
# (version, remote mode) has no FAISS-named version: it is listed, not counted.
skipped=()
for src in tests/c/test_*.c; do
    name="$(basename "$src" .c)"
    dir="$out/src/$name"
    rc=0
    python3 tools/gen_compat.py --rewrite "$dir" "$src" tests/c/*.h || rc=$?
    if ((rc == 3)); then
        skipped+=("$name")
        continue
    fi
    if ((rc != 0)); then
        failed=$((failed + 1))
        echo "FAIL $name: could not rewrite it to FAISS names"
        continue
    fi
    run "$name" build_c "$name" "$dir/$name.c" "$dir"
done
run faiss_rs faiss_rs
run faiss_style_remote remote "$out/faiss_style"
run faiss_rs_remote remote bash -c "cd '$here/tests/faiss_rs' && cargo test --release -q"
run faiss_crate_build faiss_crate_setup
run faiss_crate_suite faiss_crate_suite
export out FAISS_CRATE_TESTS
export -f faiss_crate_suite
run faiss_crate_suite_remote remote bash -c faiss_crate_suite
run examples_build examples_build
run examples_local examples_run local
export here root lib
export -f examples_run
run examples_remote remote bash -c "examples_run remote"

((${#skipped[@]} == 0)) || echo "not applicable to FAISS names: ${skipped[*]}"
echo "$passed passed, $failed failed"
((failed == 0))
