/// <reference types="node" />
// faissx for Node: the API of faiss-node over libfaissx, local or remote.

/** Distance of an index, as FAISS numbers them. */
export enum MetricType {
  METRIC_INNER_PRODUCT = 0,
  METRIC_L2 = 1,
  METRIC_L1 = 2,
  METRIC_Linf = 3,
  METRIC_Lp = 4,
  METRIC_Canberra = 20,
  METRIC_BrayCurtis = 21,
  METRIC_JensenShannon = 22,
  /** faiss-node's; libfaissx does not accept it yet (INVALID_ARGUMENT "unknown metric type 23"). */
  METRIC_Jaccard = 23,
}

/** The `code` of the Errors faissx throws (the FAISSX_ERR_* codes of faissx_c.h). */
export declare const ErrorCode: Readonly<{
  UNKNOWN: -1;
  FAISS: -2;
  STD: -4;
  INVALID_ARGUMENT: -5;
  UNSUPPORTED: -6;
  IO: -7;
  TRANSPORT: -10;
  AUTH: -11;
  NOT_FOUND: -12;
  PROTOCOL: -13;
  SERVER: -14;
}>;

/** What faissx throws (or rejects with): an Error with the faissx code. */
export interface FaissxError extends Error {
  code: number;
}

/** n vectors of the index's dimension, concatenated: n * d numbers. */
export type Vectors = number[] | Float32Array;

/**
 * k results per query, concatenated. k > ntotal throws (as in faiss-node); an index that probes
 * part of its vectors (IVF, HNSW) may still pad a query's results with label -1.
 */
export interface SearchResult {
  distances: number[];
  labels: number[];
}

/** The result of a search with `{ bigint: true }`. */
export interface BigIntSearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface SearchOptions {
  /** Labels as a BigInt64Array (exact beyond 2^53) and distances as a Float32Array. */
  bigint?: boolean;
}

export class Index {
  /** An IndexFlatL2 of dimension d, as in faiss-node. */
  constructor(d: number);

  /** An index from a FAISS factory string: "Flat", "IVF256,Flat", "HNSW32", "IVF64,PQ8", ... */
  static fromFactory(dims: number, descriptor: string, metric?: MetricType): Index;
  static read(fname: string): Index;
  static fromBuffer(src: Uint8Array | ArrayBufferView | ArrayBuffer): Index;
  /**
   * A new index with the vectors of each index in turn (of one kind), of the class of the first;
   * ids of an IDMap or IVF are kept, positional ids continue after the vectors before. The
   * indexes are not modified.
   */
  static merge<T extends Index>(indexes: readonly T[]): T;

  ntotal(): number;
  getDimension(): number;
  isTrained(): boolean;
  metricType(): MetricType;
  /** True when the index lives on a faissx-server. */
  isRemote(): boolean;

  add(x: Vectors): void;
  train(x: Vectors): void;
  search(x: Vectors, k: number, options: SearchOptions & { bigint: true }): BigIntSearchResult;
  search(x: Vectors, k: number, options?: SearchOptions & { bigint?: false }): SearchResult;
  search(x: Vectors, k: number, options?: SearchOptions): SearchResult | BigIntSearchResult;

  /** As search(), on the libuv thread pool; `x` is copied first. */
  searchAsync(x: Vectors, k: number, options: SearchOptions & { bigint: true }): Promise<BigIntSearchResult>;
  searchAsync(x: Vectors, k: number, options?: SearchOptions & { bigint?: false }): Promise<SearchResult>;
  searchAsync(x: Vectors, k: number, options?: SearchOptions): Promise<SearchResult | BigIntSearchResult>;
  /** As add(), on the libuv thread pool; `x` is copied first. */
  addAsync(x: Vectors): Promise<void>;

  write(fname: string): void;
  toBuffer(): Buffer;
  /** Moves every vector of `other` into this index (ids kept); `other` is left empty. */
  mergeFrom(other: Index): void;
  /**
   * `parts` new indexes of this class, part k holding the k-th of `parts` ranges of the sorted ids
   * (ids kept; positional ids start at 0 in each part). Index.merge() of them gives this back.
   */
  split(parts: number): this[];
  /** Removes the vectors with these ids; returns how many were removed. */
  removeIds(ids: number[] | bigint[] | BigInt64Array): number;
  reset(): void;
  /** A named parameter: "nprobe" (IVF), "efSearch" (HNSW), ... */
  setParameter(name: string, value: number): void;

  /** Frees the index now (remote: deletes it on the server); later calls throw. */
  free(): void;
  /** Same as free(). */
  dispose(): void;
}

export class IndexFlatL2 extends Index {
  constructor(d: number);
  static read(fname: string): IndexFlatL2;
  static fromBuffer(src: Uint8Array | ArrayBufferView | ArrayBuffer): IndexFlatL2;
  mergeFrom(other: IndexFlatL2): void;
}

export class IndexFlatIP extends Index {
  constructor(d: number);
  static read(fname: string): IndexFlatIP;
  static fromBuffer(src: Uint8Array | ArrayBufferView | ArrayBuffer): IndexFlatIP;
  mergeFrom(other: IndexFlatIP): void;
}

/**
 * Remote mode for the indexes created from now on (process-wide): `server` is
 * "tcp://host:port" or "host:port"; `null` returns to local mode.
 */
export function configure(server: string | null, apiKey?: string | null, tenantId?: string | null): void;
/** Client options: "timeout_ms", "cache_vectors" ("on"/"off"), "cache_memory_mb". */
export function setOption(name: string, value: string | number): void;
/** Retries of idempotent remote requests: count, first backoff (s), growth factor. */
export function configureRecovery(maxRetries: number, initialBackoffS: number, backoffFactor: number): void;
/** "faissx X.Y.Z (FAISS A.B.C)". */
export function version(): string;
