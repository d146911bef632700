package io.faissx;

import java.util.Objects;

/** A hierarchical navigable small-world graph over uncompressed vectors; approximate, no training. */
public class IndexHNSWFlat extends Index {
    /** {@code m}: neighbours per node (more: better recall, more memory). */
    public IndexHNSWFlat(int d, int m, Metric metric) {
        super(Native.newHNSWFlat(checkDimension(d), (int) checkPositive(m, "M"),
                Objects.requireNonNull(metric, "metric").code));
    }

    public IndexHNSWFlat(int d, int m) {
        this(d, m, Metric.L2);
    }

    IndexHNSWFlat(long ptr) {
        super(ptr);
    }

    public final int efSearch() {
        return shared(Native::hnswEfSearch);
    }

    /** The candidate list length of a search (at least k for k results). */
    public final void setEfSearch(int ef) {
        checkPositive(ef, "efSearch");
        exclusiveRun(ptr -> Native.hnswSetEfSearch(ptr, ef));
    }

    public final int efConstruction() {
        return shared(Native::hnswEfConstruction);
    }

    /** The candidate list length while adding; set it before adding vectors. */
    public final void setEfConstruction(int ef) {
        checkPositive(ef, "efConstruction");
        exclusiveRun(ptr -> Native.hnswSetEfConstruction(ptr, ef));
    }
}
