'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const faissx = require('..');
const { IndexFlatL2, ErrorCode } = faissx;
const { startServer } = require('../testutil/helpers');
const { assertCode } = require('../testutil/suite');

let server;
before(async () => {
  server = await startServer(['--auth-keys', 'node-key:tenant-a', '--enable-auth']);
});
after(() => server.stop());

test('configure passes the API key and tenant', () => {
  faissx.configure(server.address, 'node-key', 'tenant-a');
  const index = new IndexFlatL2(2);
  assert.equal(index.isRemote(), true);
  index.add([0, 0, 3, 4]);
  assert.deepEqual(index.search([3, 4], 1), { distances: [0], labels: [1] });
  index.free();
});

test('a wrong API key is refused with AUTH (-11)', () => {
  faissx.setOption('timeout_ms', 2000);
  faissx.configure(server.address, 'wrong-key', 'tenant-a');
  assertCode(ErrorCode.AUTH, () => new IndexFlatL2(2));
});
