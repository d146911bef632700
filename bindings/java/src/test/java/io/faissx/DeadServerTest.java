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
}
