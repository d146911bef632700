'use strict';
// Builds the addon against the headers of the running Node (include/node next to its bin/), so
// node-gyp never downloads headers: the build works offline with distribution packages.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const nodedir = process.env.npm_config_nodedir || path.resolve(path.dirname(process.execPath), '..');
if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`faissx: no Node headers under ${nodedir}/include/node (install the nodejs dev package or set npm_config_nodedir)`);
  process.exit(1);
}

// npm puts its bundled node-gyp on PATH for scripts; outside npm, find the copy inside npm.
function nodeGyp() {
  try {
    return [require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    const npmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
    const bundled = path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (fs.existsSync(bundled)) return [bundled];
    return null;
  }
}

const gyp = nodeGyp();
const args = ['rebuild', `--nodedir=${nodedir}`, ...process.argv.slice(2)];
const res = gyp
  ? spawnSync(process.execPath, [...gyp, ...args], { stdio: 'inherit', cwd: path.join(__dirname, '..') })
  : spawnSync('node-gyp', args, { stdio: 'inherit', cwd: path.join(__dirname, '..') });
if (res.error) {
  console.error(`faissx: cannot run node-gyp: ${res.error.message}`);
  process.exit(1);
}
process.exit(res.status ?? 1);
