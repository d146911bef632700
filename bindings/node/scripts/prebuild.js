'use strict';
// `npm pack` (prepack): puts into prebuilds/<platform>-<arch>/ the addon and the libfaissx it
// links, so that `npm install faissx-<version>.tgz` needs no compiler, no network and no faissx
// installed. The addon records libfaissx by its SONAME (libfaissx.so.0) and finds it through
// RUNPATH $ORIGIN alone: no path of this machine goes into the package.
//
// libfaissx comes from FAISSX_PREFIX when set (an installed faissx: lib/ or lib64/, include/),
// else from this checkout (target/release after `cargo build --release`, include/).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { rebuild } = require('./build');
const { ROOT, PREBUILT_DIR, PREBUILT } = require('./addon');
const { findPrefix } = require('./prefix');

function fail(message) {
  console.error(`faissx prebuild: ${message}`);
  process.exit(1);
}

function dynamicSection(file) {
  const res = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
  if (res.status !== 0) fail(`readelf -d ${file} failed (binutils needed): ${res.stderr || res.error}`);
  const entries = [];
  for (const m of res.stdout.matchAll(/\((\w+)\)\s+[^[]*\[([^\]]*)\]/g)) entries.push({ tag: m[1], value: m[2] });
  return entries;
}

let source;
if (process.env.FAISSX_PREFIX) {
  source = findPrefix(process.env.FAISSX_PREFIX);
  if (source === null) fail(`FAISSX_PREFIX=${process.env.FAISSX_PREFIX} has no lib/libfaissx.so and include/faissx_c.h`);
} else {
  const repo = path.resolve(ROOT, '..', '..');
  source = { libDir: path.join(repo, 'target', 'release'), includeDir: path.join(repo, 'include') };
}
const lib = path.join(source.libDir, 'libfaissx.so');
if (!fs.existsSync(lib)) fail(`${lib} is missing (run 'cargo build --release' at the repository root, or set FAISSX_PREFIX)`);
if (!fs.existsSync(path.join(source.includeDir, 'faissx_c.h'))) fail(`no faissx_c.h in ${source.includeDir}`);

// The addon records the SONAME as NEEDED; a library without one would be recorded by file name.
const soname = dynamicSection(lib).find((e) => e.tag === 'SONAME');
const libFile = soname ? soname.value : 'libfaissx.so.0';

fs.rmSync(path.join(ROOT, 'prebuilds'), { recursive: true, force: true });
fs.mkdirSync(PREBUILT_DIR, { recursive: true });
const shipped = path.join(PREBUILT_DIR, libFile);
// Debug sections are three quarters of the file and of no use to an installed package.
const strip = spawnSync('objcopy', ['--strip-debug', lib, shipped], { stdio: 'inherit' });
if (strip.status !== 0) fs.copyFileSync(lib, shipped);

// Built in a scratch copy, so the checkout's own build/ (what the tests load) stays as it is.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'faissx-prebuild-'));
try {
  fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(scratch, 'binding.gyp'));
  fs.cpSync(path.join(ROOT, 'src'), path.join(scratch, 'src'), { recursive: true });
  const status = rebuild(scratch, {
    faissx_mode: 'prebuilt',
    faissx_lib_dir: PREBUILT_DIR,
    faissx_soname: libFile,
    faissx_include_dir: source.includeDir,
  });
  if (status !== 0) fail(`node-gyp failed (${status})`);
  fs.copyFileSync(path.join(scratch, 'build', 'Release', 'faissx.node'), PREBUILT);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

const dynamic = dynamicSection(PREBUILT);
const needed = dynamic.filter((e) => e.tag === 'NEEDED').map((e) => e.value);
const runpath = dynamic.filter((e) => e.tag === 'RUNPATH' || e.tag === 'RPATH').map((e) => `${e.tag}=${e.value}`);
if (!needed.includes(libFile)) fail(`the addon does not record ${libFile} as NEEDED: ${needed.join(', ')}`);
if (runpath.length !== 1 || runpath[0] !== 'RUNPATH=$ORIGIN') fail(`the addon's search path is not RUNPATH=$ORIGIN alone: ${runpath.join(', ')}`);

// It loads with nothing but its own folder to find libfaissx in.
const env = { ...process.env };
delete env.LD_LIBRARY_PATH;
const load = spawnSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).version())', PREBUILT], {
  encoding: 'utf8',
  env,
});
if (load.status !== 0) fail(`the prebuilt addon does not load: ${load.stderr}`);
console.log(`faissx prebuild: ${path.relative(ROOT, PREBUILT_DIR)}/{faissx.node,${libFile}} (${load.stdout.trim()})`);
