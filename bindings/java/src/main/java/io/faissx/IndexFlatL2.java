package io.faissx;

/** Exact search by squared L2 distance. */
public class IndexFlatL2 extends IndexFlat {
    public IndexFlatL2(int d) {
        super(Native.newFlatL2(checkDimension(d)));
    }

    IndexFlatL2(long ptr) {
        super(ptr);
    }
}
