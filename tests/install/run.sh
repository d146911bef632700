#!/usr/bin/env bash
# faissx as a new user meets it: installed into a prefix, then consumed from fresh temporary
# directories with nothing of the checkout on any path. Checks, printing each:
#   - scripts/install.sh into a temporary prefix: SONAMEs, symlinks, stripped files with their
#     debug info split off, no path of the build tree in any installed file;
#   - the installed faissx-server: man-page --help, loopback-only without API keys;
#   - the C quick start built with `pkg-config --cflags --libs faissx`, a CMake project with
#     find_package(faissx) (faissx::faissx and faissx::faiss_c), each run locally and against
#     the installed server (same output; a dead server address fails, so it did go remote);
#   - a Go program against the Go module as a module proxy serves it and the module cache holds
#     it (read-only, outside the checkout), found through `#cgo pkg-config: faissx`;
#   - readelf -d of every installed and consumer binary: no RUNPATH/RPATH/NEEDED into the checkout;
#   - under an emulated CPU without the build's extensions (qemu-x86_64, when installed), the
#     libraries refuse at load with a message naming them, never SIGILL;
#   - then tests/install/java.sh and tests/install/node.sh, when present, given PREFIX and the
#     server's address.
# Usage: tests/install/run.sh [--no-build]   (--no-build: install what target/release holds)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
install_args=()
[[ ${1:-} == --no-build ]] && install_args=(--no-build)

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    # The Go module cache is read-only, as Go leaves it.
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() {
    printf '   FAIL: %s\n' "$*" >&2
    exit 1
}
# Reads all input before matching: `grep -q` would exit early and SIGPIPE the producer.
has() { grep -E -- "$1" >/dev/null; }

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
prefix="$(mktemp -d "$work/prefix.XXXX")"
home="$(mktemp -d "$work/home.XXXX")"
# Only the system's directories: the consumers find faissx through the prefix alone.
sys_path="/usr/local/bin:/usr/bin:/bin"
go_bin="$(command -v go || true)"
[[ -n $go_bin ]] && sys_path="$(dirname "$(realpath "$go_bin")"):$sys_path"
case "$sys_path" in *"$root"*) fail "a PATH entry ($sys_path) is inside the checkout" ;; esac

# user CMD...: CMD in an environment built from nothing, as a user's shell would give it: the
# system PATH, a fresh HOME, the prefix's pkg-config directory and libraries.
user() {
    local run=""
    if [[ $1 == --exec ]]; then
        # Replaces the (background) shell, so that its pid is the program's.
        run=exec
        shift
    fi
    local -a vars=(PATH="$sys_path" HOME="$home" TMPDIR="$work" LANG=C.UTF-8
        PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib"
        OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE "${user_extra[@]}")
    local v
    for v in "${vars[@]}"; do
        case "$v" in *"$root"*) fail "the consumer environment names the checkout: $v" ;; esac
    done
    $run env -i "${vars[@]}" "$@"
}
user_extra=()

# ---------------------------------------------------------------------------------------------
step "install: PREFIX=$prefix scripts/install.sh ${install_args[*]}"
PREFIX="$prefix" bash "$root/scripts/install.sh" "${install_args[@]}" | sed 's/^/   /'
for f in bin/faissx-server include/faissx_c.h include/faiss/c_api/Index_c.h \
    include/faiss/c_api/impl/AuxIndexStructures_c.h lib/pkgconfig/faissx.pc \
    lib/pkgconfig/faiss_c.pc lib/cmake/faissx/faissxConfig.cmake \
    lib/cmake/faissx/faissxConfigVersion.cmake lib/systemd/system/faissx-server.service \
    lib/sysusers.d/faissx.conf share/man/man1/faissx-server.1; do
    [[ -s $prefix/$f ]] || fail "$f not installed"
done
ok "server, headers, pkg-config, CMake package, systemd unit, sysusers, man page installed"

step "libraries: SONAMEs and links"
for lib in libfaissx libfaiss_c; do
    [[ $(readlink "$prefix/lib/$lib.so") == "$lib.so.0" ]] || fail "$lib.so is not a link to $lib.so.0"
    [[ $(readlink "$prefix/lib/$lib.so.0") == "$lib.so.$version" ]] ||
        fail "$lib.so.0 is not a link to $lib.so.$version"
    soname="$(readelf -d "$prefix/lib/$lib.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
    [[ $soname == "$lib.so.0" ]] || fail "$lib.so.$version has SONAME '$soname'"
    ok "$lib.so -> $lib.so.0 -> $lib.so.$version, SONAME $soname"
