'use strict';
// faissx for Node: the API of the npm package faiss-node over libfaissx, plus Float32Array and
// BigInt64Array support, Promise variants that run on the libuv thread pool, and remote mode.

const native = require('./scripts/addon').load();

// A TypeScript-style enum (name -> value and value -> name), values from faissx_c.h, and
// faiss-node's METRIC_Jaccard (FAISS's value), which faissx_c.h does not define.
const MetricType = {};
for (const [name, value] of Object.entries({ METRIC_Jaccard: 23, ...native.MetricType }).sort((a, b) => a[1] - b[1])) {
  MetricType[name] = value;
  MetricType[value] = name;
}
Object.freeze(MetricType);

const ErrorCode = Object.freeze({ ...native.ErrorCode });

function codedError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

// faiss-node's argument checks, with its messages and error classes: programs (and tests)
// written against faiss-node match on them.
function invalid(message) {
  return codedError(ErrorCode.INVALID_ARGUMENT, message);
}

function expectArgs(got, want) {
  if (got !== want) throw invalid(`Expected ${want} argument${want === 1 ? '' : 's'}, but got ${got}.`);
}

function expectString(v) {
  if (typeof v !== 'string') throw new TypeError('Invalid the first argument type, must be a string.');
}

// faiss-node reads its integer arguments with N-API's uint32 conversion (ECMAScript ToUint32):
// fractions are truncated and negative values wrap, so -1 is 2^32 - 1.
const toUint32 = (v) => v >>> 0;

function expectVectorsType(x) {
  if (!(x instanceof Float32Array) && !Array.isArray(x)) {
    throw new TypeError('Invalid the first argument type, must be an Array.');
  }
}

// n * d numbers as a Float32Array: the length is checked before the elements, as faiss-node does.
function vectorsOf(x, d) {
  expectVectorsType(x);
  if (d <= 0 || x.length % d !== 0) throw invalid('Invalid the given array length.');
  if (x instanceof Float32Array) return x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number') throw invalid(`Expected a Number as array item. (at: ${i})`);
    out[i] = v;
  }
  return out;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

