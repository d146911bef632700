package io.faissx;

import java.util.Objects;

/** Each component encoded on its own (8 bits, 4 bits, fp16, ...). Most encodings need training. */
public class IndexScalarQuantizer extends Index {
    public IndexScalarQuantizer(int d, QuantizerType type, Metric metric) {
        super(Native.newScalarQuantizer(checkDimension(d), Objects.requireNonNull(type, "type").code,
                Objects.requireNonNull(metric, "metric").code));
    }

    public IndexScalarQuantizer(int d, QuantizerType type) {
        this(d, type, Metric.L2);
    }

    IndexScalarQuantizer(long ptr) {
        super(ptr);
    }
}
