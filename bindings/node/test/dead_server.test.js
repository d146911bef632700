'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const faissx = require('..');
const { Index, IndexFlatL2, ErrorCode, MetricType } = faissx;
const { startServer } = require('../testutil/helpers');
const { assertCode } = require('../testutil/suite');

// Remote mode against a fresh server, impatient: without short timeouts and no retries, each
// call to the dead server would wait 5 s for a connection.
async function impatientServer() {
  const server = await startServer();
  faissx.setOption('timeout_ms', 500);
  faissx.setOption('connect_timeout_ms', 500);
  faissx.configureRecovery(0, 0.01, 1);
  faissx.configure(server.address);
  return server;
}

test('a dead server gives TRANSPORT errors (-10) naming it, from sync and async calls', async () => {
  const server = await impatientServer();
  const index = new IndexFlatL2(4);
  index.add([0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(index.search([1, 1, 1, 1], 1).labels, [1]);

  await server.stop();
  const port = server.address.split(':').pop();
  const names = new RegExp(port);
  assert.equal(ErrorCode.TRANSPORT, -10);
  assertCode(-10, () => index.search([1, 1, 1, 1], 1), names);
  await assertCode(-10, index.searchAsync([1, 1, 1, 1], 1), names);
  await assertCode(-10, index.addAsync([2, 2, 2, 2]), names);
  assertCode(-10, () => index.ntotal(), names);
  assertCode(-10, () => new IndexFlatL2(4), names);
  index.free();
});

// Getters return no error code in the C API: a genuine 0 or false from a live server must not
// throw, and a dead server must throw instead of passing for one.
test('getters throw TRANSPORT (-10) when the server is gone, not 0 or false', async () => {
  const server = await impatientServer();
  const empty = new IndexFlatL2(4);
  const ivf = Index.fromFactory(4, 'IVF2,Flat');
  assert.equal(empty.isRemote(), true);
  assert.equal(ivf.isRemote(), true);
  assert.equal(empty.ntotal(), 0);
  assert.equal(ivf.ntotal(), 0);
  assert.equal(ivf.isTrained(), false);

  await server.stop();
  assertCode(ErrorCode.TRANSPORT, () => empty.ntotal(), /faissx_Index_ntotal/);
  assertCode(ErrorCode.TRANSPORT, () => ivf.ntotal(), /faissx_Index_ntotal/);
  assertCode(ErrorCode.TRANSPORT, () => ivf.isTrained(), /faissx_Index_is_trained/);
  // Fixed at creation and kept by the client: answered without the server.
  assert.equal(empty.getDimension(), 4);
  assert.equal(empty.metricType(), MetricType.METRIC_L2);
  empty.free();
  ivf.free();
});
