package io.faissx;

import java.util.Objects;

/** An {@link IndexIVF} storing the vectors uncompressed. */
public class IndexIVFFlat extends IndexIVF {
    /**
     * Creates an IVF index over {@code quantizer} (a flat index of dimension {@code d}, typically),
     * which stays allocated while this index lives, even if closed first.
     */
    public IndexIVFFlat(Index quantizer, int d, long nlist, Metric metric) {
        super(Objects.requireNonNull(quantizer, "quantizer").derive(q -> Native.newIVFFlat(
                q, checkDimension(d), checkPositive(nlist, "nlist"),
                Objects.requireNonNull(metric, "metric").code)));
    }

    public IndexIVFFlat(Index quantizer, int d, long nlist) {
        this(quantizer, d, nlist, Metric.L2);
    }

    IndexIVFFlat(long ptr) {
        super(ptr);
    }
}