done
readelf -d "$prefix/lib/libfaiss_c.so.$version" | has 'NEEDED.*\[libfaissx\.so\.0\]' ||
    fail "libfaiss_c does not need libfaissx.so.0"
ok "libfaiss_c.so.0 needs libfaissx.so.0"

step "stripped, with debug info split off"
for f in "lib/libfaissx.so.$version" "lib/libfaiss_c.so.$version" bin/faissx-server; do
    dir="$(dirname "$prefix/$f")" name="$(basename "$f")"
    if readelf -S "$prefix/$f" | has '\.(debug_[a-z]+|symtab) '; then
        fail "$f still has symbols or debug sections"
    fi
    link="$(readelf --string-dump=.gnu_debuglink "$prefix/$f" | sed -n 's/^ *\[ *0\] *//p')"
    [[ $link == "$name.debug" && -s $dir/.debug/$link ]] || fail "$f: debug link '$link' not installed"
    # (readelf complains that a debug file's .interp holds no data; it need not.)
    readelf -S "$dir/.debug/$link" 2>/dev/null | has '\.debug_line' || fail "$link holds no line tables"
    ok "$f: no .symtab or .debug_*, .gnu_debuglink -> .debug/$link (has .debug_line)"
done
command -v gdb >/dev/null || fail "gdb is not installed (scripts/setup.sh installs it)"
where="$(cd "$work" && gdb -nx -batch -ex 'info line faissx_Index_add' \
    "$prefix/lib/libfaissx.so.$version" 2>&1)"
