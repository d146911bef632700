'use strict';
// Shared by the test files: data, a brute-force reference and a faissx-server on loopback.

const { spawn } = require('node:child_process');
const path = require('node:path');
const assert = require('node:assert/strict');

const REPO = path.resolve(__dirname, '..', '..', '..');
const SERVER_BIN = process.env.FAISSX_SERVER_BIN || path.join(REPO, 'target', 'release', 'faissx-server');

/** n*d floats in [0, 1) from a fixed seed (mulberry32), the same on every run. */
function randomVectors(n, d, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/**
 * Exact k-NN in float64, independent of FAISS: squared L2 (ascending) or inner product
 * (descending). Returns flat { distances, labels } like Index.search.
 */
function bruteForce(xb, xq, d, k, metric = 'L2') {
  const nb = xb.length / d;
  const nq = xq.length / d;
  const distances = [];
  const labels = [];
  for (let q = 0; q < nq; q++) {
    const scored = [];
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const x = xq[q * d + j];
        const y = xb[b * d + j];
        s += metric === 'L2' ? (x - y) * (x - y) : x * y;
      }
      scored.push([s, b]);
    }
    scored.sort((u, v) => (metric === 'L2' ? u[0] - v[0] : v[0] - u[0]));
    for (let i = 0; i < k; i++) {
      distances.push(i < nb ? scored[i][0] : metric === 'L2' ? Infinity : -Infinity);
      labels.push(i < nb ? scored[i][1] : -1);
    }
  }
  return { distances, labels };
}

/** Same labels, distances equal to float32 precision. */
function assertSameResult(actual, expected, msg) {
  assert.deepEqual(Array.from(actual.labels, Number), Array.from(expected.labels, Number), msg);
  assert.equal(actual.distances.length, expected.distances.length, msg);
  for (let i = 0; i < expected.distances.length; i++) {
    const a = actual.distances[i];
    const e = expected.distances[i];
    assert.ok(Math.abs(a - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${msg ?? ''} distance ${i}: ${a} vs ${e}`);
  }
}

/** Fraction of the true k nearest neighbours found, over all queries. */
function recall(actual, expected, k) {
  let hits = 0;
  for (let q = 0; q < expected.labels.length / k; q++) {
    const truth = new Set(expected.labels.slice(q * k, (q + 1) * k));
    for (const l of actual.labels.slice(q * k, (q + 1) * k)) if (truth.has(Number(l))) hits++;
  }
  return hits / expected.labels.length;
}

/**
 * What FAISS's write_index gives for an IndexIDMap with these ids over the flat index whose
 * bytes (from toBuffer) are `flat`: the binding has no addWithIds, so its tests read IDMaps in.
 */
function idMapBuffer(flat, ids) {
  // The flat index's header (d, ntotal, two unused fields, is_trained, metric) is the IDMap's.
  const header = flat.subarray(4, 37);
  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(ids.length));
  const idBytes = Buffer.from(BigInt64Array.from(ids, BigInt).buffer);
  return Buffer.concat([Buffer.from('IxMp'), header, flat, count, idBytes]);
}

/** Starts faissx-server on an ephemeral loopback port; resolves to { address, stop() }. */
function startServer(extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVER_BIN, ['--bind-address', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = /listening on (tcp:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining so the server never blocks on a full pipe
        resolve({
          address: m[1],
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGKILL');
            }),
        });
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`faissx-server exited early (${code ?? signal}): ${out}`)));
  });
}

module.exports = { randomVectors, bruteForce, assertSameResult, recall, idMapBuffer, startServer, SERVER_BIN };
