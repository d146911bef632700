package io.faissx;

import static io.faissx.Data.assertClose;
import static io.faissx.Data.assertExactKnn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checks every mode must pass: {@link LocalIndexTest} runs them in process,
 * {@link RemoteIndexTest} against a faissx-server. Expected answers come from brute force in
 * Java ({@link Data}), never from the library under test.
 */
abstract class IndexChecks {
    static final int D = 16;
    static final int NB = 1000;
    static final int NQ = 20;

    final float[] xb = Data.random(NB, D, 1);
    final float[] xq = Data.random(NQ, D, 2);

    /** Whether indexes created by this test class live on a server. */
    abstract boolean remote();

    // ---- exact indexes ----

    @Test
    void flatL2MatchesBruteForce() {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            assertEquals(remote(), index.isRemote());
            assertEquals(D, index.dimension());
            assertEquals(Metric.L2, index.metric());
            assertTrue(index.isTrained());
            assertEquals(0, index.ntotal());
            index.add(xb);
            assertEquals(NB, index.ntotal());
            assertExactKnn(index.search(xq, 5), xq, xb, D, Metric.L2);
        }
    }

    @Test
    void flatIPMatchesBruteForce() {
        try (IndexFlatIP index = new IndexFlatIP(D)) {
            assertEquals(Metric.INNER_PRODUCT, index.metric());
            index.add(xb);
            assertExactKnn(index.search(xq, 5), xq, xb, D, Metric.INNER_PRODUCT);
        }
    }

    @Test
    void ivfFlatWithEveryListProbedEqualsFlat() {
        int nlist = 16;
        try (IndexFlatL2 quantizer = new IndexFlatL2(D);
                IndexIVFFlat ivf = new IndexIVFFlat(quantizer, D, nlist, Metric.L2);
                IndexFlatL2 flat = new IndexFlatL2(D)) {
            assertFalse(ivf.isTrained());
            ivf.train(xb);
            assertTrue(ivf.isTrained());
            ivf.add(xb);
            flat.add(xb);
            assertEquals(nlist, ivf.nlist());
            ivf.setNprobe(nlist);
            assertEquals(nlist, ivf.nprobe());

            SearchResult got = ivf.search(xq, 10);
            SearchResult want = flat.search(xq, 10);
            assertArrayEquals(want.labels, got.labels);
            for (int i = 0; i < want.distances.length; i++) {
                assertClose(want.distances[i], got.distances[i], "distance " + i);
            }
            assertExactKnn(got, xq, xb, D, Metric.L2);
        }
    }

    @Test
    void compositeKeepsItsInnerIndexAlive() {
        // Closed first: the IVF keeps using its quantizer.
        IndexFlatL2 quantizer = new IndexFlatL2(D);
        try (IndexIVFFlat ivf = new IndexIVFFlat(quantizer, D, 8)) {
            quantizer.close();
            assertThrows(IllegalStateException.class, quantizer::ntotal);
            checkIvf(ivf);
        }
        // Never closed, and collected: the Cleaner must not free it under the IVF.
        List<WeakReference<Index>> refs = new ArrayList<>();
        try (IndexIVFFlat ivf = ivfOver(new IndexFlatL2(D), refs)) {
            for (int i = 0; i < 50 && refs.get(0).get() != null; i++) {
                System.gc();
            }
            assertNull(refs.get(0).get(), "the quantizer's Java object was collected");
            checkIvf(ivf);
        }
        IndexFlatL2 inner = new IndexFlatL2(D);
        try (IndexIDMap map = new IndexIDMap(inner)) {
            inner.close();
            map.addWithIds(Data.row(xb, D, 0), new long[] {42});
            assertEquals(42, map.search(Data.row(xb, D, 0), 1).labels[0]);
        }
    }

    private static IndexIVFFlat ivfOver(IndexFlatL2 quantizer, List<WeakReference<Index>> refs) {
        refs.add(new WeakReference<>(quantizer));
        return new IndexIVFFlat(quantizer, D, 8);
    }

    private void checkIvf(IndexIVFFlat ivf) {
        ivf.train(xb);
        ivf.add(xb);
        ivf.setNprobe(8);
        assertExactKnn(ivf.search(xq, 3), xq, xb, D, Metric.L2);
    }

    @Test
    void hnswHasGoodRecall() {
        try (IndexHNSWFlat index = new IndexHNSWFlat(D, 16)) {
            assertTrue(index.isTrained());
            index.setEfConstruction(80);
            assertEquals(80, index.efConstruction());
            index.add(xb);
            index.setEfSearch(64);
            assertEquals(64, index.efSearch());
            SearchResult res = index.search(xq, 1);
            double recall = Data.recall(res, xq, xb, D);
            assertTrue(recall >= 0.9, "recall@1 " + recall);
        }
    }

    @Test
    void productQuantizerDistancesAreToTheDecodedVectors() {
        try (IndexPQ index = new IndexPQ(D, 4, 4)) {
            assertFalse(index.isTrained());
            index.train(xb);
            index.add(xb);
            SearchResult res = index.search(xq, 10);
            for (int q = 0; q < NQ; q++) {
                for (int i = 0; i < 10; i++) {
                    long label = res.labels[q * 10 + i];
                    float[] decoded = index.reconstruct(label);
                    assertClose(Data.l2(Data.row(xq, D, q), 0, decoded, 0, D), res.distances[q * 10 + i],
                            "query " + q + " rank " + i);
                    if (i > 0) {
                        assertTrue(res.distances[q * 10 + i - 1] <= res.distances[q * 10 + i]);
                    }
                }
            }
            assertTrue(Data.recall(res, xq, xb, D) >= 0.5, "recall@10 " + Data.recall(res, xq, xb, D));
        }
    }

    @Test
    void ivfpqFindsNeighbours() {
        try (IndexFlatL2 quantizer = new IndexFlatL2(D);
                IndexIVFPQ index = new IndexIVFPQ(quantizer, D, 8, 8, 4)) {
            assertFalse(index.isTrained());
            index.train(xb);
            index.add(xb);
            index.setNprobe(8);
            SearchResult res = index.search(xq, 10);
            for (long label : res.labels) {
                assertTrue(label >= 0 && label < NB);
            }
            double recall = Data.recall(res, xq, xb, D);
            assertTrue(recall >= 0.8, "recall@10 " + recall);
        }
    }

    @Test
    void scalarQuantizerFindsTheQueryItself() {
        try (IndexScalarQuantizer index = new IndexScalarQuantizer(D, QuantizerType.QT_8BIT, Metric.L2)) {
            index.train(xb);
            index.add(xb);
            float[] queries = java.util.Arrays.copyOf(xb, 50 * D);
            SearchResult res = index.search(queries, 1);
            int self = 0;
            for (int q = 0; q < 50; q++) {
                if (res.labels[q] == q) {
                    self++;
                }
            }
            assertTrue(self >= 48, self + " of 50 queries found themselves");
        }
    }

    @Test
    void factoryBuildsTheMatchingClass() {
        try (Index flat = Index.factory(D, "Flat", Metric.INNER_PRODUCT);
                Index ivf = Index.factory(D, "IVF8,Flat");
                Index hnsw = Index.factory(D, "HNSW8");
                Index pq = Index.factory(D, "PQ4");
                Index sq = Index.factory(D, "SQ8");
                Index idmap = Index.factory(D, "IDMap,Flat")) {
            assertInstanceOf(IndexFlat.class, flat);
            assertEquals(Metric.INNER_PRODUCT, flat.metric());
            assertInstanceOf(IndexIVFFlat.class, ivf);
            assertEquals(8, ((IndexIVF) ivf).nlist());
            assertInstanceOf(IndexHNSWFlat.class, hnsw);
            assertInstanceOf(IndexPQ.class, pq);
            assertInstanceOf(IndexScalarQuantizer.class, sq);
            assertInstanceOf(IndexIDMap.class, idmap);
            assertEquals(remote(), ivf.isRemote());

            flat.add(xb);
            assertExactKnn(flat.search(xq, 4), xq, xb, D, Metric.INNER_PRODUCT);
        }
    }

    // ---- ids, range search, removal, reconstruction ----

    @Test
    void idMapReturnsTheCallersIds() {
        long[] ids = new long[NB];
        for (int i = 0; i < NB; i++) {
            ids[i] = 1_000_000L + 7L * i;
        }
        try (IndexFlatL2 flat = new IndexFlatL2(D); IndexIDMap index = new IndexIDMap(flat)) {
            index.addWithIds(xb, ids);
            assertEquals(NB, index.ntotal());
            SearchResult res = index.search(java.util.Arrays.copyOf(xb, 10 * D), 1);
            for (int q = 0; q < 10; q++) {
                assertEquals(ids[q], res.labels[q]);
                assertClose(0f, res.distances[q], "self distance");
            }
        }
    }

    @Test
    void rangeSearchMatchesBruteForce() {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            index.add(xb);
            float[] first = Data.distances(xq, 0, xb, D, Metric.L2);
            Integer[] order = Data.ranking(first, Metric.L2);
            float radius = (first[order[9]] + first[order[10]]) / 2;

            RangeSearchResult res = index.rangeSearch(xq, radius);
            assertEquals(NQ, res.nq());
            assertEquals(0, res.lims[0]);
            assertEquals(res.labels.length, res.lims[NQ]);
            assertEquals(10, res.lims[1] - res.lims[0], "query 0 has 10 vectors within the radius");
            for (int q = 0; q < NQ; q++) {
                float[] dist = Data.distances(xq, q, xb, D, Metric.L2);
                Set<Long> found = new HashSet<>();
                for (long j = res.lims[q]; j < res.lims[q + 1]; j++) {
                    long label = res.labels[(int) j];
                    assertTrue(found.add(label));
                    assertTrue(dist[(int) label] < radius + 1e-3f);
                    assertClose(dist[(int) label], res.distances[(int) j], "query " + q);
                }
                for (int i = 0; i < NB; i++) {
                    if (dist[i] < radius - 1e-3f) {
                        assertTrue(found.contains((long) i), "query " + q + " misses " + i);
                    }
                }
            }
        }
    }

    @Test
    void removeByIdsAndByRange() {
        long[] ids = new long[100];
        for (int i = 0; i < 100; i++) {
            ids[i] = i;
        }
        float[] x = java.util.Arrays.copyOf(xb, 100 * D);
        try (IndexFlatL2 flat = new IndexFlatL2(D); IndexIDMap index = new IndexIDMap(flat)) {
            index.addWithIds(x, ids);
            assertEquals(2, index.removeIds(new long[] {3, 5, 5000}));
            assertEquals(10, index.removeRange(10, 20));
            assertEquals(0, index.removeRange(10, 20));
            assertEquals(88, index.ntotal());
            SearchResult res = index.search(x, 1);
            for (int q = 0; q < 100; q++) {
                boolean removed = q == 3 || q == 5 || (q >= 10 && q < 20);
                if (removed) {
                    assertNotEquals(q, res.labels[q], "removed vector " + q + " still found");
                } else {
                    assertEquals(q, res.labels[q]);
                }
            }
        }
        try (IndexFlatL2 flat = new IndexFlatL2(D)) {
            flat.add(x);
            assertEquals(3, flat.removeIds(new long[] {0, 1, 2}));
            assertEquals(97, flat.ntotal());
            flat.reset();
            assertEquals(0, flat.ntotal());
        }
    }

    @Test
    void reconstructReturnsTheStoredVector() {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            index.add(xb);
            assertArrayEquals(Data.row(xb, D, 7), index.reconstruct(7));
            assertArrayEquals(Data.row(xb, D, NB - 1), index.reconstruct(NB - 1));
            FaissxException e = assertThrows(FaissxException.class, () -> index.reconstruct(NB));
            assertNotEquals(0, e.code());
        }
    }

    // ---- merging and splitting ----

    @Test
    void splitPartsMergeBackIntoTheIndex() {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            index.add(xb);
            byte[] before = index.toBytes();
            Index[] parts = index.split(3);
            try {
                assertEquals(3, parts.length);
                // A flat index's ids are positions: part k holds the next run of vectors.
                int first = 0;
                for (int k = 0; k < parts.length; k++) {
                    Index part = parts[k];
                    assertInstanceOf(IndexFlatL2.class, part);
                    assertEquals(Metric.L2, part.metric());
                    assertEquals(remote(), part.isRemote());
                    int n = (int) part.ntotal();
                    assertTrue(n == NB / 3 || n == NB / 3 + 1, "part " + k + " holds " + n);
                    assertArrayEquals(Data.row(xb, D, first), part.reconstruct(0), "part " + k + ", first");
                    assertArrayEquals(Data.row(xb, D, first + n - 1), part.reconstruct(n - 1), "part " + k + ", last");
                    first += n;
                }
                assertEquals(NB, first);
                assertArrayEquals(before, index.toBytes(), "split left the index as it was");

                try (Index merged = Index.merge(parts)) {
                    assertInstanceOf(IndexFlatL2.class, merged);
                    assertEquals(remote(), merged.isRemote());
                    assertEquals(NB, merged.ntotal());
                    SearchResult want = index.search(xq, 10);
                    SearchResult got = merged.search(xq, 10);
                    assertArrayEquals(want.labels, got.labels);
                    assertArrayEquals(want.distances, got.distances);
                }
                assertEquals(NB, java.util.Arrays.stream(parts).mapToLong(Index::ntotal).sum(),
                        "merge left the parts as they were");

                // One index twice: its vectors twice, the copy numbered after the original.
                long n = parts[0].ntotal();
                try (Index twice = Index.merge(parts[0], parts[0])) {
                    assertEquals(2 * n, twice.ntotal());
                    assertArrayEquals(Data.row(xb, D, 0), twice.reconstruct(n));
                }
            } finally {
                for (Index part : parts) {
                    part.close();
                }
            }
        }
    }

    @Test
    void mergeKeepsTheIdsOfIdMaps() {
        int half = NB / 2;
        long[] ids = new long[NB];
        for (int i = 0; i < NB; i++) {
            ids[i] = 5_000_000L - 11L * i;
        }
        try (Index a = Index.factory(D, "IDMap,Flat"); Index b = Index.factory(D, "IDMap,Flat")) {
            a.addWithIds(java.util.Arrays.copyOf(xb, half * D), java.util.Arrays.copyOf(ids, half));
            b.addWithIds(java.util.Arrays.copyOfRange(xb, half * D, NB * D), java.util.Arrays.copyOfRange(ids, half, NB));
            try (Index merged = Index.merge(a, b)) {
                assertInstanceOf(IndexIDMap.class, merged);
                assertEquals(remote(), merged.isRemote());
                assertEquals(NB, merged.ntotal());
                assertEquals(half, a.ntotal());
                assertEquals(NB - half, b.ntotal());
                // Every vector finds itself, under the id it was added with.
                SearchResult res = merged.search(xb, 1);
                for (int q = 0; q < NB; q++) {
                    assertEquals(ids[q], res.labels[q], "vector " + q);
                }
            }
        }
    }

    @Test
    void mergeAndSplitFailuresCarryCodeAndMessage() {
        try (IndexFlatL2 index = new IndexFlatL2(D);
                IndexFlatL2 wide = new IndexFlatL2(D + 1);
                IndexHNSWFlat hnsw = new IndexHNSWFlat(D, 8)) {
            index.add(xb);
            FaissxException e = assertThrows(FaissxException.class, () -> Index.merge(index, wide));
            assertEquals(FaissxException.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("dimension"), e.getMessage());

            hnsw.add(Data.random(50, D, 3));
            e = assertThrows(FaissxException.class, () -> hnsw.split(2));
            assertEquals(FaissxException.FAISS, e.code());
            assertFalse(e.getMessage().isEmpty());
            e = assertThrows(FaissxException.class, () -> Index.merge(hnsw, hnsw));
            assertEquals(FaissxException.FAISS, e.code());
            assertEquals(50, hnsw.ntotal());

            assertThrows(IllegalArgumentException.class, () -> index.split(0));
            assertThrows(IllegalArgumentException.class, () -> index.split(-1));
            assertThrows(IllegalArgumentException.class, () -> Index.merge());
            assertThrows(NullPointerException.class, () -> Index.merge(index, null));
            assertThrows(NullPointerException.class, () -> Index.merge((Index[]) null));
            assertEquals(NB, index.ntotal());
        }
    }

    // ---- serialization ----

    @Test
    void writeAndReadFile(@TempDir Path dir) {
        Path file = dir.resolve("ivf.faissindex");
        try (IndexFlatL2 quantizer = new IndexFlatL2(D);
                IndexIVFFlat ivf = new IndexIVFFlat(quantizer, D, 8)) {
            ivf.train(xb);
            ivf.add(xb);
            ivf.setNprobe(3);
            SearchResult want = ivf.search(xq, 5);
            ivf.write(file.toString());
            assertTrue(Files.isRegularFile(file), "written on the client's side");

            try (Index loaded = Index.read(file.toString())) {
                assertInstanceOf(IndexIVFFlat.class, loaded);
                assertEquals(remote(), loaded.isRemote());
                assertEquals(NB, loaded.ntotal());
                assertEquals(3, ((IndexIVF) loaded).nprobe());
                SearchResult got = loaded.search(xq, 5);
                assertArrayEquals(want.labels, got.labels);
                assertArrayEquals(want.distances, got.distances, 1e-5f);
            }
        }
        FaissxException e = assertThrows(FaissxException.class,
                () -> Index.read(dir.resolve("missing.faissindex").toString()));
        assertTrue(e.getMessage().contains("missing.faissindex"), e.getMessage());
    }

    @Test
    void bytesRoundTripKeepsAnHnswGraph() {
        try (IndexHNSWFlat hnsw = new IndexHNSWFlat(D, 8)) {
            hnsw.add(xb);
            hnsw.setEfSearch(16);
            byte[] bytes = hnsw.toBytes();
            SearchResult want = hnsw.search(xq, 5);
            try (Index copy = Index.fromBytes(bytes)) {
                assertInstanceOf(IndexHNSWFlat.class, copy);
                assertEquals(NB, copy.ntotal());
                ((IndexHNSWFlat) copy).setEfSearch(16);
                SearchResult got = copy.search(xq, 5);
                assertArrayEquals(want.labels, got.labels);
                assertArrayEquals(want.distances, got.distances, 1e-5f);
            }
        }
        FaissxException e = assertThrows(FaissxException.class,
                () -> Index.fromBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        assertNotEquals(0, e.code());
    }

    // ---- FloatBuffer input ----

    @Test
    void floatBuffersGiveTheSameResultsAsArrays() {
        FloatBuffer direct = ByteBuffer.allocateDirect((NB + 3) * D * Float.BYTES)
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(new float[3 * D]).put(xb).flip();
        direct.position(3 * D); // vectors start after 3 vectors of padding
        FloatBuffer bigEndian = ByteBuffer.allocateDirect(NQ * D * Float.BYTES)
                .order(ByteOrder.BIG_ENDIAN).asFloatBuffer().put(xq).flip();

        try (IndexFlatL2 fromBuffer = new IndexFlatL2(D); IndexFlatL2 fromArray = new IndexFlatL2(D)) {
            fromBuffer.add(direct);
            assertEquals(3 * D, direct.position(), "add leaves the position alone");
            fromArray.add(xb);
            assertEquals(NB, fromBuffer.ntotal());
            assertArrayEquals(Data.row(xb, D, 0), fromBuffer.reconstruct(0));

            SearchResult want = fromArray.search(xq, 5);
            for (FloatBuffer queries : List.of(bigEndian, FloatBuffer.wrap(xq), nativeCopy(xq))) {
                SearchResult got = fromBuffer.search(queries, 5);
                assertArrayEquals(want.labels, got.labels);
                assertArrayEquals(want.distances, got.distances, 1e-5f);
            }

            fromBuffer.add(FloatBuffer.wrap(xq));
            fromBuffer.add(bigEndian);
            assertEquals(NB + 2 * NQ, fromBuffer.ntotal());
            assertArrayEquals(Data.row(xq, D, 1), fromBuffer.reconstruct(NB + NQ + 1));

            FloatBuffer ragged = nativeCopy(new float[D + 1]);
            assertThrows(IllegalArgumentException.class, () -> fromBuffer.add(ragged));
        }
    }

    private static FloatBuffer nativeCopy(float[] x) {
        return ByteBuffer.allocateDirect(x.length * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer().put(x).flip();
    }

    // ---- errors ----

    @Test
    void wrongInputIsRejectedBeforeC() {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            assertThrows(IllegalArgumentException.class, () -> index.add(new float[D + 1]));
            assertThrows(IllegalArgumentException.class, () -> index.search(new float[D - 1], 1));
            assertThrows(IllegalArgumentException.class, () -> index.search(new float[D], 0));
            assertThrows(IllegalArgumentException.class, () -> index.search(new float[D], -3));
            assertThrows(IllegalArgumentException.class, () -> index.addWithIds(new float[2 * D], new long[1]));
            assertThrows(NullPointerException.class, () -> index.add((float[]) null));
            assertThrows(NullPointerException.class, () -> index.search((float[]) null, 1));
            assertThrows(NullPointerException.class, () -> index.removeIds(null));
            assertEquals(0, index.ntotal());
        }
        assertThrows(IllegalArgumentException.class, () -> new IndexFlatL2(0));
        assertThrows(IllegalArgumentException.class, () -> new IndexHNSWFlat(D, -1));
        assertThrows(NullPointerException.class, () -> new IndexIVFFlat(null, D, 4));
    }

    @Test
    void failuresInsideFaissCarryCodeAndMessage() {
        try (IndexFlatL2 quantizer = new IndexFlatL2(D); IndexIVFFlat ivf = new IndexIVFFlat(quantizer, D, 8)) {
            FaissxException e = assertThrows(FaissxException.class, () -> ivf.add(xb));
            assertEquals(FaissxException.FAISS, e.code());
            assertFalse(e.getMessage().isEmpty());
            assertEquals(0, ivf.ntotal(), "a genuine 0 right after a failed call");
        }
        try (IndexFlatL2 quantizer = new IndexFlatL2(D + 1)) {
            FaissxException e = assertThrows(FaissxException.class, () -> new IndexIVFFlat(quantizer, D, 8));
            assertEquals(FaissxException.INVALID_ARGUMENT, e.code());
        }
        try (IndexFlatL2 flat = new IndexFlatL2(D); IndexIDMap map = new IndexIDMap(flat)) {
            FaissxException e = assertThrows(FaissxException.class, () -> map.add(xb));
            assertEquals(FaissxException.FAISS, e.code());
            e = assertThrows(FaissxException.class, () -> flat.addWithIds(xb, new long[NB]));
            assertEquals(FaissxException.FAISS, e.code());
        }
        FaissxException e = assertThrows(FaissxException.class, () -> Index.factory(D, "NoSuchIndex42"));
        assertEquals(FaissxException.FAISS, e.code());
        assertTrue(e.getMessage().contains("NoSuchIndex42"), e.getMessage());
    }

    @Test
    void useAfterCloseThrows() {
        IndexFlatL2 index = new IndexFlatL2(D);
        index.add(xb);
        index.close();
        index.close();
        assertThrows(IllegalStateException.class, index::ntotal);
        assertThrows(IllegalStateException.class, index::isTrained);
        assertThrows(IllegalStateException.class, () -> index.add(xb));
        assertThrows(IllegalStateException.class, () -> index.search(xq, 1));
        assertThrows(IllegalStateException.class, () -> index.rangeSearch(xq, 1f));
        assertThrows(IllegalStateException.class, () -> index.reconstruct(0));
        assertThrows(IllegalStateException.class, () -> index.removeIds(new long[] {1}));
        assertThrows(IllegalStateException.class, index::reset);
        assertThrows(IllegalStateException.class, index::toBytes);
        assertThrows(IllegalStateException.class, () -> new IndexIVFFlat(index, D, 4));
        assertThrows(IllegalStateException.class, () -> new IndexIDMap(index));
        assertThrows(IllegalStateException.class, () -> index.split(2));
        try (IndexFlatL2 live = new IndexFlatL2(D)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Index.merge(live, index));
            assertTrue(e.getMessage().contains("indexes[1]"), e.getMessage());
        }
        assertTrue(index.toString().contains("closed"));
    }

    // ---- threads ----

    @Test
    void eightThreadsSearchOneIndex() throws Exception {
        try (IndexFlatL2 index = new IndexFlatL2(D)) {
            index.add(xb);
            SearchResult want = index.search(xq, 8);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    runs.add(pool.submit(() -> {
                        for (int round = 0; round < 25; round++) {
                            int q = (thread + round) % NQ;
                            SearchResult got = index.search(Data.row(xq, D, q), 8);
                            for (int i = 0; i < 8; i++) {
                                assertEquals(want.labels[q * 8 + i], got.labels[i]);
                                assertEquals(want.distances[q * 8 + i], got.distances[i], 1e-4f);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> run : runs) {
                    run.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closeWaitsForSearchesInFlight() throws Exception {
        IndexFlatL2 index = new IndexFlatL2(D);
        index.add(xb);
        SearchResult want = index.search(xq, 3);
        CountDownLatch started = new CountDownLatch(4);
        AtomicInteger completed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                runs.add(pool.submit(() -> {
                    started.countDown();
                    while (true) {
                        SearchResult got;
                        try {
                            got = index.search(xq, 3);
                        } catch (IllegalStateException closed) {
                            return null;
                        }
                        assertArrayEquals(want.labels, got.labels);
                        completed.incrementAndGet();
                    }
                }));
            }
            started.await();
            while (completed.get() < 8 && runs.stream().noneMatch(Future::isDone)) {
                Thread.onSpinWait();
            }
            index.close();
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThrows(IllegalStateException.class, () -> index.search(xq, 1));
    }
}
