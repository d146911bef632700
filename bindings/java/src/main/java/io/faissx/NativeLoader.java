package io.faissx;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads libfaissx_jni and the libfaissx it links, from the first of:
 * <ol>
 *   <li>the file named by the system property {@value #LIBRARY_PROPERTY};</li>
 *   <li>{@code libfaissx_jni.so} in a folder of {@code java.library.path} (a system install, which
 *       then also provides libfaissx);</li>
 *   <li>the copies the jar carries under {@code META-INF/native/<platform>/}, extracted into a
 *       private temporary folder.</li>
 * </ol>
 */
final class NativeLoader {
    static final String LIBRARY_PROPERTY = "faissx.jni.library";
    static final String RESOURCE_ROOT = "META-INF/native/";
    /** Lists the bundled files of a platform, one a line, in the order they must be loaded. */
    static final String LIST_NAME = "libraries";
    private static final String JNI_NAME = "faissx_jni";

    private static String source;

    private NativeLoader() {}

    /** Loads the libraries, once; later calls do nothing. */
    static synchronized void load() {
        if (source != null) {
            return;
        }
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit != null && !explicit.isEmpty()) {
            String path = new File(explicit).getAbsolutePath();
            System.load(path);
            source = LIBRARY_PROPERTY + " " + path;
            return;
        }
        Path installed = onLibraryPath(System.mapLibraryName(JNI_NAME));
        if (installed != null) {
            // An install that is present but broken (its libfaissx missing) fails here, loudly,
            // rather than being passed over for the jar's copy: the admin chose that install.
            System.loadLibrary(JNI_NAME);
            source = "java.library.path " + installed;
            return;
        }
        String platform = platform(System.getProperty("os.name"), System.getProperty("os.arch"));
        source = "jar " + RESOURCE_ROOT + platform + "/ (extracted to " + extractAndLoad(platform) + ")";
    }

    /** Where the libraries were loaded from, for diagnostics; null before {@link #load()}. */
    static synchronized String source() {
        return source;
    }

    /** The folder name the jar keeps a platform's natives under: {@code linux-x86_64}, ... */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else {
            os = os.replaceAll("[^a-z0-9]", "");
        }
        String arch = osArch.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
                arch = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                arch = "aarch64";
                break;
            default:
                arch = arch.replaceAll("[^a-z0-9_]", "");
        }
        return os + "-" + arch;
    }

    private static Path onLibraryPath(String fileName) {
        String path = System.getProperty("java.library.path", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Paths.get(dir, fileName);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Extracts the platform's libraries, loads them in the listed order, and returns the folder. */
    static Path extractAndLoad(String platform) {
        String prefix = "/" + RESOURCE_ROOT + platform + "/";
        List<String> names = bundledNames(prefix);
        if (names == null) {
            throw new UnsatisfiedLinkError("faissx: this jar carries no native library for " + platform
                    + " (os.name=" + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch")
                    + "; looked for " + prefix.substring(1) + "). Install libfaissx_jni"
                    + " on java.library.path, or name it with -D" + LIBRARY_PROPERTY + "=/path/to/"
                    + System.mapLibraryName(JNI_NAME));
        }
        Path dir;
        try {
            dir = privateTempDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("faissx: cannot create a temporary folder for the native libraries", e);
        }
        // Registered before its files, so that at exit (reverse order) they go before it.
        dir.toFile().deleteOnExit();
        List<Path> files = new ArrayList<>();
        try {
            for (String name : names) {
                Path file = dir.resolve(name);
                try (InputStream in = NativeLoader.class.getResourceAsStream(prefix + name)) {
                    if (in == null) {
                        throw new UnsatisfiedLinkError("faissx: the jar lists " + prefix.substring(1) + name
                                + " but does not carry it");
                    }
                    Files.copy(in, file);
                } catch (IOException e) {
                    throw new UncheckedIOException("faissx: cannot extract " + name + " into " + dir, e);
                }
                files.add(file);
            }
            // The JNI library comes last: its NEEDED libfaissx then matches the one already loaded
            // (by SONAME), and when libfaissx has no SONAME, its RUNPATH $ORIGIN finds the copy
            // beside it.
            for (Path file : files) {
                try {
                    System.load(file.toString());
                } catch (UnsatisfiedLinkError e) {
                    UnsatisfiedLinkError wrapped = new UnsatisfiedLinkError("faissx: cannot load " + file.getFileName()
                            + ", extracted from the jar for " + platform + " into " + dir + ": " + e.getMessage()
                            + " (libfaissx needs libstdc++, libgomp and BLAS/LAPACK from the system; a temporary"
                            + " folder mounted noexec needs another -Djava.io.tmpdir)");
                    wrapped.initCause(e);
                    throw wrapped;
                }
            }
        } finally {
            // Once mapped, the libraries no longer need their files on Linux: removing them now
            // leaves nothing behind even when the JVM is killed. Where the OS refuses, at exit.
            for (Path file : files) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // left to deleteOnExit
            }
        }
        return dir;
    }

    private static List<String> bundledNames(String prefix) {
        InputStream in = NativeLoader.class.getResourceAsStream(prefix + LIST_NAME);
        if (in == null) {
            return null;
        }
        List<String> names = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.trim();
                if (line.isEmpty()) {
                    continue;
                }
                // Names become file names in the extraction folder: keep them inside it.
                if (line.contains("/") || line.contains(File.separator) || line.startsWith(".")) {
                    throw new UnsatisfiedLinkError("faissx: bad library name in " + prefix.substring(1) + LIST_NAME
                            + ": " + line);
                }
                names.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("faissx: cannot read " + prefix.substring(1) + LIST_NAME, e);
        }
        return names;
    }

    /** A new folder only this user can read, write or enter, so no one swaps the libraries in it. */
    private static Path privateTempDirectory() throws IOException {
        try {
            return Files.createTempDirectory("faissx-native-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException notPosix) {
            return Files.createTempDirectory("faissx-native-");
        }
    }
}
