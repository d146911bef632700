'use strict';
// Where the addon is: build/Release/ when it was built here (in the checkout, or at install time
// from an installed libfaissx), else the prebuilt one of this platform shipped in the package,
// next to its libfaissx (found through RUNPATH $ORIGIN).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BUILT = path.join(ROOT, 'build', 'Release', 'faissx.node');
const PLATFORM = `${process.platform}-${process.arch}`;
const PREBUILT_DIR = path.join(ROOT, 'prebuilds', PLATFORM);
const PREBUILT = path.join(PREBUILT_DIR, 'faissx.node');

function addonPath() {
  if (fs.existsSync(BUILT)) return BUILT;
  if (fs.existsSync(PREBUILT)) return PREBUILT;
  return null;
}

function load() {
  const file = addonPath();
  if (file === null) {
    throw new Error(
      `faissx: no addon for ${PLATFORM}: neither ${BUILT} nor ${PREBUILT} exists ` +
        '(with libfaissx installed, run `node scripts/install.js` in the package with FAISSX_PREFIX ' +
        'set or faissx.pc on PKG_CONFIG_PATH: see its README, "Install")',
    );
  }
  return require(file);
}

module.exports = { ROOT, BUILT, PLATFORM, PREBUILT_DIR, PREBUILT, addonPath, load };
