package io.faissx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A server that is not there, or goes away: transport errors, never a crash or a silent result. */
class DeadServerTest {
    static final int D = 8;

    @BeforeEach
    void failFast() {
        Faissx.setOption("timeout_ms", "300");
        // Otherwise each call to a dead server waits 5 s for a connection.
        Faissx.setOption("connect_timeout_ms", "500");
        Faissx.configureRecovery(0, 0.01, 1.0);
    }

    @AfterEach
    void localAgain() {
        Faissx.configure(null, null, null);
    }

    private static void assertTransport(Executable call) {
        FaissxException e = assertThrows(FaissxException.class, call);
        assertEquals(FaissxException.TRANSPORT, e.code(), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }

    /** The failed call's own error: code and a message naming the C function that failed. */
    private static void assertTransport(String function, Executable call) {
        FaissxException e = assertThrows(FaissxException.class, call);
        assertEquals(FaissxException.TRANSPORT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(function), e.getMessage());
    }

    @Test
    void nobodyListening() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Faissx.configure("tcp://127.0.0.1:" + port, null, null);
        assertTransport(() -> new IndexFlatL2(D));
        assertTransport(() -> Index.factory(D, "Flat"));
        assertTransport(Faissx::ping);

        Faissx.configure(null, null, null);
        try (IndexFlatL2 local = new IndexFlatL2(D)) {
            assertFalse(local.isRemote(), "configure(null, ...) turns remote mode off");
        }
    }

    @Test
    void serverGoesAwayUnderAnIndex() throws Exception {
        float[] x = Data.random(100, D, 3);
        IndexHNSWFlat hnsw;
        IndexFlatL2 index;
        try (ServerProcess server = ServerProcess.start()) {
            Faissx.configure(server.address, null, null);
            index = new IndexFlatL2(D);
            hnsw = new IndexHNSWFlat(D, 8);
            assertTrue(index.isRemote());
            index.add(x);
            assertEquals(100, index.ntotal());
            assertEquals(0, index.search(Data.row(x, D, 0), 1).labels[0]);
        }
        try (index; hnsw) {
            assertTransport(() -> index.search(x, 1));
            assertTransport(() -> index.add(x));
            assertTransport(index::ntotal);
            assertTransport(index::toBytes);
            assertTransport(() -> hnsw.setEfSearch(32));
        }
    }

    /**
     * Getters and setters return no error code in the C API: a genuine 0 from a live server must
     * pass, and a dead server must throw rather than pass for a 0.
     */
    @Test
    void gettersAndSettersThrowWhenTheServerIsGone() throws Exception {
        float[] x = Data.random(200, D, 4);
        IndexFlatL2 empty;
        IndexFlatL2 quantizer;
        IndexIVFFlat ivf;
        IndexHNSWFlat hnsw;
        try (ServerProcess server = ServerProcess.start()) {
            Faissx.configure(server.address, null, null);
            empty = new IndexFlatL2(D);
            quantizer = new IndexFlatL2(D);
            ivf = new IndexIVFFlat(quantizer, D, 4);
            hnsw = new IndexHNSWFlat(D, 8);
            assertTrue(empty.isRemote() && ivf.isRemote() && hnsw.isRemote());
            assertEquals(0, empty.ntotal());
            assertEquals(0, ivf.ntotal());
            assertFalse(ivf.isTrained());
            ivf.train(x);
            assertTrue(ivf.isTrained());
            ivf.setNprobe(3);
            assertEquals(3, ivf.nprobe());
            hnsw.setEfSearch(24);
            assertEquals(24, hnsw.efSearch());
            hnsw.setEfConstruction(48);
            assertEquals(48, hnsw.efConstruction());
        }
        try (empty; quantizer; ivf; hnsw) {
            assertTransport("faissx_Index_ntotal", empty::ntotal);
            assertTransport("faissx_Index_ntotal", ivf::ntotal);
            assertTransport("faissx_Index_is_trained", ivf::isTrained);
            assertTransport("faissx_IndexIVF_nprobe", ivf::nprobe);
            assertTransport("faissx_IndexIVF_set_nprobe", () -> ivf.setNprobe(2));
            assertTransport("faissx_IndexHNSW_efSearch", hnsw::efSearch);
            assertTransport("faissx_IndexHNSW_set_efSearch", () -> hnsw.setEfSearch(32));
            assertTransport("faissx_IndexHNSW_efConstruction", hnsw::efConstruction);
            assertTransport("faissx_IndexHNSW_set_efConstruction", () -> hnsw.setEfConstruction(64));
            // Fixed at creation and kept by the client: answered without the server.
            assertEquals(4, ivf.nlist());
            assertEquals(Metric.L2, empty.metric());
            assertEquals(D, empty.dimension());
        }
    }
}