echo "$where" | has '^Line [0-9]+ of "src/ffi/index\.rs"' || { echo "$where" >&2; fail "gdb finds no line info"; }
ok "gdb finds the split debug info: $(echo "$where" | grep -o '^Line [0-9]* of "[^"]*"')"

# The split debug info is the exception: it records where the sources were, for debuggers.
step "installed files name no path of the checkout ($root), debug info aside"
if grep -rlF --exclude-dir=.debug -- "$root" "$prefix" >/dev/null 2>&1; then
    grep -rlF --exclude-dir=.debug -- "$root" "$prefix" | sed 's/^/   /' >&2
    fail "files above contain $root"
fi
ok "no installed file (binary or text) contains $root"

step "release tarball: scripts/package.sh holds what install.sh installs, usable where unpacked"
dist="$(mktemp -d "$work/dist.XXXX")"
bash "$root/scripts/package.sh" --no-build "$dist" | sed 's/^/   /'
tarball="$dist/faissx-$version-linux-$(uname -m).tar.gz"
unpacked="$(mktemp -d "$work/unpacked.XXXX")"
tar -xzf "$tarball" -C "$unpacked"
tree="$unpacked/faissx-$version-linux-$(uname -m)"
diff <(cd "$prefix" && find . -path '*/.debug' -prune -o -print | sort) \
    <(cd "$tree" && find . | sort) >&2 || fail "the tarball's files differ from the installed ones"
(cd "$dist" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
ok "$(basename "$tarball"): the installed files (debug info in the -debug tarball)"
# package.sh installs with DESTDIR=staging PREFIX=/usr/local: the files name the prefix only.
has '^ExecStart=/usr/local/bin/faissx-server$' <"$tree/lib/systemd/system/faissx-server.service" ||
    fail "DESTDIR install: the unit does not name PREFIX's server"
ok "DESTDIR staging: the unit names /usr/local/bin/faissx-server, not the staging directory"
tdir="$(mktemp -d "$work/tarball-c.XXXX")"
cp "$root/examples/quickstart.c" "$tdir/"
(cd "$tdir" && env -i PATH="$sys_path" PKG_CONFIG_PATH="$tree/lib/pkgconfig" \
    sh -c 'cc -std=c11 quickstart.c $(pkg-config --cflags --libs faissx) -o quickstart')
env -i PATH="$sys_path" LD_LIBRARY_PATH="$tree/lib" OMP_NUM_THREADS=1 "$tdir/quickstart" |
    has '^    0 \|    0:   0\.0000' || fail "quick start against the unpacked tarball"
ok "unpacked elsewhere, its faissx.pc still finds it: the quick start builds and runs"

step "systemd unit"
unit="$prefix/lib/systemd/system/faissx-server.service"
has "^ExecStart=$prefix/bin/faissx-server\$" <"$unit" || fail "ExecStart is not the installed server"
has '^User=faissx$' <"$unit" && has '^StateDirectory=faissx$' <"$unit" || fail "no User=faissx / StateDirectory"
has '^u faissx ' <"$prefix/lib/sysusers.d/faissx.conf" || fail "sysusers.d does not create faissx"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian: systemd)"
# Fails on unknown or malformed settings and on an ExecStart that is not executable.
out="$(systemd-analyze verify --man=no "$unit" 2>&1)" || { echo "$out" >&2; fail "systemd-analyze verify"; }
[[ -z $out ]] || { echo "$out" >&2; fail "systemd-analyze verify warns"; }
ok "systemd-analyze verify: no complaint; runs $prefix/bin/faissx-server as user faissx, data in /var/lib/faissx"

# ---------------------------------------------------------------------------------------------
step "faissx-server --help reads as a manual; default bind"
help="$(user "$prefix/bin/faissx-server" --help)"
for section in EXAMPLES FILES "EXIT STATUS" FAISSX_BIND_ADDRESS "loopback"; do
    echo "$help" | has "$section" || fail "--help has no $section"
done
ok "--help has EXAMPLES, FILES, EXIT STATUS, environment variables"
head -n 1 "$prefix/share/man/man1/faissx-server.1" | has '^\.TH FAISSX-SERVER 1' || fail "man page header"
ok "man page faissx-server(1) installed"

# start_server LOG ARGS...: the installed server on a free port; sets server_pid, endpoint.
start_server() {
    local log="$1"
    shift
    user --exec "$prefix/bin/faissx-server" --port 0 --log-level warn "$@" >"$log" 2>&1 &
    server_pid=$!
    endpoint=""
    for _ in $(seq 100); do
        endpoint="$(sed -n 's/^listening on //p' "$log")"
        [[ -n $endpoint ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $endpoint ]] || { cat "$log" >&2; fail "faissx-server did not start"; }
}
stop_server() {
    kill "$server_pid"
    local rc=0
    wait "$server_pid" || rc=$?
    server_pid=""
    ((rc == 0)) || fail "faissx-server exited $rc on SIGTERM, not 0"
}

start_server "$work/keyed.log" --auth-keys testkey:tenant
[[ $endpoint == tcp://0.0.0.0:* ]] || fail "with API keys, listening on $endpoint, not 0.0.0.0"
stop_server
ok "with API keys: listens on every interface ($endpoint); SIGTERM exits 0"

start_server "$work/open.log" --bind-address 0.0.0.0
[[ $endpoint == tcp://0.0.0.0:* ]] || fail "--bind-address 0.0.0.0: listening on $endpoint"
has 'WARNING: no API keys and listening on 0\.0\.0\.0' <"$work/open.log" || fail "no warning for an open server"
stop_server
ok "--bind-address 0.0.0.0 without keys: served, with a warning in the log"

start_server "$work/server.log"
[[ $endpoint == tcp://127.0.0.1:* ]] || fail "without API keys, listening on $endpoint"
has 'no API keys: listening on loopback' <"$work/server.log" || fail "start-up did not say so"
ok "without API keys: $endpoint, and the log says: $(grep -o 'no API keys[^;]*' "$work/server.log")"
# The consumers below reach it here; a dead address shows that they do not run in-process.
server_addr="${endpoint/0.0.0.0/127.0.0.1}"
dead_addr="tcp://127.0.0.1:9"

# both NAME EXPECTED_PATTERN CMD...: CMD locally, then on the server with the same output, then
# failing against a dead address.
both() {
    local name="$1" pattern="$2" local_out remote_out
    shift 2
    local_out="$(user "$@")" || fail "$name failed locally"
    echo "$local_out" | has "$pattern" || { echo "$local_out" >&2; fail "$name: no '$pattern' locally"; }
    ok "$name runs locally"
    user_extra=(FAISSX_SERVER="$server_addr")
    remote_out="$(user "$@")" || { user_extra=(); fail "$name failed on $server_addr"; }
    [[ $remote_out == "$local_out" ]] ||
        { diff <(echo "$local_out") <(echo "$remote_out") >&2; user_extra=(); fail "$name: remote output differs"; }
    user_extra=(FAISSX_SERVER="$dead_addr")
    if user timeout 60 "$@" >/dev/null 2>&1; then
        user_extra=()
        fail "$name succeeded with FAISSX_SERVER at a dead address: it never went remote"
    fi
    user_extra=()
    ok "$name on $server_addr: same output; fails against $dead_addr"
}

# no_checkout_paths BINARY: its dynamic section points nowhere into the checkout.
no_checkout_paths() {
    local dyn
    dyn="$(readelf -d "$1")"
    if echo "$dyn" | grep -E 'RPATH|RUNPATH|NEEDED' | has "$root"; then
        echo "$dyn" | grep -E 'RPATH|RUNPATH|NEEDED' >&2
        fail "$1 points into the checkout"
    fi
}

# ---------------------------------------------------------------------------------------------
step "C quick start with pkg-config --cflags --libs faissx"
cdir="$(mktemp -d "$work/c.XXXX")"
cp "$root/examples/quickstart.c" "$cdir/"
flags="$(user pkg-config --cflags --libs faissx)"
echo "   pkg-config: $flags"
(cd "$cdir" && user sh -c 'cc -std=c11 -Wall -Werror quickstart.c $(pkg-config --cflags --libs faissx) -o quickstart')
readelf -d "$cdir/quickstart" | has 'NEEDED.*\[libfaissx\.so\.0\]' || fail "quickstart does not need libfaissx.so.0"
no_checkout_paths "$cdir/quickstart"
ok "built; needs libfaissx.so.0"
# Every query is a database vector: it finds itself first, at distance 0.
both "quickstart" '^    0 \|    0:   0\.0000' "$cdir/quickstart"

# ---------------------------------------------------------------------------------------------
step "CMake project with find_package(faissx)"
mdir="$(mktemp -d "$work/cmake.XXXX")"
cp "$root/examples/quickstart.c" "$mdir/"
cat >"$mdir/faiss_named.c" <<'EOF'
/* A program written for FAISS's own C API, unchanged: FAISS's names and include paths. */
#include <stdio.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>

int main(void) {
    float xb[4 * 3] = {0, 0, 0, 0, 1, 1, 1, 1, 5, 5, 5, 5};
    float q[4] = {1, 1, 1, 1.25f};
    float dist[2];
    idx_t labels[2];
    FaissIndexFlatL2 *index = NULL;
    if (faiss_IndexFlatL2_new_with(&index, 4) || faiss_Index_add(index, 3, xb) ||
        faiss_Index_search(index, 1, q, 2, dist, labels)) {
        fprintf(stderr, "error: %s\n", faiss_get_last_error());
        return 1;
    }
    printf("faiss_c: %lld vectors; nearest %lld (%.4f), then %lld (%.4f)\n",
           (long long)faiss_Index_ntotal(index), (long long)labels[0], dist[0],
           (long long)labels[1], dist[1]);
    faiss_Index_free(index);
    return 0;
}
EOF
cat >"$mdir/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(faissx_consumer C)
find_package(faissx 0.1 REQUIRED)
add_executable(quickstart quickstart.c)
target_link_libraries(quickstart PRIVATE faissx::faissx)
add_executable(faiss_named faiss_named.c)
target_link_libraries(faiss_named PRIVATE faissx::faiss_c)
EOF
user cmake -S "$mdir" -B "$mdir/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "cmake configure"; }
user cmake --build "$mdir/build" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "cmake build"; }
readelf -d "$mdir/build/faiss_named" | has 'NEEDED.*\[libfaiss_c\.so\.0\]' || fail "faiss_named does not need libfaiss_c.so.0"
if readelf -d "$mdir/build/faiss_named" | has 'NEEDED.*\[libfaissx\.so'; then
    fail "faiss_named links libfaissx directly"
fi
no_checkout_paths "$mdir/build/quickstart"
no_checkout_paths "$mdir/build/faiss_named"
ok "faissx::faissx -> quickstart (libfaissx.so.0); faissx::faiss_c -> faiss_named (libfaiss_c.so.0 only)"
both "cmake quickstart" '^    0 \|    0:   0\.0000' "$mdir/build/quickstart"
both "cmake faiss_named" '^faiss_c: 3 vectors; nearest 1 \(0\.0625\), then 0' "$mdir/build/faiss_named"

# ---------------------------------------------------------------------------------------------
[[ -n $go_bin ]] || fail "go is not on PATH"
step "Go program against the module, served by a module proxy (GOPROXY=file://...)"
module=github.com/faissx/faissx/bindings/go
gover="v$version"
proxy="$(mktemp -d "$work/goproxy.XXXX")"
# The module's files as a published version holds them: a zip in the proxy's layout.
python3 - "$root/bindings/go" "$proxy/$module/@v" "$module@$gover" <<'EOF'
import os, sys, zipfile
src, dest, prefix = sys.argv[1:]
os.makedirs(dest)
version = prefix.split("@")[1]
with zipfile.ZipFile(os.path.join(dest, version + ".zip"), "w") as z:
    for dirpath, dirnames, filenames in os.walk(src):
        # A nested module is not part of this one.
        dirnames[:] = sorted(d for d in dirnames
                             if not os.path.exists(os.path.join(dirpath, d, "go.mod")))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            z.write(path, prefix + "/" + os.path.relpath(path, src))
with open(os.path.join(src, "go.mod")) as f, open(os.path.join(dest, version + ".mod"), "w") as g:
    g.write(f.read())
with open(os.path.join(dest, version + ".info"), "w") as f:
    f.write('{"Version":"%s","Time":"2026-01-01T00:00:00Z"}\n' % version)
with open(os.path.join(dest, "list"), "w") as f:
    f.write(version + "\n")
EOF
gdir="$(mktemp -d "$work/go.XXXX")"
cat >"$gdir/main.go" <<'EOF'
// A go-faiss style program on faissx.
package main

import (
	"fmt"
	"os"

	faiss "github.com/faissx/faissx/bindings/go"
)

func main() {
	index, err := faiss.NewIndexFlatL2(4)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer index.Delete()
	xb := []float32{0, 0, 0, 0, 1, 1, 1, 1, 5, 5, 5, 5}
	if err := index.Add(xb); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	distances, labels, err := index.Search([]float32{1, 1, 1, 1.25}, 2)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("go: %d vectors; nearest %d (%.4f), then %d (%.4f)\n",
		index.Ntotal(), labels[0], distances[0], labels[1], distances[1])
}
EOF
# The build cache is content-addressed, so the user's can be shared (it saves compiling
# Go's standard library); the module cache and GOPATH are new.
gocache="$(go env GOCACHE)"
case "$gocache" in *"$root"*) gocache="$work/gocache" ;; esac
user_extra=(GOPATH="$work/gopath" GOMODCACHE="$work/gomodcache" GOCACHE="$gocache"
    GOPROXY="file://$proxy" GOSUMDB=off GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1)
(cd "$gdir" && user go mod init example.com/consumer >/dev/null 2>&1 &&
    user go get "$module@$gover" >"$work/go.log" 2>&1 &&
    user go build -o consumer . >>"$work/go.log" 2>&1) || { cat "$work/go.log" >&2; user_extra=(); fail "go build"; }
copy="$work/gomodcache/$module@$gover"
# (-w would not tell: root may write anything.)
[[ -f $copy/faiss.go ]] && (((8#$(stat -c %a "$copy/faiss.go") & 8#222) == 0)) ||
    fail "the module is not in the (read-only) module cache"
user_extra=()
no_checkout_paths "$gdir/consumer"
ok "go get $module@$gover, built from $copy (read-only) with #cgo pkg-config: faissx"
both "go consumer" '^go: 3 vectors; nearest 1 \(0\.0625\), then 0' "$gdir/consumer"

# ---------------------------------------------------------------------------------------------
step "CPU check: the libraries on an emulated CPU without the build's extensions"
command -v qemu-x86_64 >/dev/null || fail "qemu-x86_64 is not installed (Debian: qemu-user)"
# qemu64 is baseline x86-64 (SSE2); Haswell has AVX2, FMA, F16C and POPCNT. On either, a
# program either runs or gets faissx's refusal naming what is missing: never SIGILL.
for cpu in qemu64 Haswell; do
    rc=0
    out="$(user qemu-x86_64 -cpu "$cpu" "$cdir/quickstart" 2>&1)" || rc=$?
    out="$(echo "$out" | grep -v '^qemu-x86_64: warning' || true)"
    if ((rc == 0)) && echo "$out" | has '^    0 \|    0:   0\.0000'; then
        ok "-cpu $cpu: the quick start runs"
    elif ((rc == 1)) && echo "$out" | has '^faissx: this CPU lacks [a-z0-9.]+'; then
        ok "-cpu $cpu: refused at load: $(echo "$out" | grep -o 'lacks [^(]*')"
    else
        echo "$out" | sed 's/^/     /' >&2
        fail "-cpu $cpu: exit status $rc, neither a run nor faissx's refusal"
    fi
    rc=0
    out="$(user qemu-x86_64 -cpu "$cpu" "$prefix/bin/faissx-server" --version 2>&1)" || rc=$?
    if ! { ((rc == 0)) || { ((rc == 1)) && echo "$out" | has '^faissx: this CPU lacks'; }; }; then
        echo "$out" | sed 's/^/     /' >&2
        fail "-cpu $cpu: faissx-server exit status $rc"
    fi
    ok "-cpu $cpu: faissx-server $( ((rc == 0)) && echo runs || echo 'refuses the same way')"
done

# ---------------------------------------------------------------------------------------------
for hook in java node; do
    step "$hook: tests/install/$hook.sh $prefix $server_addr"
    bash "$here/$hook.sh" "$prefix" "$server_addr"
done

stop_server
echo
echo "install test: all checks passed"
