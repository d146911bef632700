'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const faissx = require('..');
const { IndexFlatL2, ErrorCode } = faissx;
const { startServer } = require('../testutil/helpers');
const { assertCode } = require('../testutil/suite');

test('a dead server gives TRANSPORT errors (-10) naming it, from sync and async calls', async () => {
  const server = await startServer();
  faissx.setOption('timeout_ms', 500);
  faissx.configureRecovery(0, 0.01, 1);
  faissx.configure(server.address);
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
