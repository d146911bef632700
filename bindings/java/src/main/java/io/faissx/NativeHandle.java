package io.faissx;

/**
 * Owns one native index and frees it when its last reference goes.
 *
 * <p>FAISS's composite indexes (IVF over a quantizer, IDMap over a sub-index) borrow the inner
 * index: it must outlive them. So a composite's handle holds a reference on the inner one, and
 * the inner index is freed only after both its own Java object and every composite over it are
 * gone, whatever order the user closes them in.
 *
 * <p>This is the {@link java.lang.ref.Cleaner} action of its {@link Index}: it must never refer
 * to that object.
 */
final class NativeHandle implements Runnable {
    final long ptr;
    private final NativeHandle inner;
    private int refs = 1;

    NativeHandle(long ptr, NativeHandle inner) {
        this.ptr = ptr;
        this.inner = inner;
        if (inner != null) {
            inner.retain();
        }
    }

    private synchronized void retain() {
        if (refs == 0) {
            throw new IllegalStateException("native index already freed");
        }
        refs++;
    }

    @Override
    public void run() {
        synchronized (this) {
            if (refs == 0 || --refs > 0) {
                return;
            }
        }
        Native.free(ptr);
        if (inner != null) {
            inner.run();
        }
    }
}
