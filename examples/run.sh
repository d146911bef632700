#!/usr/bin/env bash
# Builds and runs the C examples against target/release/libfaissx.so (run
# `cargo build --release` first). `examples/run.sh NAME...` runs only those examples,
# e.g. `examples/run.sh quickstart`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$root/target/release
out=$root/target/examples
cc=${CC:-cc}

if [[ ! -e $lib/libfaissx.so ]]; then
    echo "no $lib/libfaissx.so: run 'cargo build --release' first" >&2
    exit 1
fi

if (($# > 0)); then
    names=("$@")
else
    # The quick start first: if it fails, nothing else will work either.
    names=(quickstart)
    for src in "$root"/examples/*.c; do
        name=$(basename "$src" .c)
        [[ $name == quickstart ]] && continue
        [[ $name == remote_quickstart && -z ${FAISSX_SERVER:-} ]] && continue
        names+=("$name")
    done
fi

mkdir -p "$out"
passed=0
failed=0
for name in "${names[@]}"; do
    src=$root/examples/$name.c
    if [[ ! -f $src ]]; then
        echo "FAIL $name (no $src)"
        failed=$((failed + 1))
        continue
    fi
    if "$cc" -std=c11 -Wall -Wextra -Werror -O2 -I "$root/include" "$src" -o "$out/$name" \
        -L "$lib" -lfaissx -Wl,-rpath,"$lib" && "$out/$name"; then
        echo "ok $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
((failed == 0))
