package io.faissx;

/** FAISS's distance metrics, with the values of {@code FaissMetricType}. */
public enum Metric {
    INNER_PRODUCT(0),
    L2(1),
    L1(2),
    LINF(3),
    LP(4),
    CANBERRA(20),
    BRAY_CURTIS(21),
    JENSEN_SHANNON(22);

    final int code;

    Metric(int code) {
        this.code = code;
    }

    static Metric fromCode(int code) {
        for (Metric m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new FaissxException(FaissxException.UNKNOWN, "unknown metric type " + code);
    }
}
