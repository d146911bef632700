package io.faissx;

import java.util.Objects;

/**
 * Gives the vectors of another index ids of the caller's choosing ({@link #addWithIds}); searches
 * return those ids. The wrapped index stays allocated while this one lives, even if closed first.
 */
public class IndexIDMap extends Index {
    public IndexIDMap(Index index) {
        super(Objects.requireNonNull(index, "index").derive(Native::newIDMap));
    }

    IndexIDMap(long ptr) {
        super(ptr);
    }
}
