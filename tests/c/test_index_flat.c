/* IndexFlat_c.h: exact search (L2, inner product, other metrics, 1-D), the raw vector storage,
 * distances to chosen vectors, refinement of an approximate index, and the casts between them. */
#include "check.h"

enum { D = 24, NB = 400, NQ = 25, K = 6 };

static void test_flat_l2(const float *xb, const float *xq) {
    FaissIndexFlatL2 *index = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&index, D));
    CHECK_OK(faissx_Index_add(index, NB, xb));

    /* xb is the index's own copy, row-major, ntotal * d floats. */
    float *stored = NULL;
    size_t size = 0;
    faissx_IndexFlat_xb(index, &stored, &size);
    CHECK(stored != NULL && stored != xb);
    CHECK(size == (size_t)NB * D);
    CHECK(memcmp(stored, xb, size * sizeof(float)) == 0);
    stored = NULL;
    faissx_IndexFlat_xb(index, &stored, NULL); /* the size is optional */
    CHECK(stored != NULL);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* Distances to chosen database vectors, in the order given. */
    idx_t subset[NQ * 3];
    float sub_dis[NQ * 3];
    for (int q = 0; q < NQ; q++)
        for (int j = 0; j < 3; j++) subset[q * 3 + j] = (q * 37 + j * 101) % NB;
    CHECK_OK(faissx_IndexFlat_compute_distance_subset(index, NQ, xq, 3, sub_dis, subset));
    for (int q = 0; q < NQ; q++)
        for (int j = 0; j < 3; j++)
            CHECK_NEAR(sub_dis[q * 3 + j], ref_l2(xq + q * D, xb + subset[q * 3 + j] * D, D),
                       1e-4);

    FaissIndex *as_index = index;
    CHECK(faissx_IndexFlat_cast(as_index) == index);
    CHECK(faissx_IndexFlatL2_cast(as_index) == index);
    CHECK(faissx_IndexFlatIP_cast(as_index) == NULL);
    CHECK(faissx_IndexFlat1D_cast(as_index) == NULL);
    CHECK(faissx_IndexRefineFlat_cast(as_index) == NULL);

    CHECK_ERR(faissx_IndexFlat_compute_distance_subset(index, 1, xq, 0, sub_dis, subset),
              FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_IndexFlat_compute_distance_subset(index, 1, xq, 3, sub_dis, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "labels");
    CHECK_ERR(faissx_IndexFlat_compute_distance_subset(NULL, 1, xq, 3, sub_dis, subset),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_VOID_ERR(faissx_IndexFlat_xb(NULL, &stored, &size), "is NULL");
    CHECK_VOID_ERR(faissx_IndexFlat_xb(index, NULL, &size), "p_xb");
    faissx_IndexFlatL2_free(index);
}

static void test_flat_ip(const float *xb, const float *xq) {
    FaissIndexFlatIP *index = NULL;
    CHECK_OK(faissx_IndexFlatIP_new_with(&index, D));
    CHECK(faissx_Index_metric_type(index) == METRIC_INNER_PRODUCT);
    CHECK_OK(faissx_Index_add(index, NB, xb));
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 1, dis, lab);
    CHECK(faissx_IndexFlatIP_cast(index) == index);
    CHECK(faissx_IndexFlat_cast(index) == index);
    CHECK(faissx_IndexFlatL2_cast(index) == NULL);
    faissx_IndexFlatIP_free(index);

    /* The argument-less constructors make d = 0 indexes, meant to be filled by FAISS's
     * deserializer: IndexFlatIP's default constructor leaves Index's default metric (L2). */
    FaissIndexFlatIP *empty_ip = NULL;
    CHECK_OK(faissx_IndexFlatIP_new(&empty_ip));
    CHECK(faissx_Index_d(empty_ip) == 0);
    CHECK(faissx_Index_metric_type(empty_ip) == METRIC_L2);
    CHECK(faissx_IndexFlatIP_cast(empty_ip) == empty_ip);
    faissx_IndexFlatIP_free(empty_ip);
    FaissIndexFlatL2 *empty_l2 = NULL;
    CHECK_OK(faissx_IndexFlatL2_new(&empty_l2));
    CHECK(faissx_Index_d(empty_l2) == 0);
    CHECK(faissx_Index_metric_type(empty_l2) == METRIC_L2);
    faissx_IndexFlatL2_free(empty_l2);
    FaissIndexFlat *empty = NULL;
    CHECK_OK(faissx_IndexFlat_new(&empty));
    CHECK(faissx_Index_d(empty) == 0);
    CHECK(faissx_IndexFlat_cast(empty) == empty);
    faissx_IndexFlat_free(empty);
}

