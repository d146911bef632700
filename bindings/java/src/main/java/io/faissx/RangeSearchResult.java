package io.faissx;

/**
 * Every neighbour within the radius of each query: query {@code q}'s results are at indexes
 * {@code lims[q]} (inclusive) to {@code lims[q + 1]} (exclusive) of {@code labels} and
 * {@code distances}, in no particular order.
 */
public final class RangeSearchResult {
    public final long[] lims;
    public final long[] labels;
    public final float[] distances;

    RangeSearchResult(long[] lims, long[] labels, float[] distances) {
        this.lims = lims;
        this.labels = labels;
        this.distances = distances;
    }

    /** The number of queries. */
    public int nq() {
        return lims.length - 1;
    }
}
