package io.faissx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The libraries the jar carries (staged into target/classes by build-native.sh), loaded the way a
 * program depending on the jar loads them: without the faissx.jni.library property the other test
 * classes use. Surefire gives this class its own JVM, so nothing has loaded them before.
 */
class BundledLibraryTest {
    @BeforeAll
    static void withoutExplicitLibrary() {
        System.clearProperty(NativeLoader.LIBRARY_PROPERTY);
        String name = System.mapLibraryName("faissx_jni");
        for (String dir : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            assumeTrue(dir.isEmpty() || !Files.exists(Paths.get(dir, name)),
                    "a system install in " + dir + " takes precedence over the jar's copy");
        }
    }

    @Test
    void searchesWithTheExtractedLibrariesAndLeavesNoFiles() throws IOException {
        float[] database = {0, 0, 10, 10, 3, 4};
        try (Index index = new IndexFlatL2(2)) {
            index.add(database);
            SearchResult r = index.search(new float[] {9, 9, 0, 1}, 2);
            assertArrayEquals(new long[] {1, 2, 0, 2}, r.labels);
            assertArrayEquals(new float[] {2, 61, 1, 18}, r.distances, 1e-4f);
        }

        String platform = NativeLoader.platform(System.getProperty("os.name"), System.getProperty("os.arch"));
        String source = NativeLoader.source();
        assertTrue(source.startsWith("jar " + NativeLoader.RESOURCE_ROOT + platform + "/ (extracted to "), source);
        Path dir = Paths.get(source.substring(source.indexOf("extracted to ") + 13, source.length() - 1));
        assertFalse(Files.exists(dir), dir + " is still there");

        // The JNI library and libfaissx in use are the extracted copies, not the build tree's.
        List<String> mapped = Files.readAllLines(Paths.get("/proc/self/maps")).stream()
                .filter(line -> line.contains("libfaissx"))
                .map(line -> line.substring(line.indexOf('/')))
                .distinct()
                .collect(Collectors.toList());
        assertEquals(2, mapped.size(), mapped.toString());
        for (String file : mapped) {
            assertTrue(file.startsWith(dir + "/libfaissx"), mapped.toString());
        }
    }

    @Test
    void namesThePlatformWhenTheJarHasNoLibraryForIt() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
                () -> NativeLoader.extractAndLoad("plan9-mips"));
        assertTrue(e.getMessage().contains("no native library for plan9-mips"), e.getMessage());
        assertTrue(e.getMessage().contains("META-INF/native/plan9-mips/"), e.getMessage());
    }

    @Test
    void platformNames() {
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "x86_64"));
        assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
        assertEquals("macos-aarch64", NativeLoader.platform("Mac OS X", "aarch64"));
        assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "amd64"));
    }
}
