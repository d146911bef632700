#!/usr/bin/env bash
# The Node package as a user gets it:
#   1. `npm pack` in bindings/node: a tarball with the prebuilt addon and libfaissx for this
#      platform, the addon needing libfaissx by SONAME through RUNPATH $ORIGIN alone;
#   2. in a fresh project, `npm install ./faissx-<version>.tgz` with no flags and no network
#      (a network namespace without interfaces where `unshare -n` is allowed, else an unreachable
#      registry) and an empty npm cache;
#   3. a program there runs a search locally, then the same program with FAISSX_SERVER naming a
#      faissx-server on a loopback port; it loads the package's own libfaissx, from an environment
#      that names nothing of the checkout;
#   4. faiss-node 0.5.1's own jest suite and a program typed against faiss-node's index.d.ts,
#      against the installed package (bindings/node/faiss_node_suite.sh);
#   5. no prebuilt addon for the platform: the install builds against an installed libfaissx found
#      through FAISSX_PREFIX, then through `pkg-config faissx`; FAISSX_BUILD_FROM_SOURCE=1 too.
#
# Usage: tests/install/node.sh [PREFIX]
#   PREFIX: an installed faissx (PREFIX/lib/libfaissx.so, PREFIX/include/faissx_c.h,
#   PREFIX/bin/faissx-server, PREFIX/lib/pkgconfig/faissx.pc): the package then ships that
#   libfaissx and step 5 builds against it. Without it, the checkout's own (after
#   `cargo build --release`), and step 5 uses a prefix laid out from it in a temporary folder.
# Needs node >= 18 with npm, a C compiler, make and python3 (node-gyp), readelf; the npm registry
# only for step 4's first run (cached in ~/.cache/faissx-node-tests).
# Prints a closing `node-install: N passed, M failed` line; exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binding="$root/bindings/node"
prefix="${1:-}"
if [ -n "$prefix" ]; then prefix="$(cd "$prefix" && pwd)"; fi

server="$root/target/release/faissx-server"
if [ -n "$prefix" ] && [ -x "$prefix/bin/faissx-server" ]; then
  server="$prefix/bin/faissx-server"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/faissx-node-install.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1" >&2; failed=$((failed + 1)); }
finish() {
  echo "node-install: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
    exit 0
  fi
  exit 1
}

# Offline for npm: no network at all where allowed; else a registry nothing answers on.
if unshare -n true 2>/dev/null; then
  offline() { unshare -n "$@"; }
  offline_how="in a network namespace without interfaces"
elif unshare -rn true 2>/dev/null; then
  offline() { unshare -rn "$@"; }
  offline_how="in a user and network namespace without interfaces"
