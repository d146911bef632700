package io.faissx;

import java.nio.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The JNI entry points (src/main/c/faissx_jni.c). Handles are raw {@code FaissIndex*} values;
 * callers guarantee they are live (see {@link Index}) and that arguments were validated.
 */
final class Native {
    static final int KIND_OTHER = 0;
    static final int KIND_FLAT = 1;
    static final int KIND_FLATL2 = 2;
    static final int KIND_FLATIP = 3;
    static final int KIND_IVF = 4;
    static final int KIND_IVFFLAT = 5;
    static final int KIND_IVFPQ = 6;
    static final int KIND_HNSWFLAT = 7;
    static final int KIND_PQ = 8;
    static final int KIND_SQ = 9;
    static final int KIND_IDMAP = 10;

    static {
        NativeLoader.load();
    }

    private Native() {}

    /** A NUL-terminated UTF-8 copy of {@code s}, or null. */
    static byte[] cstr(String s) {
        if (s == null) {
            return null;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(utf8, utf8.length + 1);
    }

    static native String version();

    static native void configure(byte[] server, byte[] apiKey, byte[] tenantId);

    static native void setOption(byte[] name, byte[] value);

    static native void configureRecovery(int maxRetries, double initialBackoffS, double backoffFactor);

    static native void ping();

    static native long newFlat(int d, int metric);

    static native long newFlatL2(int d);

    static native long newFlatIP(int d);

    static native long newIVFFlat(long quantizer, int d, long nlist, int metric);

    static native long newIVFPQ(long quantizer, int d, long nlist, long m, long nbits, int metric);

    static native long newPQ(int d, long m, long nbits, int metric);

    static native long newHNSWFlat(int d, int m, int metric);

    static native long newScalarQuantizer(int d, int quantizerType, int metric);

    static native long newIDMap(long subIndex);

    static native long factory(int d, byte[] description, int metric);

    static native long readFile(byte[] path);

    static native long fromBytes(byte[] data);

    static native void free(long h);

    static native int kind(long h);

    static native int dimension(long h);

    static native int metric(long h);

    static native boolean isRemote(long h);

    static native long ntotal(long h);

    static native boolean isTrained(long h);

    static native void train(long h, float[] x, long n);

    static native void add(long h, float[] x, long n);

    /** {@code offset} counts floats from the buffer's start address. */
    static native void addBuffer(long h, Buffer x, long offset, long n);

    static native void addWithIds(long h, float[] x, long n, long[] ids);

    static native void search(long h, float[] x, long n, int k, float[] distances, long[] labels);

    static native void searchBuffer(
            long h, Buffer x, long offset, long n, int k, float[] distances, long[] labels);

    static native RangeSearchResult rangeSearch(long h, float[] x, long n, float radius);

    static native long removeIds(long h, long[] ids);

    static native long removeRange(long h, long min, long max);

    static native void reconstruct(long h, long id, float[] out);

    static native void reset(long h);

    static native long merge(long[] handles);

    /** The handles of the {@code parts} (> 0) new indexes. */
    static native long[] split(long h, int parts);

    static native void writeFile(long h, byte[] path);

    static native byte[] toBytes(long h);

    static native void ivfSetNprobe(long h, long nprobe);

    static native long ivfNprobe(long h);

    static native long ivfNlist(long h);

    static native void hnswSetEfSearch(long h, int ef);

    static native int hnswEfSearch(long h);

    static native void hnswSetEfConstruction(long h, int ef);

    static native int hnswEfConstruction(long h);
}
