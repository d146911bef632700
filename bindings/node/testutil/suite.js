'use strict';
// The index and error checks, defined once and run by local.test.js and remote.test.js: a
// program that works locally must work unchanged against a faissx-server.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const faissx = require('..');
const { Index, IndexFlatL2, IndexFlatIP, MetricType, ErrorCode } = faissx;
const { randomVectors, bruteForce, assertSameResult, recall, idMapBuffer } = require('./helpers');

const D = 16;
const NB = 600;
const NQ = 20;
const K = 5;
const xb = randomVectors(NB, D, 1);
const xq = randomVectors(NQ, D, 2);

/** Asserts that fn throws (or, for a promise, rejects with) an Error with this faissx code. */
function assertCode(code, fn, pattern) {
  const check = (err) => {
    assert.ok(err instanceof Error, `expected an Error, got ${err}`);
    assert.equal(err.code, code, `code of: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
  if (typeof fn === 'function') return assert.throws(fn, check);
  return assert.rejects(fn, check);
}

function defineIndexTests({ remote }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faissx-node-'));
  const created = [];
  // Every index is checked to live where the mode says, and freed at the end of its test.
  const track = (index) => {
    assert.equal(index.isRemote(), remote, 'index lives in the expected mode');
    created.push(index);
    return index;
  };
  const cleanup = () => {
    while (created.length) created.pop().free();
  };

  test('IndexFlatL2 matches brute force, from number[] and Float32Array alike', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    assert.equal(index.getDimension(), D);
    assert.equal(index.isTrained(), true);
    assert.equal(index.ntotal(), 0);
    assert.equal(index.metricType(), MetricType.METRIC_L2);
    index.add(Array.from(xb));
    assert.equal(index.ntotal(), NB);

    const expected = bruteForce(xb, xq, D, K, 'L2');
    const fromArray = index.search(Array.from(xq), K);
    assert.ok(Array.isArray(fromArray.distances) && Array.isArray(fromArray.labels));
    assert.equal(typeof fromArray.labels[0], 'number');
    assertSameResult(fromArray, expected);
    assert.deepEqual(index.search(xq, K), fromArray);

    const viaTyped = track(new IndexFlatL2(D));
    viaTyped.add(xb);
    assert.deepEqual(viaTyped.search(xq, K), fromArray);
  });

  test('IndexFlatIP matches brute force by inner product', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatIP(D));
    assert.equal(index.metricType(), MetricType.METRIC_INNER_PRODUCT);
    index.add(xb);
    assertSameResult(index.search(xq, K), bruteForce(xb, xq, D, K, 'IP'));
  });

  test('k larger than ntotal is refused, as faiss-node does; padding with k <= ntotal is not', async (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb.subarray(0, 3 * D));
    const tooMany = /^Invalid the number of k \(cannot be given a value greater than `ntotal`: 3\)\.$/;
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq.subarray(0, D), 4), tooMany);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.searchAsync(xq.subarray(0, D), 4), tooMany);
    // It takes precedence over a wrong length or no query at all, as there.
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search([1, 2, 3], 4), tooMany);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search([], 4), tooMany);
    assert.deepEqual(index.search([], 3), { distances: [], labels: [] });
    const r = index.search(xq.subarray(0, D), 3);
    assertSameResult(r, bruteForce(xb.subarray(0, 3 * D), xq.subarray(0, D), D, 3));

    // An IVF probing one list pads with -1 although the index holds k vectors: no error.
    const ivf = track(Index.fromFactory(D, 'IVF8,Flat'));
    ivf.train(xb);
    ivf.add(xb);
    ivf.setParameter('nprobe', 1);
    const probed = ivf.search(xq.subarray(0, D), NB);
    assert.ok(probed.labels.includes(-1), 'one list of eight holds fewer than all vectors');
    assertCode(ErrorCode.INVALID_ARGUMENT, () => ivf.search(xq.subarray(0, D), NB + 1), new RegExp(`ntotal\`: ${NB}\\)`));
  });

  test('bigint option returns Float32Array distances and BigInt64Array labels', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    const plain = index.search(xq, K);
    const big = index.search(xq, K, { bigint: true });
    assert.ok(big.distances instanceof Float32Array);
    assert.ok(big.labels instanceof BigInt64Array);
    assert.deepEqual(Array.from(big.labels, Number), plain.labels);
    assert.deepEqual(Array.from(big.distances), plain.distances);
  });

  test('IVF with nprobe = nlist returns what the flat index returns', (t) => {
    t.after(cleanup);
    const nlist = 8;
    const ivf = track(Index.fromFactory(D, `IVF${nlist},Flat`, MetricType.METRIC_L2));
    assert.equal(ivf.isTrained(), false);
    ivf.train(xb);
    assert.equal(ivf.isTrained(), true);
    ivf.add(xb);
    ivf.setParameter('nprobe', nlist);
    const flat = track(new IndexFlatL2(D));
    flat.add(xb);
    assertSameResult(ivf.search(xq, K), flat.search(xq, K));
  });

  test('HNSW from the factory finds the true neighbours', (t) => {
    t.after(cleanup);
    const hnsw = track(Index.fromFactory(D, 'HNSW16'));
    assert.ok(hnsw instanceof Index);
    hnsw.add(xb);
    hnsw.setParameter('efSearch', 64);
    const r = hnsw.search(xq, 10);
    assert.ok(recall(r, bruteForce(xb, xq, D, 10), 10) >= 0.9);
  });

  test('write and read keep the index', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    const file = path.join(tmp, `flat-${remote}.faiss`);
    index.write(file);
    assert.ok(fs.statSync(file).size > NB * D * 4, 'the file is written on the client side');

    const back = track(IndexFlatL2.read(file));
    assert.ok(back instanceof IndexFlatL2);
    assert.equal(back.ntotal(), NB);
    assert.deepEqual(back.search(xq, K), index.search(xq, K));
    const generic = track(Index.read(file));
    assert.deepEqual(generic.search(xq, K), index.search(xq, K));
    // Reading as the wrong class is refused, not mislabelled.
    assertCode(ErrorCode.UNSUPPORTED, () => IndexFlatIP.read(file), /IndexFlatIP/);
  });

  test('toBuffer and fromBuffer round-trip', (t) => {
    t.after(cleanup);
    const index = track(Index.fromFactory(D, 'IVF4,Flat'));
    index.train(xb);
    index.add(xb);
    const buf = index.toBuffer();
    assert.ok(Buffer.isBuffer(buf) && buf.length > NB * D * 4);
    const back = track(Index.fromBuffer(buf));
    assert.equal(back.ntotal(), NB);
    assert.equal(back.isTrained(), true);
    assert.deepEqual(back.search(xq, K), index.search(xq, K));
    // The serialized bytes are the same FAISS format whatever the mode.
    assert.deepEqual(back.toBuffer(), buf);

    const flat = track(new IndexFlatIP(D));
    flat.add(xb);
    const flatBack = track(IndexFlatIP.fromBuffer(new Uint8Array(flat.toBuffer())));
    assert.ok(flatBack instanceof IndexFlatIP);
    assert.deepEqual(flatBack.search(xq, K), flat.search(xq, K));
  });

  test('mergeFrom moves the vectors of the other index', (t) => {
    t.after(cleanup);
    const half = (NB / 2) * D;
    const a = track(new IndexFlatL2(D));
    const b = track(new IndexFlatL2(D));
    a.add(xb.subarray(0, half));
    b.add(xb.subarray(half));
    a.mergeFrom(b);
    assert.equal(a.ntotal(), NB);
    assert.equal(b.ntotal(), 0);
    assertSameResult(a.search(xq, K), bruteForce(xb, xq, D, K));
    assertCode(ErrorCode.INVALID_ARGUMENT, () => a.mergeFrom(a), /itself/);
  });

  test('split parts hold successive runs of vectors and merge back into the index', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    const before = index.toBuffer();
    const parts = index.split(3).map(track);
    assert.equal(parts.length, 3);
    // A flat index's ids are positions: part k holds the next run of vectors, labelled from 0.
    let first = 0;
    for (const [k, part] of parts.entries()) {
      assert.ok(part instanceof IndexFlatL2, `part ${k} keeps the class`);
      const n = part.ntotal();
      assert.ok(n === Math.floor(NB / 3) || n === Math.ceil(NB / 3), `part ${k} holds ${n}`);
      const run = xb.subarray(first * D, (first + n) * D);
      assert.deepEqual(part.search(run.subarray(0, D), 1).labels, [0], `part ${k} starts at vector ${first}`);
      assertSameResult(part.search(xq, K), bruteForce(run, xq, D, K), `part ${k}`);
      first += n;
    }
    assert.equal(first, NB);
    assert.deepEqual(index.toBuffer(), before, 'split left the index as it was');

    const merged = track(Index.merge(parts));
    assert.ok(merged instanceof IndexFlatL2);
    assert.equal(merged.ntotal(), NB);
    assert.deepEqual(merged.search(xq, K), index.search(xq, K));
    assert.deepEqual(merged.toBuffer(), before);
    assert.equal(parts.reduce((sum, part) => sum + part.ntotal(), 0), NB, 'merge left the parts as they were');

    // One index twice: its vectors twice, the copy labelled after the original.
    const n = parts[0].ntotal();
    const twice = track(Index.merge([parts[0], parts[0]]));
    assert.equal(twice.ntotal(), 2 * n);
    assert.deepEqual(twice.search(xb.subarray(0, D), 2).labels.sort((a, b) => a - b), [0, n]);
  });

  test('merge and split keep the ids of IDMap indexes', (t) => {
    t.after(cleanup);
    const half = NB / 2;
    const ids = Array.from({ length: NB }, (_, i) => 5_000_000 - 11 * i);
    const idMap = (from, to) => {
      const flat = track(new IndexFlatL2(D));
      flat.add(xb.subarray(from * D, to * D));
      return track(Index.fromBuffer(idMapBuffer(flat.toBuffer(), ids.slice(from, to))));
    };
    const a = idMap(0, half);
    const b = idMap(half, NB);
    const merged = track(Index.merge([a, b]));
    assert.equal(merged.ntotal(), NB);
    assert.deepEqual([a.ntotal(), b.ntotal()], [half, NB - half], 'merge left the indexes as they were');
    // Every vector finds itself, under the id it was given.
    assert.deepEqual(merged.search(xb, 1).labels, ids);

    // Part k holds the k-th range of the sorted ids: the ids decrease, so part 0 holds b's.
    const [low, high] = merged.split(2).map(track);
    assert.deepEqual(low.search(xb.subarray(half * D), 1).labels, ids.slice(half));
    assert.deepEqual(high.search(xb.subarray(0, half * D), 1).labels, ids.slice(0, half));
  });

  test('merge and split failures carry their codes', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    const wide = track(new IndexFlatL2(D + 1));
    assertCode(ErrorCode.INVALID_ARGUMENT, () => Index.merge([index, wide]), /dimension/);
    const hnsw = track(Index.fromFactory(D, 'HNSW8'));
    hnsw.add(xb.subarray(0, 50 * D));
    assertCode(ErrorCode.FAISS, () => hnsw.split(2));
    assertCode(ErrorCode.FAISS, () => Index.merge([hnsw, hnsw]));
    assert.equal(hnsw.ntotal(), 50);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.split(0), /parts/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.split(-1), /parts/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => Index.merge([]), /at least 1/);
    assert.throws(() => index.split(1.5), TypeError);
    assert.throws(() => index.split('2'), TypeError);
    assert.throws(() => Index.merge(index), TypeError);
    assert.throws(() => Index.merge([index, {}]), TypeError);
    assert.equal(index.ntotal(), NB);
  });

  test('removeIds removes and renumbers like FAISS', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    assert.equal(index.removeIds([0, 2, 5]), 3);
    assert.equal(index.ntotal(), NB - 3);
    assert.equal(index.removeIds(new BigInt64Array([BigInt(NB + 10)])), 0);
    // A flat index shifts the ids after each removed one down.
    const kept = new Float32Array(xb.filter((_, i) => ![0, 2, 5].includes(Math.floor(i / D))));
    assertSameResult(index.search(xq, K), bruteForce(kept, xq, D, K));
  });

  test('reset empties the index', (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    index.reset();
    assert.equal(index.ntotal(), 0);
    index.add(xb.subarray(0, D));
    assert.equal(index.ntotal(), 1);
  });

  test('searchAsync and addAsync give the synchronous results', async (t) => {
    t.after(cleanup);
    const sync = track(new IndexFlatL2(D));
    sync.add(xb);
    const index = track(new IndexFlatL2(D));
    const input = Array.from(xb);
    const added = index.addAsync(input);
    input.fill(0); // the call works on its own copy
    assert.equal(await added, undefined);
    assert.equal(index.ntotal(), NB);

    const expected = sync.search(xq, K);
    assert.deepEqual(await index.searchAsync(xq, K), expected);
    assert.deepEqual(await index.searchAsync(Array.from(xq), K), expected);
    const big = await index.searchAsync(xq, K, { bigint: true });
    assert.ok(big.labels instanceof BigInt64Array && big.distances instanceof Float32Array);
    assert.deepEqual(Array.from(big.labels, Number), expected.labels);
    // Several searches in flight on one index at once.
    const all = await Promise.all(Array.from({ length: 8 }, () => index.searchAsync(xq, K)));
    for (const r of all) assert.deepEqual(r, expected);
  });

  test('the event loop keeps running during a large searchAsync', async (t) => {
    t.after(cleanup);
    const d = 64;
    const index = track(new IndexFlatL2(d));
    const base = randomVectors(40000, d, 3);
    await index.addAsync(base);
    const queries = randomVectors(2000, d, 4);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksAtStart = -1;
    setImmediate(() => (ticksAtStart = ticks));
    const r = await index.searchAsync(queries, 10);
    clearInterval(timer);
    assert.ok(ticksAtStart >= 0, 'setImmediate ran while the search was in flight');
    assert.ok(ticks > 0, 'a timer fired while the search was in flight');
    assert.equal(r.labels.length, 2000 * 10);
    assert.deepEqual(r.labels.slice(0, 10), index.search(queries.subarray(0, d), 10).labels);
  });

  test('free() during searchAsync lets the search finish first', async (t) => {
    t.after(cleanup);
    const index = new IndexFlatL2(D);
    index.add(xb);
    const expected = index.search(xq, K);
    const pending = index.searchAsync(xq, K);
    index.free();
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.ntotal(), /freed/);
    assert.deepEqual(await pending, expected);
  });

  test('wrong dimensions are refused with INVALID_ARGUMENT', async (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    const wrongLength = /^Invalid the given array length\.$/;
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.add(new Float32Array(D + 1)), wrongLength);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(new Float32Array(D - 1), K), wrongLength);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.train([1, 2, 3]), wrongLength);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.searchAsync(new Float32Array(3), K), wrongLength);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.addAsync([1]), wrongLength);
    assert.equal(index.ntotal(), NB, 'nothing was added');
    assertCode(ErrorCode.INVALID_ARGUMENT, () => new IndexFlatL2(0), /\bd\b/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => Index.fromFactory(-4, 'Flat'), /\bd\b/);
  });

  test('k is read as faiss-node reads it (ToUint32); k = 0 is refused', async (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    index.add(xb);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq, 0), /k/);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.searchAsync(xq, 0), /k/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq, NaN), /k/);
    // -3 wraps to 2^32 - 3, beyond ntotal.
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq, -3), new RegExp(`ntotal\`: ${NB}\\)`));
    assert.deepEqual(index.search(xq, 2.9), index.search(xq, 2));
    assert.deepEqual(await index.searchAsync(xq, 2.9), index.search(xq, 2));
    assert.deepEqual(index.search(xq, 2 ** 32 + 2), index.search(xq, 2));
    assert.throws(() => index.search(xq, '2'), { name: 'TypeError', message: 'Invalid the second argument type, must be a Number.' });
  });

  test('an index is unusable after free(), and free() is idempotent', async () => {
    const index = new IndexFlatL2(D);
    index.add(xb);
    index.free();
    index.dispose();
    const calls = [
      () => index.ntotal(),
      () => index.getDimension(),
      () => index.isTrained(),
      () => index.add(xb),
      () => index.train(xb),
      () => index.search(xq, K),
      () => index.reset(),
      () => index.removeIds([1]),
      () => index.toBuffer(),
      () => index.write(path.join(tmp, 'never.faiss')),
      () => index.setParameter('nprobe', 1),
      () => index.split(2),
    ];
    for (const call of calls) assertCode(ErrorCode.INVALID_ARGUMENT, call, /freed/);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.searchAsync(xq, K), /freed/);
    await assertCode(ErrorCode.INVALID_ARGUMENT, index.addAsync(xb), /freed/);
    const live = new IndexFlatL2(D);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => live.mergeFrom(index), /freed/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => Index.merge([live, index]), /freed/);
    live.free();
  });

  test('FAISS and I/O failures carry their codes and messages', (t) => {
    t.after(cleanup);
    assertCode(ErrorCode.FAISS, () => Index.fromFactory(D, 'NoSuchIndex'), /NoSuchIndex/);
    const missing = path.join(tmp, 'missing.faiss');
    if (remote) {
      // The client reads the file itself, so the text is libfaissx's, not FAISS's.
      assert.throws(() => Index.read(missing), (err) => err.code < 0 && err.message.includes(missing));
    } else {
      // FAISS's own text, as faiss-node shows it.
      assertCode(ErrorCode.FAISS, () => Index.read(missing), new RegExp(`^Error in .*could not open ${missing} for reading: No such file or directory$`));
    }
    assert.throws(() => Index.fromBuffer(Buffer.from('not an index')), (err) => err.code < 0 && err.message.length > 0);
    const flat = track(new IndexFlatL2(D));
    assertCode(ErrorCode.FAISS, () => flat.setParameter('nprobe', 4));
    assert.equal(flat.ntotal(), 0, 'a genuine 0 right after a failed call');
  });

  test("argument errors are faiss-node's: same checks, order, classes and messages", (t) => {
    t.after(cleanup);
    const index = track(new IndexFlatL2(D));
    const typeError = (message) => ({ name: 'TypeError', message });
    assert.throws(() => index.add('nope'), typeError('Invalid the first argument type, must be an Array.'));
    assert.throws(() => index.add(new Float64Array(D)), typeError('Invalid the first argument type, must be an Array.'));
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.add([...new Array(D - 1).fill(0), 'x']), /^Expected a Number as array item\. \(at: 15\)$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.add([1, 'x']), /^Invalid the given array length\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.add(), /^Expected 1 argument, but got 0\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq), /^Expected 2 arguments, but got 1\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.search(xq, 1, 2), /^Expected 2 arguments, but got 3\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.toBuffer(1), /^Expected 0 arguments, but got 1\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => Index.fromFactory(D), /^Expected 2 or 3 arguments, but got 1\.$/);
    assert.throws(() => Index.fromFactory('16', 'Flat'), typeError('Invalid the first argument type, must be a number.'));
    assert.throws(() => Index.fromFactory(D, 3), typeError('Invalid the second argument type, must be a string.'));
    assert.throws(() => Index.read(3), typeError('Invalid the first argument type, must be a string.'));
    assert.throws(() => index.write(3), typeError('Invalid the first argument type, must be a string.'));
    assert.throws(() => Index.fromBuffer('x'), typeError('Invalid the first argument type, must be a buffer.'));
    assert.throws(() => index.mergeFrom(1), typeError('Invalid argument type, must be an object.'));
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.mergeFrom({}), /^Invalid argument$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.mergeFrom(track(new IndexFlatL2(D + 1))), /^The merging index must have the same dimension\.$/);
    assertCode(ErrorCode.INVALID_ARGUMENT, () => index.removeIds([1, '2']), /^Expected a Number as array item\. \(at: 1\)$/);
    assert.throws(() => new Index('4'), TypeError);
    assert.equal(index.ntotal(), 0, 'nothing was added');
  });

  test('new Index(d) and non-integer numbers as faiss-node treats them', (t) => {
    t.after(cleanup);
    const plain = track(new Index(D));
    assert.equal(plain.metricType(), MetricType.METRIC_L2);
    assert.equal(plain.getDimension(), D);
    plain.add(xb);
    assertSameResult(plain.search(xq, K), bruteForce(xb, xq, D, K));
    assert.equal(track(new IndexFlatIP(D + 0.7)).getDimension(), D, 'dimensions are truncated');
    assert.equal(track(Index.fromFactory(D + 0.5, 'Flat', MetricType.METRIC_INNER_PRODUCT + 0.5)).metricType(), MetricType.METRIC_INNER_PRODUCT);
    // Ids are truncated toward zero; NaN is id 0.
    assert.equal(plain.removeIds([1.9, -0.5, NaN]), 2, 'ids 1 and 0 (0 twice)');
    assert.equal(plain.ntotal(), NB - 2);
    assert.equal(plain.removeIds([1e300, -Infinity]), 1, 'beyond int64 saturates; -Infinity is 0');
    assert.equal(MetricType.METRIC_Jaccard, 23);
    assert.equal(MetricType[23], 'METRIC_Jaccard');
  });
}

module.exports = { defineIndexTests, assertCode };
