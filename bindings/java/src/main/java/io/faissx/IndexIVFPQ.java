package io.faissx;

import java.util.Objects;

/** An {@link IndexIVF} storing residuals compressed by a product quantizer. */
public class IndexIVFPQ extends IndexIVF {
    /**
     * Creates an IVF-PQ index over {@code quantizer} (dimension {@code d}), which stays allocated
     * while this index lives: {@code m} sub-vectors (m divides d) of {@code nbits} bits each.
     */
    public IndexIVFPQ(Index quantizer, int d, long nlist, long m, long nbits, Metric metric) {
        super(Objects.requireNonNull(quantizer, "quantizer").derive(q -> Native.newIVFPQ(
                q, checkDimension(d), checkPositive(nlist, "nlist"), checkPositive(m, "m"),
                checkPositive(nbits, "nbits"), Objects.requireNonNull(metric, "metric").code)));
    }

    public IndexIVFPQ(Index quantizer, int d, long nlist, long m, long nbits) {
        this(quantizer, d, nlist, m, nbits, Metric.L2);
    }

    IndexIVFPQ(long ptr) {
        super(ptr);
    }
}