// N-API's int64 conversion, which faiss-node uses for ids: truncated, saturated at the int64
// range, and 0 for NaN and infinities.
function numberToInt64(v) {
  if (!Number.isFinite(v)) return 0n;
  if (v >= 2 ** 63) return INT64_MAX;
  if (v < -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

function toIds(ids) {
  if (ids instanceof BigInt64Array) return ids;
  if (!Array.isArray(ids)) throw new TypeError('Invalid the first argument type, must be an Array.');
  const out = new BigInt64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (typeof v === 'number') out[i] = numberToInt64(v);
    else if (typeof v === 'bigint') out[i] = BigInt.asIntN(64, v);
    else throw invalid(`Expected a Number as array item. (at: ${i})`);
  }
  return out;
}

function toBytes(buf) {
  if (buf instanceof Uint8Array) return buf; // Buffer included
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  throw new TypeError('Invalid the first argument type, must be a buffer.');
}

// faiss-node's search takes exactly (x, k); a third argument is ours only when it can be options,
// so search(x, k, 2) still fails as it does there.
function searchOptions(got, options) {
  if (got < 2 || got > 3 || (got === 3 && options !== undefined && (options === null || typeof options !== 'object'))) {
    throw invalid(`Expected 2 arguments, but got ${got}.`);
  }
  return options != null && options.bigint === true;
}

function expectK(k) {
  if (typeof k !== 'number') throw new TypeError('Invalid the second argument type, must be a Number.');
  return toUint32(k);
}

// Plain arrays by default, as faiss-node returns them; typed arrays with { bigint: true }.
function shapeResult(raw, bigint) {
  if (bigint) return raw;
  return { distances: Array.from(raw.distances), labels: Array.from(raw.labels) };
}

// With fewer than k vectors in the index, every query's k-th label is the -1 padding.
function padded(raw, k) {
  return k > 0 && raw.labels.length >= k && Number(raw.labels[k - 1]) === -1;
}

// Subclasses that stand for one FAISS class name the metric their flat index must have.
const flatMetricOf = new Map();

/**
 * An index: local (FAISS in this process) or remote (on a faissx-server), chosen at creation.
 * `new Index(d)` is an IndexFlatL2 of dimension d, as in faiss-node.
 */
class Index {
  #h;

  constructor(d) {
    if (native.isHandle(d)) {
      this.#h = d;
    } else if (typeof d === 'number') {
      this.#h = native.newFlat(toUint32(d), MetricType.METRIC_L2);
    } else {
      throw new TypeError('Invalid the first argument type, must be a number.');
    }
  }

  // Wraps a new native handle as an instance of `cls`, checking the FAISS class it stands for.
  static #adopt(cls, handle) {
    const want = flatMetricOf.get(cls);
    if (want !== undefined && native.flatMetric(handle) !== want) {
      native.free(handle);
      throw codedError(ErrorCode.UNSUPPORTED, `faissx: the index read is not an ${cls.name}`);
    }
    return new cls(handle);
  }

  /** Builds an index from a FAISS factory string ("Flat", "IVF256,Flat", "HNSW32", "IVF64,PQ8"). */
  static fromFactory(dims, descriptor, metric) {
    if (arguments.length < 2) throw invalid(`Expected 2 or 3 arguments, but got ${arguments.length}.`);
    if (typeof dims !== 'number') throw new TypeError('Invalid the first argument type, must be a number.');
    if (typeof descriptor !== 'string') throw new TypeError('Invalid the second argument type, must be a string.');
    const m = typeof metric === 'number' ? toUint32(metric) : MetricType.METRIC_L2;
    return new Index(native.factory(toUint32(dims), descriptor, m));
  }

  static read(fname) {
    expectArgs(arguments.length, 1);
    expectString(fname);
    return Index.#adopt(this, native.read(fname));
  }

  static fromBuffer(buf) {
    expectArgs(arguments.length, 1);
    return Index.#adopt(this, native.fromBuffer(toBytes(buf)));
  }

  /**
   * A new index with the vectors of indexes[0], then those of indexes[1], ... (of one kind, with
   * the same parameters), of the class of indexes[0]. Explicit ids (IDMap, IVF) are kept; where
   * ids are positions (flat, PQ, SQ), those of indexes[i] continue after the vectors before it.
   * The indexes are not modified. All local, or all on one server, where the result is made too.
   */
  static merge(indexes) {
    if (!Array.isArray(indexes) || !indexes.every((index) => index instanceof Index)) {
      throw new TypeError('faissx: merge expects an array of indexes');
    }
    const handle = native.merge(indexes.map((index) => index.#h));
    // A copy of indexes[0], grown: of its class by construction, unlike what read() returns.
    return new indexes[0].constructor(handle);
  }

  ntotal() {
    return native.ntotal(this.#h);
  }

  getDimension() {
    return native.dimension(this.#h);
  }

  isTrained() {
    return native.isTrained(this.#h);
  }

  metricType() {
    return native.metricType(this.#h);
  }

  /** True when the index lives on a faissx-server. */
  isRemote() {
    return native.isRemote(this.#h);
  }

  add(x) {
    expectArgs(arguments.length, 1);
    expectVectorsType(x);
    native.add(this.#h, vectorsOf(x, native.dimension(this.#h)));
  }

  train(x) {
    expectArgs(arguments.length, 1);
    expectVectorsType(x);
    native.train(this.#h, vectorsOf(x, native.dimension(this.#h)));
  }

  // faiss-node refuses k > ntotal before looking at the queries. Asking costs a round trip to a
  // server, so it is asked only when the answer matters: on a failure (which this error then
  // takes precedence over, as there) and when the results are padded.
  #refuseKAboveNtotal(k, failure) {
    let ntotal;
    try {
      ntotal = native.ntotal(this.#h);
    } catch (err) {
      if (failure) throw failure; // the index is unusable: the original error says why
      throw err;
    }
    if (k > ntotal) throw invalid(`Invalid the number of k (cannot be given a value greater than \`ntotal\`: ${ntotal}).`);
    if (failure) throw failure;
  }

  search(x, k, options) {
    const bigint = searchOptions(arguments.length, options);
    expectVectorsType(x);
    k = expectK(k);
    let raw;
    try {
      const xq = vectorsOf(x, native.dimension(this.#h));
      if (xq.length === 0) this.#refuseKAboveNtotal(k);
      raw = native.search(this.#h, xq, k, bigint);
    } catch (err) {
      this.#refuseKAboveNtotal(k, err);
    }
    if (padded(raw, k)) this.#refuseKAboveNtotal(k);
    return shapeResult(raw, bigint);
  }

  /** As search(), on the libuv thread pool; `x` is copied, so it may change meanwhile. */
  async searchAsync(x, k, options) {
    const bigint = searchOptions(arguments.length, options);
    expectVectorsType(x);
    k = expectK(k);
    let raw;
    try {
      const xq = vectorsOf(x, native.dimension(this.#h));
      if (xq.length === 0) this.#refuseKAboveNtotal(k);
      raw = await native.searchAsync(this.#h, xq, k, bigint);
    } catch (err) {
      this.#refuseKAboveNtotal(k, err);
    }
    if (padded(raw, k)) this.#refuseKAboveNtotal(k);
    return shapeResult(raw, bigint);
  }

  /** As add(), on the libuv thread pool; `x` is copied, so it may change meanwhile. */
  async addAsync(x) {
    expectVectorsType(x);
    await native.addAsync(this.#h, vectorsOf(x, native.dimension(this.#h)));
  }

  write(fname) {
    expectArgs(arguments.length, 1);
    expectString(fname);
    native.write(this.#h, fname);
  }

  toBuffer() {
    expectArgs(arguments.length, 0);
    return native.toBuffer(this.#h);
  }

  /** Moves every vector of `other` into this index (ids kept); `other` is left empty. */
  mergeFrom(other) {
    expectArgs(arguments.length, 1);
    if (other === null || (typeof other !== 'object' && typeof other !== 'function')) {
      throw new TypeError('Invalid argument type, must be an object.');
    }
    if (!(#h in other)) throw invalid('Invalid argument');
    if (native.dimension(other.#h) !== native.dimension(this.#h)) {
      throw invalid('The merging index must have the same dimension.');
    }
    native.mergeFrom(this.#h, other.#h);
  }

  /**
   * Splits the index into `parts` new indexes of its class; Index.merge() of them gives it back.
   * Part k holds the k-th of `parts` ranges of the stored ids, sorted, near-equal in count, and
   * keeps the ids; where ids are positions (flat, PQ, SQ), each part's start at 0. The index is
   * not modified. HNSW cannot be split.
   */
  split(parts) {
    return native.split(this.#h, parts).map((handle) => new this.constructor(handle));
  }

  /** Removes the vectors with these ids and returns how many were removed. */
  removeIds(ids) {
    expectArgs(arguments.length, 1);
    return native.removeIds(this.#h, toIds(ids));
  }

  reset() {
    native.reset(this.#h);
  }

  /** Sets a named parameter, e.g. setParameter('nprobe', 16) or setParameter('efSearch', 64). */
  setParameter(name, value) {
    native.setParameter(this.#h, name, value);
  }

  /**
   * Frees the index now (remote: deletes it on the server). Later calls throw; async calls in
   * flight finish first. Without it, garbage collection frees the index eventually.
   */
  free() {
    native.free(this.#h);
  }

  dispose() {
    this.free();
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Index.prototype[Symbol.dispose] = Index.prototype.free;
}

/** Exact search by squared L2 distance. */
class IndexFlatL2 extends Index {
  constructor(d) {
    super(typeof d === 'number' ? native.newFlat(toUint32(d), MetricType.METRIC_L2) : d);
  }
}
flatMetricOf.set(IndexFlatL2, MetricType.METRIC_L2);

/** Exact search by inner product. */
class IndexFlatIP extends Index {
  constructor(d) {
    super(typeof d === 'number' ? native.newFlat(toUint32(d), MetricType.METRIC_INNER_PRODUCT) : d);
  }
}
flatMetricOf.set(IndexFlatIP, MetricType.METRIC_INNER_PRODUCT);

/**
 * Remote mode for indexes created from now on: `server` "tcp://host:port" (or "host:port"),
 * `apiKey`/`tenantId` when the server checks them. `null` server: local mode again. Process-wide.
 */
function configure(server, apiKey = null, tenantId = null) {
  native.configure(server ?? null, apiKey ?? null, tenantId ?? null);
}

/** Client options: "timeout_ms", "cache_vectors" ("on"/"off"), "cache_memory_mb". */
function setOption(name, value) {
  native.setOption(name, String(value));
}

/** Retries of idempotent remote requests: count, first backoff in seconds, growth factor. */
function configureRecovery(maxRetries, initialBackoffS, backoffFactor) {
  native.configureRecovery(maxRetries, initialBackoffS, backoffFactor);
}

function version() {
  return native.version();
}

module.exports = {
  Index,
  IndexFlatL2,
  IndexFlatIP,
  MetricType,
  ErrorCode,
  configure,
  setOption,
  configureRecovery,
  version,
};
