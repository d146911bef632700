'use strict';
// Where an installed libfaissx is: { libDir, includeDir } or null.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HEADER = 'faissx_c.h';

function withLib(dirs) {
  return dirs.find((dir) => dir && fs.existsSync(path.join(dir, 'libfaissx.so'))) || null;
}

function withHeader(dirs) {
  return dirs.find((dir) => dir && fs.existsSync(path.join(dir, HEADER))) || null;
}

/** An install prefix: PREFIX/{lib,lib64,lib/<multiarch>}/libfaissx.so and PREFIX/include/faissx_c.h. */
function findPrefix(prefix) {
  const libRoot = path.join(prefix, 'lib');
  const multiarch = fs.existsSync(libRoot)
    ? fs.readdirSync(libRoot).filter((name) => /-linux-/.test(name)).map((name) => path.join(libRoot, name))
    : [];
  const libDir = withLib([libRoot, path.join(prefix, 'lib64'), ...multiarch]);
  const includeDir = withHeader([path.join(prefix, 'include'), path.join(prefix, 'include', 'faissx')]);
  return libDir && includeDir ? { libDir, includeDir } : null;
}

function pkgConfig(...args) {
  const res = spawnSync('pkg-config', [...args, 'faissx'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : null;
}

/** What `pkg-config faissx` (faissx.pc, on PKG_CONFIG_PATH) says, or null. */
function findPkgConfig() {
  if (pkgConfig('--exists') === null) return null;
  const flagDirs = (flags, option) =>
    (flags || '').split(/\s+/).filter((f) => f.startsWith(option)).map((f) => f.slice(option.length));
  const libDir = withLib([pkgConfig('--variable=libdir'), ...flagDirs(pkgConfig('--libs-only-L'), '-L')]);
  const includeDir = withHeader([
    ...flagDirs(pkgConfig('--cflags-only-I'), '-I'),
    pkgConfig('--variable=includedir'),
  ]);
  return libDir && includeDir ? { libDir, includeDir } : null;
}

module.exports = { findPrefix, findPkgConfig };
