package io.faissx;

/** Scalar quantizer encodings, with the values of {@code FaissQuantizerType}. */
public enum QuantizerType {
    QT_8BIT(0),
    QT_4BIT(1),
    QT_8BIT_UNIFORM(2),
    QT_4BIT_UNIFORM(3),
    QT_FP16(4),
    QT_8BIT_DIRECT(5),
    QT_6BIT(6),
    QT_BF16(7),
    QT_8BIT_DIRECT_SIGNED(8);

    final int code;

    QuantizerType(int code) {
        this.code = code;
    }
}
