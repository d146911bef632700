/* IndexBinary_c.h: the generic binary-index operations on a flat binary index (from the
 * factory), checked against Hamming distances computed here. */
#include "check.h"

enum { D = 64, CS = D / 8, NB = 500, NQ = 20, K = 5 };

static void test_search(FaissIndexBinary *index, const uint8_t *xb, const uint8_t *xq) {
    int32_t dis[NQ * K];
    idx_t lab[NQ * K];
    /* A stored code finds itself at distance 0. */
    CHECK_OK(faissx_IndexBinary_search(index, 5, xb + 10 * CS, K, dis, lab));
    for (int q = 0; q < 5; q++) CHECK(dis[q * K] == 0 && lab[q * K] == 10 + q);

    CHECK_OK(faissx_IndexBinary_search(index, NQ, xq, K, dis, lab));
    for (int q = 0; q < NQ; q++) {
        int best = D + 1;
        for (int b = 0; b < NB; b++) {
            int h = ref_hamming(xq + q * CS, xb + b * CS, CS);
            if (h < best) best = h;
        }
        CHECK(dis[q * K] == best);
        for (int i = 0; i < K; i++) {
            CHECK(dis[q * K + i] == ref_hamming(xq + q * CS, xb + lab[q * K + i] * CS, CS));
            if (i) CHECK(dis[q * K + i] >= dis[q * K + i - 1]);
        }
    }
    idx_t assigned[NQ * K];
    CHECK_OK(faissx_IndexBinary_assign(index, NQ, xq, assigned, K));
    for (int i = 0; i < NQ * K; i++)
        CHECK(ref_hamming(xq + (i / K) * CS, xb + assigned[i] * CS, CS) == dis[i]);
}

static void test_range_search(FaissIndexBinary *index, const uint8_t *xb, const uint8_t *xq) {
    const int radius = 26; /* random 64-bit codes are 32 apart on average */
    FaissRangeSearchResult *res = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&res, NQ));
    CHECK_OK(faissx_IndexBinary_range_search(index, NQ, xq, radius, res));
    size_t *lims = NULL;
    idx_t *labels = NULL;
    float *distances = NULL;
    faissx_RangeSearchResult_lims(res, &lims);
    faissx_RangeSearchResult_labels(res, &labels, &distances);
    size_t total = 0;
    for (int q = 0; q < NQ; q++) {
        size_t expected = 0;
        for (int b = 0; b < NB; b++) expected += ref_hamming(xq + q * CS, xb + b * CS, CS) < radius;
        CHECK(lims[q + 1] - lims[q] == expected);
        for (size_t j = lims[q]; j < lims[q + 1]; j++) {
            int h = ref_hamming(xq + q * CS, xb + labels[j] * CS, CS);
            CHECK(h < radius && (int)distances[j] == h);
        }
        total += expected;
    }
    CHECK(total > 0);
    faissx_RangeSearchResult_free(res);
}

static void test_modify(FaissIndexBinary *index, const uint8_t *xb) {
    uint8_t code[CS], codes[3 * CS];
    CHECK_OK(faissx_IndexBinary_reconstruct(index, 42, code));
    CHECK(memcmp(code, xb + 42 * CS, CS) == 0);
    CHECK_OK(faissx_IndexBinary_reconstruct_n(index, 7, 3, codes));
    CHECK(memcmp(codes, xb + 7 * CS, sizeof codes) == 0);

    /* Removing ids [0, 10): the rest move down, in order. */
    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 0, 10));
    size_t removed = 0;
    CHECK_OK(faissx_IndexBinary_remove_ids(index, (FaissIDSelector *)range, &removed));
    CHECK(removed == 10);
    CHECK(faissx_IndexBinary_ntotal(index) == NB - 10);
    CHECK_OK(faissx_IndexBinary_reconstruct(index, 0, code));
    CHECK(memcmp(code, xb + 10 * CS, CS) == 0);
    faissx_IDSelector_free((FaissIDSelector *)range);

    CHECK_OK(faissx_IndexBinary_reset(index));
    CHECK(faissx_IndexBinary_ntotal(index) == 0);
}

static void test_ids(const uint8_t *xb) {
    FaissIndexBinary *flat = NULL;
    CHECK_OK(faissx_index_binary_factory(&flat, D, "BFlat"));
    idx_t ids[50];
    for (int i = 0; i < 50; i++) ids[i] = 7000 + i;
    /* A flat binary index numbers its codes itself. */
    CHECK_ERR(faissx_IndexBinary_add_with_ids(flat, 50, xb, ids), FAISSX_ERR_FAISS, NULL);
    faissx_IndexBinary_free(flat);

    /* An inverted-file binary index keeps the caller's ids. */
    FaissIndexBinary *ivf = NULL;
    CHECK_OK(faissx_index_binary_factory(&ivf, D, "BIVF4"));
    CHECK(faissx_IndexBinary_is_trained(ivf) == 0);
    CHECK_OK(faissx_IndexBinary_train(ivf, NB, xb));
    CHECK(faissx_IndexBinary_is_trained(ivf) == 1);
    CHECK_OK(faissx_IndexBinary_add_with_ids(ivf, 50, xb, ids));
    faissx_IndexBinaryIVF_set_nprobe(ivf, 4);
    int32_t dis[50];
    idx_t lab[50];
    CHECK_OK(faissx_IndexBinary_search(ivf, 50, xb, 1, dis, lab));
    for (int i = 0; i < 50; i++) CHECK(lab[i] == ids[i] && dis[i] == 0);
    faissx_IndexBinary_free(ivf);
}

