package io.faissx;

/**
 * An inverted-file index: vectors are bucketed into {@link #nlist()} lists by a coarse quantizer,
 * and a search visits the {@link #nprobe()} closest lists. Needs training.
 */
public class IndexIVF extends Index {
    IndexIVF(long ptr) {
        super(ptr);
    }

    IndexIVF(NativeHandle handle) {
        super(handle);
    }

    public final long nlist() {
        return shared(Native::ivfNlist);
    }

    public final long nprobe() {
        return shared(Native::ivfNprobe);
    }

    /** How many lists a search visits: 1 (fastest) to nlist (as exact as the encoding allows). */
    public final void setNprobe(long nprobe) {
        checkPositive(nprobe, "nprobe");
        exclusiveRun(ptr -> Native.ivfSetNprobe(ptr, nprobe));
    }
}
