package io.faissx;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A FAISS index, in this process or on a faissx-server (see {@link Faissx#configure}): the same
 * calls, the same results.
 *
 * <p>Vectors are passed flat: {@code n} vectors of dimension {@code d} are {@code n * d} floats.
 *
 * <p>{@link #close()} frees the native index at once; an index that is never closed is freed
 * when it becomes unreachable. Any use after close throws {@link IllegalStateException}.
 *
 * <p>Thread safety: searches, reconstructions and serialization may run concurrently from many
 * threads; calls that modify the index (add, train, remove, reset, parameter setters) wait for
 * them and run alone, and so does close.
 */
public abstract class Index implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicLong CREATED = new AtomicLong();

    private final NativeHandle handle;
    private final Cleaner.Cleanable cleanable;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lock
    private final int d;
    private final long seq = CREATED.incrementAndGet(); // the order in which sharedAll locks

    Index(long ptr) {
        this(new NativeHandle(ptr, null));
    }

    Index(NativeHandle handle) {
        this.handle = handle;
        this.cleanable = CLEANER.register(this, handle);
        this.d = Native.dimension(handle.ptr);
    }

    // ---- creation ----

    /**
     * Creates an index from a FAISS factory string ({@code "Flat"}, {@code "IVF256,Flat"},
     * {@code "HNSW32"}, {@code "IVF1024,PQ16"}, {@code "IDMap,Flat"}, ...). The result's class
     * follows the index built ({@link IndexIVFFlat} for {@code "IVF..,Flat"}, ...).
     */
    public static Index factory(int d, String description, Metric metric) {
        checkDimension(d);
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(metric, "metric");
        return wrap(Native.factory(d, Native.cstr(description), metric.code));
    }

    /** {@link #factory(int, String, Metric)} for squared L2 distances. */
    public static Index factory(int d, String description) {
        return factory(d, description, Metric.L2);
    }

    /** Reads an index from a file in FAISS's format (written by {@link #write} or by FAISS). */
    public static Index read(String path) {
        Objects.requireNonNull(path, "path");
        return wrap(Native.readFile(Native.cstr(path)));
    }

    /** Reads an index from bytes in FAISS's format (from {@link #toBytes} or FAISS). */
    public static Index fromBytes(byte[] data) {
        Objects.requireNonNull(data, "data");
        return wrap(Native.fromBytes(data));
    }

    /** Gives a new native index the Java class that matches its FAISS class. */
    static Index wrap(long ptr) {
        switch (Native.kind(ptr)) {
            case Native.KIND_FLATL2:
                return new IndexFlatL2(ptr);
            case Native.KIND_FLATIP:
                return new IndexFlatIP(ptr);
            case Native.KIND_FLAT:
                return new IndexFlat(ptr);
            case Native.KIND_IVFFLAT:
                return new IndexIVFFlat(ptr);
            case Native.KIND_IVFPQ:
                return new IndexIVFPQ(ptr);
            case Native.KIND_IVF:
                return new IndexIVF(ptr);
            case Native.KIND_HNSWFLAT:
                return new IndexHNSWFlat(ptr);
            case Native.KIND_PQ:
                return new IndexPQ(ptr);
            case Native.KIND_SQ:
                return new IndexScalarQuantizer(ptr);
            case Native.KIND_IDMAP:
                return new IndexIDMap(ptr);
            default:
                return new OpaqueIndex(ptr);
        }
    }

    /**
     * Creates a native index over this one (a quantizer, a sub-index), which then stays allocated
     * until the new index is freed as well.
     */
    final NativeHandle derive(Op<Long> create) {
        return shared(ptr -> new NativeHandle(create.apply(ptr), handle));
    }

    static int checkDimension(int d) {
        if (d <= 0) {
            throw new IllegalArgumentException("dimension must be > 0 (got " + d + ")");
        }
        return d;
    }

    static long checkPositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0 (got " + value + ")");
        }
        return value;
    }

    // ---- properties ----

    /** The dimension of the vectors. */
    public final int dimension() {
        return d;
    }

    /** The number of vectors stored. */
    public final long ntotal() {
        return shared(Native::ntotal);
    }

    /** Whether the index is trained; indexes that need no training always are. */
    public final boolean isTrained() {
        return shared(Native::isTrained);
    }

    public final Metric metric() {
        return Metric.fromCode(shared(Native::metric));
    }

    /** Whether the index lives on a faissx-server. */
    public final boolean isRemote() {
        return shared(Native::isRemote);
    }

    // ---- adding ----

    /** Trains the index on {@code vectors} (a multiple of d floats). */
    public final void train(float[] vectors) {
        long n = count(vectors, "vectors");
        exclusiveRun(ptr -> Native.train(ptr, vectors, n));
    }

    /** Adds {@code vectors} (a multiple of d floats); they get the ids ntotal, ntotal+1, ... */
    public final void add(float[] vectors) {
        long n = count(vectors, "vectors");
        exclusiveRun(ptr -> Native.add(ptr, vectors, n));
    }

    /**
     * Adds the vectors between the buffer's position and limit (a multiple of d floats), without
     * moving the position. A direct buffer in native byte order is read in place, without a copy.
     */
    public final void add(FloatBuffer vectors) {
        Objects.requireNonNull(vectors, "vectors");
        if (!inPlace(vectors)) {
            add(copy(vectors));
            return;
        }
        int position = vectors.position();
        long n = count(vectors.remaining(), "vectors");
        exclusiveRun(ptr -> Native.addBuffer(ptr, vectors, position, n));
    }

    /** Adds {@code vectors} with the ids {@code ids} (one per vector). */
    public final void addWithIds(float[] vectors, long[] ids) {
        long n = count(vectors, "vectors");
        Objects.requireNonNull(ids, "ids");
        if (ids.length != n) {
            throw new IllegalArgumentException(ids.length + " ids for " + n + " vectors");
        }
        exclusiveRun(ptr -> Native.addWithIds(ptr, vectors, n, ids));
    }

    // ---- searching ----

    /** The {@code k} nearest neighbours of each query ({@code queries}: a multiple of d floats). */
    public final SearchResult search(float[] queries, int k) {
        long n = count(queries, "queries");
        SearchResult result = results(n, k);
        shared(ptr -> {
            Native.search(ptr, queries, n, k, result.distances, result.labels);
            return null;
        });
        return result;
    }

    /**
     * {@link #search(float[], int)} for the queries between the buffer's position and limit; a
     * direct buffer in native byte order is read in place.
     */
    public final SearchResult search(FloatBuffer queries, int k) {
        Objects.requireNonNull(queries, "queries");
        if (!inPlace(queries)) {
            return search(copy(queries), k);
        }
        int position = queries.position();
        long n = count(queries.remaining(), "queries");
        SearchResult result = results(n, k);
        shared(ptr -> {
            Native.searchBuffer(ptr, queries, position, n, k, result.distances, result.labels);
            return null;
        });
        return result;
    }

    /** Every stored vector within {@code radius} of each query. */
    public final RangeSearchResult rangeSearch(float[] queries, float radius) {
        long n = count(queries, "queries");
        return shared(ptr -> Native.rangeSearch(ptr, queries, n, radius));
    }

    /** The stored (decoded) vector with id {@code id}. */
    public final float[] reconstruct(long id) {
        float[] out = new float[d];
        shared(ptr -> {
            Native.reconstruct(ptr, id, out);
            return null;
        });
        return out;
    }

    // ---- removing ----

    /** Removes the vectors with these ids; returns how many were removed. */
    public final long removeIds(long[] ids) {
        Objects.requireNonNull(ids, "ids");
        return exclusive(ptr -> Native.removeIds(ptr, ids));
    }

    /** Removes the vectors with ids in {@code [min, max)}; returns how many were removed. */
    public final long removeRange(long min, long max) {
        return exclusive(ptr -> Native.removeRange(ptr, min, max));
    }

    /** Removes every vector; the index stays trained. */
    public final void reset() {
        exclusiveRun(Native::reset);
    }

    // ---- merging and splitting ----

    /**
     * A new index holding the vectors of {@code indexes[0]}, then those of {@code indexes[1]},
     * ...: the indexes must be of one kind, with the same parameters, as FAISS's
     * {@code merge_from} requires. Explicit ids ({@link IndexIDMap}, {@link IndexIVF}) are kept;
     * where ids are positions (flat, PQ, scalar quantizer), those of {@code indexes[i]} continue
     * after the vectors before it. The indexes are not modified. They must be all local, or all on
     * one server, where the result is made too. The result's class follows its FAISS class, as
     * for {@link #factory}.
     *
     * @throws FaissxException {@code INVALID_ARGUMENT} for indexes of different dimensions,
     *     {@code FAISS} for kinds FAISS cannot merge ({@link IndexHNSWFlat})
     */
    public static Index merge(Index... indexes) {
        Objects.requireNonNull(indexes, "indexes");
        if (indexes.length == 0) {
            throw new IllegalArgumentException("no indexes to merge");
        }
        for (int i = 0; i < indexes.length; i++) {
            Objects.requireNonNull(indexes[i], "indexes[" + i + "]");
        }
        return wrap(sharedAll(indexes, Native::merge));
    }

    /**
     * Splits the index into {@code parts} new indexes of its kind; {@link #merge} of them, in
     * order, gives it back. Part k holds the k-th of {@code parts} ranges of the stored ids,
     * sorted, near-equal in count. Ids are kept: a vector's label in its part is its label here.
     * Where ids are positions (flat, PQ, scalar quantizer), a part's labels start at 0: label i of
     * part k is label {@code first + i} here, {@code first} being the number of vectors in the
     * parts before it. This index is not modified.
     *
     * @throws FaissxException {@code FAISS} for kinds that cannot remove vectors
     *     ({@link IndexHNSWFlat})
     */
    public final Index[] split(int parts) {
        checkPositive(parts, "parts");
        long[] ptrs = shared(ptr -> Native.split(ptr, parts));
        Index[] out = new Index[parts];
        int k = 0;
        try {
            for (; k < parts; k++) {
                out[k] = wrap(ptrs[k]);
            }
        } catch (RuntimeException | Error e) {
            // Part k is wrap's to free, as for factory(); the others are still ours.
            for (int j = 0; j < k; j++) {
                out[j].close();
            }
            for (int j = k + 1; j < parts; j++) {
                Native.free(ptrs[j]);
            }
            throw e;
        }
        return out;
    }

    // ---- serialization ----

    /** Writes the index to a file in FAISS's format (FAISS's Python and C++ read it). */
    public final void write(String path) {
        Objects.requireNonNull(path, "path");
        shared(ptr -> {
            Native.writeFile(ptr, Native.cstr(path));
            return null;
        });
    }

    /** The index in FAISS's file format. */
    public final byte[] toBytes() {
        return shared(Native::toBytes);
    }

    // ---- lifetime ----

    /** Frees the index now (after any call in flight). Closing again does nothing. */
    @Override
    public final void close() {
        Lock l = lock.writeLock();
        l.lock();
        try {
            if (!closed) {
                closed = true;
                cleanable.clean();
            }
        } finally {
            l.unlock();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(d=" + d + (isClosed() ? ", closed)" : ")");
    }

    private boolean isClosed() {
        Lock l = lock.readLock();
        l.lock();
        try {
            return closed;
        } finally {
            l.unlock();
        }
    }

    // ---- plumbing ----

    @FunctionalInterface
    interface Op<T> {
        T apply(long ptr);
    }

    @FunctionalInterface
    interface VoidOp {
        void apply(long ptr);
    }

    /** Runs {@code op} on the live native index, alongside other shared calls. */
    final <T> T shared(Op<T> op) {
        return locked(lock.readLock(), op);
    }

    /** Runs {@code op} on the live native index, alone. */
    final <T> T exclusive(Op<T> op) {
        return locked(lock.writeLock(), op);
    }

    final void exclusiveRun(VoidOp op) {
        locked(lock.writeLock(), ptr -> {
            op.apply(ptr);
            return null;
        });
    }

    /**
     * Runs {@code op} on the live native indexes, in the order given, alongside other shared calls
     * on each. Each is locked once, in creation order: otherwise two calls over the same indexes
     * could each hold one and wait behind a writer queued on the other.
     */
    static <T> T sharedAll(Index[] indexes, Function<long[], T> op) {
        Index[] order = Arrays.stream(indexes).distinct()
                .sorted(Comparator.comparingLong(index -> index.seq)).toArray(Index[]::new);
        int locked = 0;
        try {
            for (Index index : order) {
                index.lock.readLock().lock();
                locked++;
            }
            long[] ptrs = new long[indexes.length];
            for (int i = 0; i < indexes.length; i++) {
                if (indexes[i].closed) {
                    throw new IllegalStateException(
                            "indexes[" + i + "] (" + indexes[i].getClass().getSimpleName() + ") is closed");
                }
                ptrs[i] = indexes[i].handle.ptr;
            }
            return op.apply(ptrs);
        } finally {
            while (locked > 0) {
                order[--locked].lock.readLock().unlock();
            }
            // As in locked(): the indexes must outlive the native call.
            Reference.reachabilityFence(order);
        }
    }

    private <T> T locked(Lock l, Op<T> op) {
        l.lock();
        try {
            if (closed) {
                throw new IllegalStateException(getClass().getSimpleName() + " is closed");
            }
            return op.apply(handle.ptr);
        } finally {
            l.unlock();
            // Only the raw pointer reaches C: without this, the JIT may consider `this`
            // unreachable mid-call and let the Cleaner free the index under FAISS's feet.
            Reference.reachabilityFence(this);
        }
    }

    private long count(float[] vectors, String name) {
        Objects.requireNonNull(vectors, name);
        return count(vectors.length, name);
    }

    private long count(int floats, String name) {
        if (floats % d != 0) {
            throw new IllegalArgumentException(
                    name + " holds " + floats + " floats, not a multiple of the dimension " + d);
        }
        return floats / d;
    }

    private static SearchResult results(long n, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be > 0 (got " + k + ")");
        }
        if (n * k > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(n + " queries * k = " + k + " results exceed a Java array");
        }
        return new SearchResult(k, new float[(int) (n * k)], new long[(int) (n * k)]);
    }

    private static boolean inPlace(FloatBuffer b) {
        return b.isDirect() && b.order() == ByteOrder.nativeOrder();
    }

    private static float[] copy(FloatBuffer b) {
        float[] out = new float[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
