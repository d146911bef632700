#!/usr/bin/env bash
# faiss-node's API, measured by faiss-node itself:
#   1. faiss-node 0.5.1's own jest suite (test/*.test.js of its npm tarball), unchanged, with its
#      `require('../lib')` resolved to our package instead of its addon;
#   2. testutil/faiss-node-program.ts, type-checked against faiss-node's index.d.ts and then ours.
#
#   ./faiss_node_suite.sh [PACKAGE_DIR]   (default: this directory; e.g. an installed node_modules/faissx)
#
# faiss-node's tarball and the tools (jest, typescript, @types/node) come from the npm registry
# the first time and are kept in $FAISSX_NODE_TEST_CACHE (default ~/.cache/faissx-node-tests);
# later runs are offline. Nothing of faiss-node is kept in this repository.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PKG="$(cd "${1:-$HERE}" && pwd)"
CACHE="${FAISSX_NODE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/faissx-node-tests}"
FAISS_NODE_VERSION=0.5.1
FAISS_NODE_TESTS=33 # in its test/Index.test.js and test/IndexFlatL2.test.js
TOOLS="$CACHE/tools-jest29.7.0-ts5.9.3"

mkdir -p "$CACHE"
TARBALL="$CACHE/faiss-node-$FAISS_NODE_VERSION.tgz"
if [[ ! -s "$TARBALL" ]]; then
  # npm pack checks the registry's integrity hash; the partial file never takes the final name.
  mkdir -p "$CACHE/download.$$"
  (cd "$CACHE/download.$$" && npm pack "faiss-node@$FAISS_NODE_VERSION" --silent >/dev/null)
  mv "$CACHE/download.$$/faiss-node-$FAISS_NODE_VERSION.tgz" "$TARBALL"
  rm -rf "$CACHE/download.$$"
fi
if [[ ! -f "$TOOLS/.complete" ]]; then
  rm -rf "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-package-lock --silent \
    jest@29.7.0 typescript@5.9.3 @types/node@20.19.9
  touch "$TOOLS/.complete"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar xzf "$TARBALL" -C "$WORK" # -> $WORK/package
count="$(grep -c "^\s*it(" "$WORK"/package/test/*.test.js | awk -F: '{ n += $2 } END { print n }')"
[[ "$count" == "$FAISS_NODE_TESTS" ]] || { echo "faiss_node_suite.sh: expected $FAISS_NODE_TESTS tests in faiss-node's tarball, found $count" >&2; exit 1; }

# Only the module their tests load changes; no transform, so the files run exactly as shipped.
cat >"$WORK/jest.config.js" <<EOF
module.exports = {
  rootDir: $(node -p 'JSON.stringify(process.argv[1])' "$WORK/package"),
  testMatch: ['<rootDir>/test/**/*.test.js'],
  moduleNameMapper: { '^\\\\.\\\\./lib\$': $(node -p 'JSON.stringify(process.argv[1])' "$PKG") },
  transform: {},
  testEnvironment: 'node',
};
EOF
# Their read test writes _tmp.test.read.index into the working directory. Local mode: their
# tests assume in-process indexes (a server's would outlive a failed test).
(cd "$WORK" && env -u FAISSX_SERVER node "$TOOLS/node_modules/jest/bin/jest.js" --config "$WORK/jest.config.js" --ci \
  --json --outputFile="$WORK/jest.json" 2>"$WORK/jest.log") || true
node -e '
  const r = require(process.argv[1]);
  const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== "passed")
    .map((a) => `  ${a.fullName}: ${(a.failureMessages[0] || a.status).split("\n")[0]}`));
  console.log(`faiss-node ${process.argv[2]} jest suite: ${r.numPassedTests} of ${r.numTotalTests} pass`);
  if (failed.length) console.log(failed.join("\n"));
  process.exit(r.success && r.numPassedTests === Number(process.argv[3]) ? 0 : 1);
' "$WORK/jest.json" "$FAISS_NODE_VERSION" "$FAISS_NODE_TESTS" || { cat "$WORK/jest.log" >&2; exit 1; }

# The same program, typed first against faiss-node's declarations, then against ours.
typecheck() { # $1: declarations that 'faiss-node' resolves to
  cat >"$WORK/tsconfig.json" <<EOF
{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "ES2022", "module": "commonjs", "moduleResolution": "node",
    "typeRoots": [$(node -p 'JSON.stringify(process.argv[1])' "$TOOLS/node_modules/@types")], "types": ["node"],
    "paths": { "faiss-node": [$(node -p 'JSON.stringify(process.argv[1])' "$1")] }
  },
  "files": [$(node -p 'JSON.stringify(process.argv[1])' "$HERE/testutil/faiss-node-program.ts")]
}
EOF
  node "$TOOLS/node_modules/typescript/bin/tsc" -p "$WORK/tsconfig.json"
}
typecheck "$WORK/package/lib/index.d.ts"
typecheck "$PKG/index.d.ts"
echo "testutil/faiss-node-program.ts: type-checks against faiss-node's index.d.ts and against $PKG/index.d.ts"
