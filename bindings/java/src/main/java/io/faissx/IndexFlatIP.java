package io.faissx;

/** Exact search by inner product (largest first). */
public class IndexFlatIP extends IndexFlat {
    public IndexFlatIP(int d) {
        super(Native.newFlatIP(checkDimension(d)));
    }

    IndexFlatIP(long ptr) {
        super(ptr);
    }
}
