package io.faissx;

/** Process-wide settings of libfaissx: remote mode, client options, version. */
public final class Faissx {
    private Faissx() {}

    /**
     * Turns remote mode on: indexes created from now on (constructors, {@link Index#factory},
     * {@link Index#read}, {@link Index#fromBytes}) live on the faissx-server at {@code server}
     * ({@code "tcp://host:45678"} or {@code "host:45678"}). {@code apiKey} and {@code tenantId} may
     * be null when the server does not enforce authentication. {@code server} null turns remote
     * mode off. Existing indexes keep working where they live. Nothing is sent yet: a wrong
     * address shows at the next index creation, as {@link FaissxException#TRANSPORT}.
     */
    public static void configure(String server, String apiKey, String tenantId) {
        Native.configure(Native.cstr(server), Native.cstr(apiKey), Native.cstr(tenantId));
    }

    /**
     * Sets a client option: {@code "timeout_ms"} (per request, default 30000),
     * {@code "cache_vectors"} ({@code "on"}/{@code "off"}), {@code "cache_memory_mb"}.
     */
    public static void setOption(String name, String value) {
        Native.setOption(
                Native.cstr(java.util.Objects.requireNonNull(name, "name")),
                Native.cstr(java.util.Objects.requireNonNull(value, "value")));
    }

    /**
     * How requests that are safe to repeat are retried when the server cannot be reached: up to
     * {@code maxRetries} more times, waiting {@code initialBackoffSeconds}, then
     * {@code backoffFactor} times longer each time.
     */
    public static void configureRecovery(int maxRetries, double initialBackoffSeconds, double backoffFactor) {
        Native.configureRecovery(maxRetries, initialBackoffSeconds, backoffFactor);
    }

    /** Checks that the configured server answers and accepts the credentials; throws otherwise. */
    public static void ping() {
        Native.ping();
    }

    /** faissx's version and the FAISS version it runs: {@code "faissx X.Y.Z (FAISS A.B.C)"}. */
    public static String version() {
        return Native.version();
    }
}
