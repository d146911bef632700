'use strict';
// Quick start: the same code against an in-process index, then against a faissx-server.
//   node example.js                      starts ../../target/release/faissx-server for the demo
//   node example.js tcp://host:45678     uses a running server
const { spawn } = require('node:child_process');
const path = require('node:path');
const faissx = require('.');
const { IndexFlatL2, Index } = faissx;

const d = 64;
const nb = 10000;
const nq = 5;
const k = 4;

// Fixed-seed data (an LCG), so every run prints the same neighbours.
let state = 42;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const xb = Float32Array.from({ length: nb * d }, random);
const xq = xb.slice(0, nq * d); // the first vectors: each is its own nearest neighbour

async function quickStart(label) {
  const index = new IndexFlatL2(d);
  try {
    index.add(xb);
    const { distances, labels } = index.search(xq, k);
    console.log(`${label}: ntotal=${index.ntotal()} remote=${index.isRemote()}`);
    for (let q = 0; q < nq; q++) {
      const row = labels.slice(q * k, (q + 1) * k);
      const dist = distances.slice(q * k, (q + 1) * k).map((x) => x.toFixed(3));
      console.log(`  query ${q}: labels ${row.join(' ')}  distances ${dist.join(' ')}`);
    }
    // Off the event loop, on the libuv thread pool; labels as BigInt64Array on request.
    const res = await index.searchAsync(xq, 1, { bigint: true });
    console.log(`  searchAsync nearest: ${Array.from(res.labels).join(' ')}`);

    const ivf = Index.fromFactory(d, 'IVF64,Flat');
    ivf.train(xb);
    ivf.add(xb);
    ivf.setParameter('nprobe', 8);
    console.log(`  IVF64,Flat nearest: ${ivf.search(xq, 1).labels.join(' ')}`);
    ivf.free();
  } finally {
    index.free();
  }
}

function startServer() {
  const bin = path.join(__dirname, '..', '..', 'target', 'release', 'faissx-server');
  const child = spawn(bin, ['--bind-address', '127.0.0.1', '--port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (tcp:\/\/\S+)/.exec(out);
      if (m) resolve({ address: m[1], stop: () => child.kill() });
    });
  });
}

async function main() {
  console.log(faissx.version());
  faissx.configure(null);
  await quickStart('local');

  const server = process.argv[2] ? { address: process.argv[2], stop() {} } : await startServer();
  try {
    faissx.configure(server.address); // indexes created from now on live on the server
    await quickStart(`remote (${server.address})`);
  } finally {
    faissx.configure(null);
    server.stop();
  }
}

main().catch((err) => {
  console.error(`error ${err.code}: ${err.message}`);
  process.exitCode = 1;
});
