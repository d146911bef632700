package io.faissx;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared checks with every index on a faissx-server started for this class. */
class RemoteIndexTest extends IndexChecks {
    private static ServerProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = ServerProcess.start();
        Faissx.configure(server.address, null, null);
        Faissx.ping();
    }

    @AfterAll
    static void stopServer() throws Exception {
        Faissx.configure(null, null, null);
        if (server != null) {
            server.close();
        }
    }

    @Override
    boolean remote() {
        return true;
    }
}