else
  offline() { env npm_config_registry=http://127.0.0.1:9/ "$@"; }
  offline_how="with the registry pointed at a closed loopback port"
fi

# A consumer's environment: nothing of the checkout, no library path, an empty npm cache.
consumer_env() { # $1: project folder; then the command
  local project="$1"
  shift
  env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" HOME="$project/home" \
    npm_config_cache="$project/npm-cache" npm_config_update_notifier=false "$@"
}

# --- 1. npm pack -------------------------------------------------------------------------------
if (cd "$binding" && env ${prefix:+FAISSX_PREFIX="$prefix"} npm pack --pack-destination "$work" >"$work/pack.log" 2>&1); then
  tarball="$(ls "$work"/faissx-*.tgz)"
  pass "npm pack -> $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"
else
  cat "$work/pack.log" >&2
  fail "npm pack in bindings/node"
  finish
fi
private="$(tar xzf "$tarball" -O package/package.json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).private === true)')"
[ "$private" = false ] && pass "package.json is not private" || fail "package.json is private"

mkdir -p "$work/unpacked"
tar xzf "$tarball" -C "$work/unpacked"
platform="$(node -p 'process.platform + "-" + process.arch')"
addon="$work/unpacked/package/prebuilds/$platform/faissx.node"
if [ -f "$addon" ]; then
  needed="$(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(libfaissx[^]]*\)\]$/\1/p')"
  runpath="$(readelf -d "$addon" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]$/\2/p')"
  lib_paths="$(readelf -d "$work/unpacked/package/prebuilds/$platform/$needed" 2>/dev/null | grep -E '\((RPATH|RUNPATH)\)' || true)"
  if [ -n "$needed" ] && [ -f "$work/unpacked/package/prebuilds/$platform/$needed" ] && [ "$runpath" = '$ORIGIN' ] &&
     [ -z "$lib_paths" ] && ! grep -q "$root" "$addon"; then
    pass "tarball carries prebuilds/$platform/{faissx.node, $needed}; the addon needs $needed, RUNPATH \$ORIGIN, no checkout path"
  else
    fail "prebuilt addon: NEEDED '$needed', RUNPATH '$runpath', libfaissx's own paths '$lib_paths'"
  fi
else
  fail "no prebuilds/$platform/faissx.node in the tarball"
fi

# --- 2. install, offline, no flags ---------------------------------------------------------------
new_project() { # $1: folder; a fresh npm project holding the tarball
  mkdir -p "$1/home"
  cp "$tarball" "$1/"
  (cd "$1" && consumer_env "$1" npm init -y >/dev/null)
}
project="$work/project"
new_project "$project"
if (cd "$project" && offline env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" HOME="$project/home" \
      npm_config_cache="$project/npm-cache" npm_config_update_notifier=false \
      npm install "./$(basename "$tarball")" >"$work/install.log" 2>&1); then
  pass "npm install ./$(basename "$tarball") in a fresh project, $offline_how, empty cache"
else
  cat "$work/install.log" >&2
  fail "npm install ./$(basename "$tarball") offline"
  finish
fi
if [ ! -e "$project/node_modules/faissx/build" ]; then
  pass "nothing was compiled: the prebuilt addon is used"
else
  fail "the install compiled the addon although a prebuilt one fits"
fi

# --- 3. a search, local and remote ---------------------------------------------------------------
cat >"$work/search.js" <<'EOF'
// Exact search through the installed package: each of the first vectors finds itself first.
const fs = require('node:fs');
const { IndexFlatL2, version } = require('faissx');
const d = 8;
const nb = 200;
let state = 7;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const xb = Array.from({ length: nb * d }, random);
const index = new IndexFlatL2(d);
index.add(xb);
const { labels, distances } = index.search(xb.slice(0, 3 * d), 2);
const remote = index.isRemote();
index.free();
const ok = labels[0] === 0 && labels[2] === 1 && labels[4] === 2 && distances[0] === 0 && distances[1] > 0;
// The libfaissx mapped into this process is the one next to the addon.
const lib = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).find((p) => /libfaissx\.so/.test(p || ''));
console.log(JSON.stringify({ ok, remote, lib, version: version() }));
process.exit(ok ? 0 : 1);
EOF
cp "$work/search.js" "$project/search.js"
run_search() { # $1: expected remote; then extra env assignments
  local want="$1"
  shift
  local out
  if out="$(cd "$project" && consumer_env "$project" "$@" node search.js 2>&1)" &&
     node -e '
       const r = JSON.parse(process.argv[1]);
       const ok = r.ok && r.remote === (process.argv[2] === "true") && r.lib.startsWith(process.argv[3]);
       process.exit(ok ? 0 : 1);' "$out" "$want" "$project/node_modules/faissx/prebuilds/$platform/"; then
    echo "$out"
    return 0
  fi
  echo "$out" >&2
  return 1
}
if out="$(run_search false)"; then
  pass "search in process, with the package's libfaissx: $out"
else
  fail "local search from the installed package"
fi

if [ -x "$server" ]; then
  "$server" --bind-address 127.0.0.1 --port 0 --log-level warn >"$work/server.log" 2>&1 &
  server_pid=$!
  address=""
  for _ in $(seq 100); do
    address="$(sed -n 's/.*listening on \(tcp:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/server.log" | head -n1)"
    [ -n "$address" ] && break
    sleep 0.1
  done
  if [ -n "$address" ] && out="$(run_search true FAISSX_SERVER="$address")"; then
    pass "the same program with FAISSX_SERVER=$address: $out"
  else
    cat "$work/server.log" >&2
    fail "remote search from the installed package (server at '${address:-none}')"
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
else
  fail "no faissx-server at $server"
fi

# --- 4. faiss-node's own suite and types, against the installed package --------------------------
if suite="$("$binding/faiss_node_suite.sh" "$project/node_modules/faissx" 2>&1)"; then
  pass "$(echo "$suite" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
else
  echo "$suite" >&2
  fail "faiss-node's suite against the installed package"
fi

# --- 5. no prebuilt for the platform: build against an installed libfaissx -----------------------
if [ -n "$prefix" ]; then
  build_prefix="$prefix"
