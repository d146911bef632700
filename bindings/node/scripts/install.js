'use strict';
// `npm install` of the package: the prebuilt addon when it loads on this machine; otherwise (or
// with FAISSX_BUILD_FROM_SOURCE=1) a build against an installed libfaissx, found through
// FAISSX_PREFIX or `pkg-config faissx`. In the repository checkout: a build against target/release.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { rebuild } = require('./build');
const { ROOT, PLATFORM, PREBUILT } = require('./addon');
const { findPrefix, findPkgConfig } = require('./prefix');

const say = (message) => console.log(`faissx: ${message}`);

const repo = path.resolve(ROOT, '..', '..');
if (fs.existsSync(path.join(repo, 'Cargo.toml')) && fs.existsSync(path.join(repo, 'include', 'faissx_c.h'))) {
  process.exit(rebuild(ROOT));
}

// FAISSX_BUILD_FROM_SOURCE=1; npm_config_build_from_source is the convention of node-pre-gyp and
// prebuild-install (`npm install --build-from-source`), which npm says it will stop passing on.
const truthy = (v) => /^(true|1|yes)$/i.test(v || '');
const fromSource = truthy(process.env.FAISSX_BUILD_FROM_SOURCE) || truthy(process.env.npm_config_build_from_source);
if (!fromSource && fs.existsSync(PREBUILT)) {
  // Loading is the test that counts: the platform, the C library version, FAISS's BLAS.
  const load = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', PREBUILT], { encoding: 'utf8' });
  if (load.status === 0) {
    say(`using the prebuilt addon for ${PLATFORM}`);
    process.exit(0);
  }
  say(`the prebuilt addon for ${PLATFORM} does not load here (${(load.stderr.trim().split('\n')[0] || '').slice(0, 300)}); building from an installed libfaissx`);
} else if (!fromSource) {
  say(`no prebuilt addon for ${PLATFORM}; building from an installed libfaissx`);
}

let found = null;
let from = '';
if (process.env.FAISSX_PREFIX) {
  found = findPrefix(process.env.FAISSX_PREFIX);
  from = `FAISSX_PREFIX=${process.env.FAISSX_PREFIX}`;
  if (found === null) {
    console.error(`faissx: ${from} has no lib/libfaissx.so and include/faissx_c.h`);
    process.exit(1);
  }
} else {
  found = findPkgConfig();
  from = 'pkg-config faissx';
}
if (found === null) {
  console.error(
    'faissx: no installed libfaissx found: set FAISSX_PREFIX to its install prefix, or put its ' +
      'faissx.pc on PKG_CONFIG_PATH (a C compiler, make and python3 are needed too)',
  );
  process.exit(1);
}
say(`building against ${found.libDir} (${from})`);
process.exit(rebuild(ROOT, { faissx_mode: 'prefix', faissx_lib_dir: found.libDir, faissx_include_dir: found.includeDir }));
