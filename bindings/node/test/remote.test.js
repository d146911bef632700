'use strict';
// Remote mode is process-wide, so it gets its own file (node --test runs each in a process).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const faissx = require('..');
const { Index, IndexFlatL2 } = faissx;
const { defineIndexTests } = require('../testutil/suite');
const { randomVectors, bruteForce, recall, startServer } = require('../testutil/helpers');

let server;
before(async () => {
  server = await startServer();
  faissx.configure(server.address);
});
after(() => server.stop());

defineIndexTests({ remote: true });

test('an HNSW index built locally searches the same when loaded on the server', () => {
  const d = 24;
  const xb = randomVectors(1000, d, 7);
  const xq = randomVectors(30, d, 8);
  faissx.configure(null);
  const local = Index.fromFactory(d, 'HNSW16');
  faissx.configure(server.address);
  try {
    assert.equal(local.isRemote(), false);
    local.add(xb);
    local.setParameter('efSearch', 64); // serialized with the index
    const remote = Index.fromBuffer(local.toBuffer());
    try {
      assert.equal(remote.isRemote(), true);
      const expected = local.search(xq, 10);
      assert.deepEqual(remote.search(xq, 10), expected);
      assert.ok(recall(expected, bruteForce(xb, xq, d, 10), 10) >= 0.9);
    } finally {
      remote.free();
    }
  } finally {
    local.free();
  }
});

test('configure(null) turns remote mode off for new indexes only', () => {
  const remote = new IndexFlatL2(4);
  faissx.configure(null);
  try {
    const local = new IndexFlatL2(4);
    assert.equal(local.isRemote(), false);
    local.free();
    assert.equal(remote.isRemote(), true);
    remote.add([1, 2, 3, 4]);
    assert.equal(remote.ntotal(), 1);
  } finally {
    remote.free();
    faissx.configure(server.address);
  }
});