static void test_errors(FaissIndexBinary *index, const uint8_t *xb) {
    int32_t dis[K];
    idx_t lab[K];
    uint8_t code[CS];
    CHECK_ERR(faissx_IndexBinary_add(NULL, 1, xb), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexBinary_add(index, 1, NULL), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_IndexBinary_add(index, -2, xb), FAISSX_ERR_INVALID_ARGUMENT, "n");
    CHECK_ERR(faissx_IndexBinary_train(index, 1, NULL), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_IndexBinary_add_with_ids(index, 1, xb, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "xids");
    CHECK_ERR(faissx_IndexBinary_search(index, 1, xb, 0, dis, lab), FAISSX_ERR_INVALID_ARGUMENT,
              "k");
    CHECK_ERR(faissx_IndexBinary_search(index, 1, xb, K, NULL, lab),
              FAISSX_ERR_INVALID_ARGUMENT, "distances");
    CHECK_ERR(faissx_IndexBinary_search(index, 1, xb, K, dis, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "labels");
    CHECK_ERR(faissx_IndexBinary_range_search(index, 1, xb, 3, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "result");
    FaissRangeSearchResult *small = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&small, 2));
    CHECK_ERR(faissx_IndexBinary_range_search(index, 4, xb, 3, small),
              FAISSX_ERR_INVALID_ARGUMENT, "queries");
    faissx_RangeSearchResult_free(small);
    CHECK_ERR(faissx_IndexBinary_assign(index, 1, xb, lab, -1), FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_IndexBinary_reset(NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexBinary_remove_ids(index, NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "sel");
    CHECK_ERR(faissx_IndexBinary_reconstruct(index, 0, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "recons");
    /* Out of range: refused before IndexBinaryFlat reads past its codes. */
    CHECK_ERR(faissx_IndexBinary_reconstruct(index, NB, code), FAISSX_ERR_INVALID_ARGUMENT,
              "out of range");
    CHECK_ERR(faissx_IndexBinary_reconstruct(index, -1, code), FAISSX_ERR_INVALID_ARGUMENT,
              "out of range");
    uint8_t two[2 * CS];
    CHECK_ERR(faissx_IndexBinary_reconstruct_n(index, NB - 1, 2, two), FAISSX_ERR_INVALID_ARGUMENT,
              "out of range");
    CHECK_ERR(faissx_IndexBinary_reconstruct_n(index, 0, 2, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "recons");
    CHECK_ZERO_ERR(faissx_IndexBinary_d(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinary_is_trained(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinary_ntotal(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinary_verbose(NULL), "is NULL");
    reset_error();
    CHECK(faissx_IndexBinary_metric_type(NULL) == (FaissMetricType)-1);
    check_msg(__FILE__, __LINE__, "faissx_IndexBinary_metric_type", "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinary_set_verbose(NULL, 1), "is NULL");
    faissx_IndexBinary_free(NULL);
}

int main(void) {
    uint8_t *xb = random_bytes(NB * CS, 111);
    uint8_t *xq = random_bytes(NQ * CS, 112);

    FaissIndexBinary *index = NULL;
    CHECK_OK(faissx_index_binary_factory(&index, D, "BFlat"));
    CHECK(faissx_IndexBinary_d(index) == D);
    CHECK(faissx_IndexBinary_is_trained(index) == 1);
    CHECK(faissx_IndexBinary_ntotal(index) == 0);
    CHECK(faissx_IndexBinary_metric_type(index) == METRIC_L2); /* FAISS's default, unused */
    CHECK(faissx_IndexBinary_verbose(index) == 0);
    faissx_IndexBinary_set_verbose(index, 1);
    CHECK(faissx_IndexBinary_verbose(index) == 1);
    faissx_IndexBinary_set_verbose(index, 0);
    CHECK_OK(faissx_IndexBinary_train(index, NB, xb));
    CHECK_OK(faissx_IndexBinary_add(index, NB, xb));
    CHECK(faissx_IndexBinary_ntotal(index) == NB);

    test_search(index, xb, xq);
    test_range_search(index, xb, xq);
    test_errors(index, xb);
    test_modify(index, xb);
    test_ids(xb);

    faissx_IndexBinary_free(index);
    free(xb);
    free(xq);
    return 0;
}
