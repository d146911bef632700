package io.faissx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

/** Test vectors and the brute-force answers they are checked against. */
final class Data {
    private Data() {}

    static float[] random(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }

    static float[] row(float[] x, int d, int i) {
        return Arrays.copyOfRange(x, i * d, (i + 1) * d);
    }

    static float l2(float[] a, int ai, float[] b, int bi, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double diff = a[ai * d + j] - b[bi * d + j];
            s += diff * diff;
        }
        return (float) s;
    }

    static float ip(float[] a, int ai, float[] b, int bi, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            s += (double) a[ai * d + j] * b[bi * d + j];
        }
        return (float) s;
    }

    /** Distances from query q to every database vector. */
    static float[] distances(float[] xq, int q, float[] xb, int d, Metric metric) {
        int nb = xb.length / d;
        float[] out = new float[nb];
        for (int i = 0; i < nb; i++) {
            out[i] = metric == Metric.L2 ? l2(xq, q, xb, i, d) : ip(xq, q, xb, i, d);
        }
        return out;
    }

    /** Database ids sorted best first for query q. */
    static Integer[] ranking(float[] dist, Metric metric) {
        Integer[] ids = new Integer[dist.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> metric == Metric.L2
                ? Float.compare(dist[a], dist[b]) : Float.compare(dist[b], dist[a]));
        return ids;
    }

    static void assertClose(float expected, float actual, String what) {
        float tol = 1e-3f + 1e-4f * Math.abs(expected);
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + ", got " + actual);
    }

    /**
     * Checks an exact k-NN result against brute force: at every rank, the returned distance and
     * the true distance of the returned label both equal the true k-th best distance (so exact
     * ties may come in either order), and no label repeats.
     */
    static void assertExactKnn(SearchResult res, float[] xq, float[] xb, int d, Metric metric) {
        int nq = xq.length / d;
        assertEquals(nq, res.nq());
        for (int q = 0; q < nq; q++) {
            float[] dist = distances(xq, q, xb, d, metric);
            Integer[] rank = ranking(dist, metric);
            for (int i = 0; i < res.k; i++) {
                long label = res.labels[q * res.k + i];
                String at = "query " + q + " rank " + i;
                assertTrue(label >= 0 && label < dist.length, at + ": label " + label);
                assertClose(dist[rank[i]], res.distances[q * res.k + i], at + " distance");
                assertClose(dist[rank[i]], dist[(int) label], at + " true distance of label " + label);
                for (int j = 0; j < i; j++) {
                    assertTrue(res.labels[q * res.k + j] != label, at + ": label repeated");
                }
            }
        }
    }

    /** The share of queries whose true nearest neighbour is among the result's k labels. */
    static double recall(SearchResult res, float[] xq, float[] xb, int d) {
        int nq = xq.length / d;
        int hits = 0;
        for (int q = 0; q < nq; q++) {
            int truth = ranking(distances(xq, q, xb, d, Metric.L2), Metric.L2)[0];
            for (int i = 0; i < res.k; i++) {
                if (res.labels[q * res.k + i] == truth) {
                    hits++;
                    break;
                }
            }
        }
        return (double) hits / nq;
    }
}
