package io.faissx;

import java.nio.charset.StandardCharsets;

/**
 * A failed libfaissx call: {@link #code()} is the faissx error code (the {@code FAISSX_ERR_*}
 * constants of faissx_c.h, mirrored here) and the message is libfaissx's, naming the function and
 * what was wrong.
 */
public class FaissxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int UNKNOWN = -1;
    /** FAISS itself refused (bad factory string, untrained index, ...). */
    public static final int FAISS = -2;
    public static final int STD = -4;
    public static final int INVALID_ARGUMENT = -5;
    public static final int UNSUPPORTED = -6;
    public static final int IO = -7;
    /** The server could not be reached or did not answer in time. */
    public static final int TRANSPORT = -10;
    public static final int AUTH = -11;
    public static final int NOT_FOUND = -12;
    public static final int PROTOCOL = -13;
    public static final int SERVER = -14;

    private final int code;

    public FaissxException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** Called from JNI with the thread's last error, as UTF-8 bytes. */
    FaissxException(int code, byte[] utf8Message) {
        this(code, new String(utf8Message, StandardCharsets.UTF_8));
    }

    public int code() {
        return code;
    }

    @Override
    public String toString() {
        return getClass().getName() + " (code " + code + "): " + getMessage();
    }
}
