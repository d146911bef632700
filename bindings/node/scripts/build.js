'use strict';
// node-gyp for this addon. Run as a script (`npm run build`): builds against the checkout's
// libfaissx (target/release). Used by install.js and prebuild.js for the other modes of
// binding.gyp.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The headers of the running Node (include/node next to its bin/), when it has them, so node-gyp
// downloads nothing and the build works offline with distribution packages.
function localNodedir() {
  const nodedir = process.env.npm_config_nodedir || path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h')) ? nodedir : null;
}

// npm puts its bundled node-gyp on PATH for scripts; outside npm, find the copy inside npm.
function nodeGyp() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    const npmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
    const bundled = path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (fs.existsSync(bundled)) return [process.execPath, bundled];
    return ['node-gyp'];
  }
}

/** `node-gyp rebuild` in `dir` with binding.gyp variables `vars`; returns the exit status. */
function rebuild(dir, vars = {}, extraArgs = []) {
  const nodedir = localNodedir();
  if (nodedir === null) {
    console.error('faissx: no Node headers next to this node; node-gyp fetches them (needs the network once)');
  }
  const args = ['rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  for (const [name, value] of Object.entries(vars)) args.push(`--${name}=${value}`);
  const [cmd, ...pre] = nodeGyp();
  const res = spawnSync(cmd, [...pre, ...args, ...extraArgs], { stdio: 'inherit', cwd: dir });
  if (res.error) {
    console.error(`faissx: cannot run node-gyp: ${res.error.message}`);
    return 1;
  }
  return res.status ?? 1;
}

module.exports = { rebuild };

if (require.main === module) {
  process.exit(rebuild(path.join(__dirname, '..'), {}, process.argv.slice(2)));
}
