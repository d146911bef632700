'use strict';
// faissx for Node: the API of the npm package faiss-node over libfaissx, plus Float32Array and
// BigInt64Array support, Promise variants that run on the libuv thread pool, and remote mode.

const native = require('./build/Release/faissx.node');

// A TypeScript-style enum (name -> value and value -> name), values from faissx_c.h.
const MetricType = {};
for (const [name, value] of Object.entries(native.MetricType)) {
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

function toFloat32(x, what) {
  if (x instanceof Float32Array) return x;
  if (Array.isArray(x)) {
    // Float32Array.from would turn a stray string or object into NaN without a word.
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== 'number') {
        throw new TypeError(`faissx: ${what}[${i}] is ${typeof x[i]}, expected a number`);
      }
    }
    return Float32Array.from(x);
  }
  throw new TypeError(`faissx: ${what} must be a number[] or a Float32Array`);
}

function toIds(ids) {
  if (ids instanceof BigInt64Array) return ids;
  if (Array.isArray(ids)) {
    return BigInt64Array.from(ids, (v, i) => {
      if (typeof v === 'bigint') return v;
      if (Number.isSafeInteger(v)) return BigInt(v);
      throw new TypeError(`faissx: ids[${i}] is not an integer`);
    });
  }
  throw new TypeError('faissx: ids must be a number[], bigint[] or BigInt64Array');
}

function toBytes(buf) {
  if (buf instanceof Uint8Array) return buf; // Buffer included
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  throw new TypeError('faissx: expected a Buffer, a typed array or an ArrayBuffer');
}

function wantsBigInt(options) {
  return options != null && options.bigint === true;
}

// Plain arrays by default, as faiss-node returns them; typed arrays with { bigint: true }.
function shapeResult(raw, bigint) {
  if (bigint) return raw;
  return { distances: Array.from(raw.distances), labels: Array.from(raw.labels) };
}

// Subclasses that stand for one FAISS class name the metric their flat index must have.
const flatMetricOf = new Map();

/** An index: local (FAISS in this process) or remote (on a faissx-server), chosen at creation. */
class Index {
  #h;

  constructor(handle) {
    if (!native.isHandle(handle)) {
      throw new TypeError(
        'faissx: Index cannot be constructed directly; use IndexFlatL2, IndexFlatIP, ' +
          'Index.fromFactory(), Index.read() or Index.fromBuffer()',
      );
    }
    this.#h = handle;
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
  static fromFactory(dims, descriptor, metric = MetricType.METRIC_L2) {
    return new Index(native.factory(dims, descriptor, metric));
  }

  static read(fname) {
    return Index.#adopt(this, native.read(fname));
  }

  static fromBuffer(buf) {
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
    native.add(this.#h, toFloat32(x, 'x'));
  }

  train(x) {
    native.train(this.#h, toFloat32(x, 'x'));
  }

  search(x, k, options) {
    const bigint = wantsBigInt(options);
    return shapeResult(native.search(this.#h, toFloat32(x, 'x'), k, bigint), bigint);
  }

  /** As search(), on the libuv thread pool; `x` is copied, so it may change meanwhile. */
  async searchAsync(x, k, options) {
    const bigint = wantsBigInt(options);
    return shapeResult(await native.searchAsync(this.#h, toFloat32(x, 'x'), k, bigint), bigint);
  }

  /** As add(), on the libuv thread pool; `x` is copied, so it may change meanwhile. */
  async addAsync(x) {
    await native.addAsync(this.#h, toFloat32(x, 'x'));
  }

  write(fname) {
    native.write(this.#h, fname);
  }

  toBuffer() {
    return native.toBuffer(this.#h);
  }

  /** Moves every vector of `other` into this index (ids kept); `other` is left empty. */
  mergeFrom(other) {
    if (!(other instanceof Index)) throw new TypeError('faissx: mergeFrom expects an Index');
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
    super(native.isHandle(d) ? d : native.newFlat(d, MetricType.METRIC_L2));
  }
}
flatMetricOf.set(IndexFlatL2, MetricType.METRIC_L2);

/** Exact search by inner product. */
class IndexFlatIP extends Index {
  constructor(d) {
    super(native.isHandle(d) ? d : native.newFlat(d, MetricType.METRIC_INNER_PRODUCT));
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
