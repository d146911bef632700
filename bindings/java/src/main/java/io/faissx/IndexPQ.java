package io.faissx;

import java.util.Objects;

/** Product quantization: {@code m} sub-vectors (m divides d) of {@code nbits} bits each. Needs training. */
public class IndexPQ extends Index {
    public IndexPQ(int d, long m, long nbits, Metric metric) {
        super(Native.newPQ(checkDimension(d), checkPositive(m, "m"),
                checkPositive(nbits, "nbits"), Objects.requireNonNull(metric, "metric").code));
    }

    public IndexPQ(int d, long m, long nbits) {
        this(d, m, nbits, Metric.L2);
    }

    IndexPQ(long ptr) {
        super(ptr);
    }
}
