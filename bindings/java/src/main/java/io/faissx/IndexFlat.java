package io.faissx;

import java.util.Objects;

/** Exact search: every query is compared with every stored vector. */
public class IndexFlat extends Index {
    public IndexFlat(int d, Metric metric) {
        super(Native.newFlat(checkDimension(d), Objects.requireNonNull(metric, "metric").code));
    }

    IndexFlat(long ptr) {
        super(ptr);
    }
}
