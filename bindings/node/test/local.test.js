'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const faissx = require('..');
const { defineIndexTests } = require('../testutil/suite');

// FAISSX_SERVER in the environment would make every index remote: local mode, explicitly.
faissx.configure(null);

test('version names faissx and FAISS', () => {
  assert.match(faissx.version(), /^faissx \d+\.\d+\.\d+ \(FAISS \d+\.\d+\.\d+\)$/);
});

defineIndexTests({ remote: false });