else
  # An install's layout, from the checkout: lib/libfaissx.so.0, its -lfaissx link, the header.
  build_prefix="$work/prefix"
  mkdir -p "$build_prefix/lib/pkgconfig" "$build_prefix/include"
  cp "$root/target/release/libfaissx.so" "$build_prefix/lib/libfaissx.so.0"
  ln -s libfaissx.so.0 "$build_prefix/lib/libfaissx.so"
  cp "$root/include/faissx_c.h" "$build_prefix/include/"
  cat >"$build_prefix/lib/pkgconfig/faissx.pc" <<EOF
prefix=$build_prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: faissx
Description: FAISS through one C library, local or remote
Version: 0.1.0
Libs: -L\${libdir} -lfaissx
Cflags: -I\${includedir}
EOF
fi
# The same package with no prebuilds/ inside: as on a platform it was not built for.
(cd "$work/unpacked" && rm -rf package/prebuilds && tar czf "$work/faissx-noprebuilt.tgz" package)

fallbacks=0
fallback() { # $1: label; $2: tarball; then env assignments for the install
  local label="$1" tgz="$2"
  shift 2
  fallbacks=$((fallbacks + 1))
  local dir="$work/fallback$fallbacks"
  new_project "$dir"
  cp "$tgz" "$dir/"
  cp "$work/search.js" "$dir/search.js"
  if (cd "$dir" && offline env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" HOME="$dir/home" \
        npm_config_cache="$dir/npm-cache" npm_config_update_notifier=false "$@" \
        npm install "./$(basename "$tgz")" >"$dir/install.log" 2>&1) &&
     [ -f "$dir/node_modules/faissx/build/Release/faissx.node" ] &&
     readelf -d "$dir/node_modules/faissx/build/Release/faissx.node" | grep -q "RUNPATH.*\[$libdir\]" &&
     out="$(cd "$dir" && consumer_env "$dir" node search.js)" &&
     node -e 'const r = JSON.parse(process.argv[1]); process.exit(r.ok && r.lib.startsWith(process.argv[2]) ? 0 : 1)' \
       "$out" "$(readlink -f "$libdir")"; then
    pass "$label: built against $libdir, searches: $out"
  else
    cat "$dir/install.log" >&2
    fail "$label"
  fi
}
libdir=""
for dir in "$build_prefix/lib" "$build_prefix/lib64"; do
  if [ -e "$dir/libfaissx.so" ]; then libdir="$dir"; break; fi
done
if [ -z "$libdir" ]; then
  fail "no libfaissx.so under $build_prefix/lib or lib64"
else
  fallback "no prebuilt, FAISSX_PREFIX" "$work/faissx-noprebuilt.tgz" FAISSX_PREFIX="$build_prefix"
  pc_dir="$(dirname "$(ls "$build_prefix"/lib*/pkgconfig/faissx.pc 2>/dev/null | head -n1)")"
  if [ -f "$pc_dir/faissx.pc" ]; then
    fallback "no prebuilt, pkg-config" "$work/faissx-noprebuilt.tgz" PKG_CONFIG_PATH="$pc_dir"
  else
    fail "no faissx.pc under $build_prefix/lib*/pkgconfig"
  fi
  # With nothing to build against, the install fails and says what it needs.
  mkdir -p "$work/no-pc" "$work/fallback-none/home"
  cp "$work/faissx-noprebuilt.tgz" "$work/fallback-none/"
  (cd "$work/fallback-none" && consumer_env "$work/fallback-none" npm init -y >/dev/null)
  if ! (cd "$work/fallback-none" && offline env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" \
          HOME="$work/fallback-none/home" npm_config_cache="$work/fallback-none/npm-cache" PKG_CONFIG_LIBDIR="$work/no-pc" \
          npm install ./faissx-noprebuilt.tgz >"$work/fallback-none/install.log" 2>&1) &&
     grep -q "no installed libfaissx found: set FAISSX_PREFIX" "$work/fallback-none/install.log"; then
    pass "no prebuilt and no installed libfaissx: the install fails, naming FAISSX_PREFIX and faissx.pc"
  else
    cat "$work/fallback-none/install.log" >&2
    fail "an install with nothing to build against"
  fi
  fallback "FAISSX_BUILD_FROM_SOURCE=1 with a prebuilt that fits" "$tarball" FAISSX_PREFIX="$build_prefix" FAISSX_BUILD_FROM_SOURCE=1
fi

finish
