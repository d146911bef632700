package io.faissx;

/** An index read or built by the factory whose FAISS class has no dedicated Java class. */
final class OpaqueIndex extends Index {
    OpaqueIndex(long ptr) {
        super(ptr);
    }
}