static void test_flat_l1(const float *xb, const float *xq) {
    FaissIndexFlat *index = NULL;
    CHECK_OK(faissx_IndexFlat_new_with(&index, D, METRIC_L1));
    CHECK(faissx_Index_metric_type(index) == METRIC_L1);
    CHECK_OK(faissx_Index_add(index, NB, xb));
    float dis[K];
    idx_t lab[K];
    CHECK_OK(faissx_Index_search(index, 1, xq, K, dis, lab));
    /* Every result is at its L1 distance, ascending, and nothing is closer than the first. */
    float best = INFINITY;
    for (int b = 0; b < NB; b++) {
        float s = 0;
        for (int j = 0; j < D; j++) s += fabsf(xq[j] - xb[b * D + j]);
        if (s < best) best = s;
    }
    CHECK_NEAR(dis[0], best, 1e-5);
    for (int i = 0; i < K; i++) {
        float s = 0;
        for (int j = 0; j < D; j++) s += fabsf(xq[j] - xb[lab[i] * D + j]);
        CHECK_NEAR(dis[i], s, 1e-5);
        if (i) CHECK(dis[i] >= dis[i - 1]);
    }
    faissx_IndexFlat_free(index);

    CHECK_ERR(faissx_IndexFlat_new_with(&index, D, 99), FAISSX_ERR_INVALID_ARGUMENT, "metric");
    CHECK_ERR(faissx_IndexFlat_new_with(NULL, D, METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK_ERR(faissx_IndexFlat_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlatL2_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlatL2_new_with(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlatIP_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlatIP_new_with(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* IndexFlat1D reports |x - q|, not the squared distance of IndexFlatL2 (FAISS's choice). */
static void check_1d(FaissIndexFlat1D *index, const float *values, int n) {
    const float queries[3] = {0.5f, -1.0f, 2.0f};
    float dis[3 * 4];
    idx_t lab[3 * 4];
    CHECK_OK(faissx_Index_search(index, 3, queries, 4, dis, lab));
    for (int q = 0; q < 3; q++) {
        float ref[64];
        for (int i = 0; i < n; i++) ref[i] = fabsf(values[i] - queries[q]);
        qsort(ref, n, sizeof *ref, cmp_float);
        for (int i = 0; i < 4; i++) {
            CHECK(lab[q * 4 + i] >= 0 && lab[q * 4 + i] < n);
            CHECK_NEAR(dis[q * 4 + i], ref[i], 1e-5);
            CHECK_NEAR(fabsf(values[lab[q * 4 + i]] - queries[q]), ref[i], 1e-5);
        }
    }
}

static void test_flat_1d(void) {
    float values[64];
    rng_t r = {7};
    for (int i = 0; i < 64; i++) values[i] = 3 * rng_float(&r) - 1;

    /* Without continuous updates the sorted permutation is rebuilt on request. */
    FaissIndexFlat1D *manual = NULL;
    CHECK_OK(faissx_IndexFlat1D_new_with(&manual, 0));
    CHECK(faissx_Index_d(manual) == 1);
    CHECK_OK(faissx_Index_add(manual, 64, values));
    CHECK_OK(faissx_IndexFlat1D_update_permutation(manual));
    check_1d(manual, values, 64);
    CHECK(faissx_IndexFlat1D_cast(manual) == manual);
    CHECK(faissx_IndexFlatL2_cast(manual) == manual); /* IndexFlat1D is an IndexFlatL2 */
    faissx_IndexFlat1D_free(manual);

    FaissIndexFlat1D *automatic = NULL;
    CHECK_OK(faissx_IndexFlat1D_new(&automatic));
    CHECK_OK(faissx_Index_add(automatic, 64, values));
    check_1d(automatic, values, 64);
    faissx_IndexFlat1D_free(automatic);

    CHECK_ERR(faissx_IndexFlat1D_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlat1D_new_with(NULL, 1), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexFlat1D_update_permutation(NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "index");
}

static void test_refine(const float *xb, const float *xq) {
    /* A coarse 4-bit scalar quantizer, refined by exact distances over enough candidates,
     * answers exactly. */
    FaissIndexScalarQuantizer *base = NULL;
    CHECK_OK(faissx_IndexScalarQuantizer_new_with(&base, D, QT_4bit, METRIC_L2));
    FaissIndexRefineFlat *refine = NULL;
    CHECK_OK(faissx_IndexRefineFlat_new(&refine, base));
    CHECK(faissx_IndexRefineFlat_own_fields(refine) == 0);
    faissx_IndexRefineFlat_set_own_fields(refine, 1); /* freeing refine now frees base */
    CHECK(faissx_IndexRefineFlat_own_fields(refine) == 1);
    CHECK_NEAR(faissx_IndexRefineFlat_k_factor(refine), 1.0, 0);
    faissx_IndexRefineFlat_set_k_factor(refine, (float)NB / K);
    CHECK_NEAR(faissx_IndexRefineFlat_k_factor(refine), (float)NB / K, 0);

    CHECK_OK(faissx_Index_train(refine, NB, xb));
    CHECK_OK(faissx_Index_add(refine, NB, xb));
    CHECK(faissx_Index_ntotal(refine) == NB);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(refine, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    CHECK(faissx_IndexRefineFlat_cast(refine) == refine);
    CHECK(faissx_IndexFlat_cast(refine) == NULL);
    faissx_IndexRefineFlat_free(refine);

    CHECK_ERR(faissx_IndexRefineFlat_new(&refine, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "base_index");
    CHECK_ERR(faissx_IndexRefineFlat_new(NULL, base), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ZERO_ERR(faissx_IndexRefineFlat_own_fields(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexRefineFlat_k_factor(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexRefineFlat_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexRefineFlat_set_k_factor(NULL, 2.0f), "is NULL");
}

static void test_null_casts(void) {
    CHECK_ZERO_ERR(faissx_IndexFlat_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexFlatL2_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexFlatIP_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexFlat1D_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexRefineFlat_cast(NULL), "is NULL");
    faissx_IndexFlat_free(NULL);
    faissx_IndexFlatL2_free(NULL);
    faissx_IndexFlatIP_free(NULL);
    faissx_IndexFlat1D_free(NULL);
    faissx_IndexRefineFlat_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 11);
    float *xq = random_vectors(NQ, D, 12);
    test_flat_l2(xb, xq);
    test_flat_ip(xb, xq);
    test_flat_l1(xb, xq);
    test_flat_1d();
    test_refine(xb, xq);
    test_null_casts();
    free(xb);
    free(xq);
    return 0;
}
