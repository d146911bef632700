package io.faissx;

/**
 * The k nearest neighbours of each query, closest first: query {@code q}'s i-th neighbour is
 * {@code labels[q * k + i]} at distance {@code distances[q * k + i]}; missing neighbours have
 * label -1.
 */
public final class SearchResult {
    public final int k;
    public final float[] distances;
    public final long[] labels;

    SearchResult(int k, float[] distances, long[] labels) {
        this.k = k;
        this.distances = distances;
        this.labels = labels;
    }

    /** The number of queries. */
    public int nq() {
        return labels.length / k;
    }
}
