package io.faissx;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A faissx-server on an ephemeral loopback port, for the duration of a test class. */
final class ServerProcess implements AutoCloseable {
    private static final String PREFIX = "listening on ";

    private final Process process;
    final String address;

    private ServerProcess(Process process, String address) {
        this.process = process;
        this.address = address;
    }

    /** Starts target/release/faissx-server (path from the faissx.server.binary property). */
    static ServerProcess start() throws IOException {
        String binary = System.getProperty("faissx.server.binary", "../../target/release/faissx-server");
        if (!new File(binary).canExecute()) {
            throw new IllegalStateException(binary + " is missing: run 'cargo build --release' at the repository root");
        }
        ProcessBuilder pb = new ProcessBuilder(
                binary, "--bind-address", "127.0.0.1", "--port", "0", "--log-level", "warn");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("FAISSX_"));
        Process process = pb.start();
        BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(PREFIX)) {
                // Keep reading what it prints, so that a full pipe never blocks the server.
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // discarded
                        }
                    } catch (IOException ignored) {
                        // the server is gone
                    }
                }, "faissx-server-stdout");
                drain.setDaemon(true);
                drain.start();
                return new ServerProcess(process, line.substring(PREFIX.length()).trim());
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("faissx-server exited without announcing its address");
    }

    /** Kills the server and waits until it is gone. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
