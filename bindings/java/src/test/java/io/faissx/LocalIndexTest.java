package io.faissx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The shared checks with indexes in this process. */
class LocalIndexTest extends IndexChecks {
    @Override
    boolean remote() {
        return false;
    }

    @Test
    void versionNamesFaissxAndFaiss() {
        String version = Faissx.version();
        assertTrue(version.startsWith("faissx ") && version.contains("FAISS"), version);
    }
}
