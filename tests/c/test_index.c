/* Index_c.h: the generic index operations, on an IndexFlatL2 whose answers are checked against
 * brute force computed here. */
#include "check.h"

enum { D = 16, NB = 500, NQ = 30, K = 5 };

static void test_properties(FaissIndex *index) {
    CHECK(faissx_Index_d(index) == D);
    CHECK(faissx_Index_is_trained(index) == 1);
    CHECK(faissx_Index_ntotal(index) == 0);
    CHECK(faissx_Index_metric_type(index) == METRIC_L2);
    CHECK(faissx_Index_verbose(index) == 0);
    faissx_Index_set_verbose(index, 1);
    CHECK(faissx_Index_verbose(index) == 1);
    faissx_Index_set_verbose(index, 0);
    CHECK(faissx_Index_verbose(index) == 0);
}

static void test_search(FaissIndex *index, const float *xb, const float *xq) {
    float dis[NQ * K];
    idx_t lab[NQ * K];

    /* A stored vector finds itself first, at distance 0. */
    CHECK_OK(faissx_Index_search(index, 10, xb, K, dis, lab));
    for (idx_t q = 0; q < 10; q++) {
        CHECK(lab[q * K] == q);
        CHECK(dis[q * K] <= 1e-5f);
    }

    CHECK_OK(faissx_Index_search(index, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* k larger than ntotal pads with label -1. */
    float dis_all[NB + 3];
    idx_t lab_all[NB + 3];
    CHECK_OK(faissx_Index_search(index, 1, xq, NB + 3, dis_all, lab_all));
    for (int i = NB; i < NB + 3; i++) CHECK(lab_all[i] == -1);

    idx_t assigned[NQ * K];
    CHECK_OK(faissx_Index_assign(index, NQ, xq, assigned, K));
    CHECK(memcmp(assigned, lab, sizeof lab) == 0);
}

static void test_search_with_params(FaissIndex *index, const float *xb, const float *xq) {
    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 100, 200));
    FaissSearchParameters *params = NULL;
    CHECK_OK(faissx_SearchParameters_new(&params, (FaissIDSelector *)range));
    CHECK(params != NULL);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search_with_params(index, NQ, xq, K, params, dis, lab));
    /* Only ids 100..199 may come back, and they must be the nearest among those. */
    for (int i = 0; i < NQ * K; i++) {
        CHECK(lab[i] >= 100 && lab[i] < 200);
        lab[i] -= 100;
    }
    CHECK_KNN(xq, NQ, xb + 100 * D, 100, D, K, 0, dis, lab);

    /* NULL params is a plain search. */
    float dis2[NQ * K];
    idx_t lab2[NQ * K], lab3[NQ * K];
    CHECK_OK(faissx_Index_search_with_params(index, NQ, xq, K, NULL, dis2, lab2));
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, dis, lab3));
    CHECK(memcmp(lab2, lab3, sizeof lab2) == 0);

    faissx_SearchParameters_free(params);
    faissx_IDSelector_free((FaissIDSelector *)range);
}

static void test_range_search(FaissIndex *index, const float *xb, const float *xq) {
    const float radius = 1.6f; /* about 10% of the squared distances of uniform vectors, d=16 */
    FaissRangeSearchResult *res = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&res, NQ));
    CHECK_OK(faissx_Index_range_search(index, NQ, xq, radius, res));
    size_t *lims = NULL;
    idx_t *labels = NULL;
    float *distances = NULL;
    faissx_RangeSearchResult_lims(res, &lims);
    faissx_RangeSearchResult_labels(res, &labels, &distances);
    CHECK(lims != NULL && labels != NULL && distances != NULL);
    CHECK(lims[0] == 0);
    size_t total = 0;
    for (int q = 0; q < NQ; q++) {
        size_t expected = 0;
        for (int b = 0; b < NB; b++) expected += ref_l2(xq + q * D, xb + b * D, D) < radius;
        CHECK(lims[q + 1] - lims[q] == expected);
        for (size_t j = lims[q]; j < lims[q + 1]; j++) {
            CHECK(labels[j] >= 0 && labels[j] < NB);
            float ref = ref_l2(xq + q * D, xb + labels[j] * D, D);
            CHECK(ref < radius);
            CHECK_NEAR(distances[j], ref, 1e-4);
        }
        total += expected;
    }
    CHECK(total > 0);
    faissx_RangeSearchResult_free(res);
}

static void test_reconstruct_and_codes(FaissIndex *index, const float *xb) {
    float v[D], many[5 * D], residual[D], residuals[3 * D];
    CHECK_OK(faissx_Index_reconstruct(index, 7, v));
    CHECK(memcmp(v, xb + 7 * D, sizeof v) == 0);
    CHECK_OK(faissx_Index_reconstruct_n(index, 10, 5, many));
    CHECK(memcmp(many, xb + 10 * D, sizeof many) == 0);

    float x[3 * D];
    for (int j = 0; j < 3 * D; j++) x[j] = 0.5f;
    CHECK_OK(faissx_Index_compute_residual(index, x, residual, 7));
    for (int j = 0; j < D; j++) CHECK_NEAR(residual[j], 0.5f - xb[7 * D + j], 1e-6);
    idx_t keys[3] = {0, 42, NB - 1};
    CHECK_OK(faissx_Index_compute_residual_n(index, 3, x, residuals, keys));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < D; j++)
            CHECK_NEAR(residuals[i * D + j], 0.5f - xb[keys[i] * D + j], 1e-6);

    /* A flat index's standalone code is the raw float vector. */
    size_t code_size = 0;
    CHECK_OK(faissx_Index_sa_code_size(index, &code_size));
    CHECK(code_size == D * sizeof(float));
    uint8_t codes[4 * D * sizeof(float)];
    CHECK_OK(faissx_Index_sa_encode(index, 4, xb, codes));
    CHECK(memcmp(codes, xb, sizeof codes) == 0);
    float decoded[4 * D];
    CHECK_OK(faissx_Index_sa_decode(index, 4, codes, decoded));
    CHECK(memcmp(decoded, xb, sizeof decoded) == 0);

    /* Out of range: FAISS refuses instead of reading past its storage. */
    CHECK_ERR(faissx_Index_reconstruct(index, NB, v), FAISSX_ERR_FAISS, NULL);
    CHECK_ERR(faissx_Index_reconstruct_n(index, NB - 2, 5, many), FAISSX_ERR_FAISS, NULL);
}

static void test_remove_and_reset(FaissIndex *index, const float *xb) {
    idx_t doomed[3] = {3, 5, 7};
    FaissIDSelectorBatch *batch = NULL;
    CHECK_OK(faissx_IDSelectorBatch_new(&batch, 3, doomed));
    size_t removed = 0;
    CHECK_OK(faissx_Index_remove_ids(index, (FaissIDSelector *)batch, &removed));
    CHECK(removed == 3);
    CHECK(faissx_Index_ntotal(index) == NB - 3);
    /* IndexFlat compacts: the survivors keep their order under new ids. */
    int kept[8] = {0, 1, 2, 4, 6, 8, 9, 10};
    for (int i = 0; i < 8; i++) {
        float v[D];
        CHECK_OK(faissx_Index_reconstruct(index, i, v));
        CHECK(memcmp(v, xb + kept[i] * D, sizeof v) == 0);
    }
    faissx_IDSelector_free((FaissIDSelector *)batch);
    /* Nothing selected: nothing removed; n_removed may be NULL. */
    FaissIDSelectorRange *beyond = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&beyond, NB, 2 * NB));
    CHECK_OK(faissx_Index_remove_ids(index, (FaissIDSelector *)beyond, NULL));
    CHECK(faissx_Index_ntotal(index) == NB - 3);
    faissx_IDSelector_free((FaissIDSelector *)beyond);

    CHECK_OK(faissx_Index_reset(index));
    CHECK(faissx_Index_ntotal(index) == 0);
    /* Adding nothing, with no buffer, is allowed. */
    CHECK_OK(faissx_Index_add(index, 0, NULL));
    CHECK(faissx_Index_ntotal(index) == 0);
}

static void test_add_with_ids(const float *xb) {
    FaissIndex *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    idx_t ids[20];
    for (int i = 0; i < 20; i++) ids[i] = 1000 + 7 * i;
    /* IndexFlat assigns sequential ids itself; FAISS refuses user ids. */
    CHECK_ERR(faissx_Index_add_with_ids(flat, 20, xb, ids), FAISSX_ERR_FAISS, NULL);

    FaissIndexIDMap *idmap = NULL;
    CHECK_OK(faissx_IndexIDMap_new(&idmap, flat));
    faissx_IndexIDMap_set_own_fields(idmap, 1);
    CHECK_OK(faissx_Index_add_with_ids(idmap, 20, xb, ids));
    float dis[20];
    idx_t lab[20];
    CHECK_OK(faissx_Index_search(idmap, 20, xb, 1, dis, lab));
    for (int i = 0; i < 20; i++) CHECK(lab[i] == ids[i]);
    faissx_Index_free(idmap);
}

static void test_errors(FaissIndex *index, const float *xb) {
    float dis[K];
    idx_t lab[K];
    float v[D];
    size_t sz;

    CHECK_ERR(faissx_Index_add(NULL, 1, xb), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_add(index, 1, NULL), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_Index_add(index, -1, xb), FAISSX_ERR_INVALID_ARGUMENT, "n");
    CHECK_ERR(faissx_Index_train(NULL, 1, xb), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_train(index, 3, NULL), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_Index_add_with_ids(index, 1, xb, NULL), FAISSX_ERR_INVALID_ARGUMENT, "xids");
    CHECK_ERR(faissx_Index_search(NULL, 1, xb, K, dis, lab), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_search(index, 1, xb, 0, dis, lab), FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_Index_search(index, 1, xb, -3, dis, lab), FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_Index_search(index, 1, NULL, K, dis, lab), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_Index_search(index, 1, xb, K, NULL, lab), FAISSX_ERR_INVALID_ARGUMENT,
              "distances");
    CHECK_ERR(faissx_Index_search(index, 1, xb, K, dis, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "labels");
    CHECK_ERR(faissx_Index_search_with_params(index, 1, xb, 0, NULL, dis, lab),
              FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_Index_search_with_params(NULL, 1, xb, K, NULL, dis, lab),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_range_search(index, 1, xb, 1.0f, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "result");
    /* A result made for another number of queries would be overrun. */
    FaissRangeSearchResult *small = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&small, 1));
    CHECK_ERR(faissx_Index_range_search(index, 5, xb, 1.0f, small), FAISSX_ERR_INVALID_ARGUMENT,
              "queries");
    faissx_RangeSearchResult_free(small);
    CHECK_ERR(faissx_Index_assign(index, 1, xb, lab, 0), FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_Index_assign(index, 1, xb, NULL, 1), FAISSX_ERR_INVALID_ARGUMENT, "labels");
    CHECK_ERR(faissx_Index_reset(NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_remove_ids(index, NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT, "sel");
    CHECK_ERR(faissx_Index_reconstruct(index, 0, NULL), FAISSX_ERR_INVALID_ARGUMENT, "recons");
    CHECK_ERR(faissx_Index_reconstruct_n(index, 0, 2, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "recons");
    CHECK_ERR(faissx_Index_compute_residual(index, NULL, v, 0), FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_Index_compute_residual_n(index, 1, xb, v, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "keys");
    CHECK_ERR(faissx_Index_sa_code_size(index, NULL), FAISSX_ERR_INVALID_ARGUMENT, "size");
    CHECK_ERR(faissx_Index_sa_code_size(NULL, &sz), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Index_sa_encode(index, 1, xb, NULL), FAISSX_ERR_INVALID_ARGUMENT, "bytes");
    CHECK_ERR(faissx_Index_sa_decode(index, 1, NULL, v), FAISSX_ERR_INVALID_ARGUMENT, "bytes");
    CHECK_ERR(faissx_SearchParameters_new(NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_sp");

    CHECK_ZERO_ERR(faissx_Index_d(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Index_is_trained(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Index_ntotal(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Index_verbose(NULL), "is NULL");
    /* The metric has no "zero" to spare (0 is inner product): NULL gives UINT_MAX. */
    reset_error();
    CHECK(faissx_Index_metric_type(NULL) == (FaissMetricType)-1);
    check_msg(__FILE__, __LINE__, "faissx_Index_metric_type", "is NULL");
    CHECK_VOID_ERR(faissx_Index_set_verbose(NULL, 1), "is NULL");
    /* Freeing NULL is a no-op, as free(NULL). */
    faissx_Index_free(NULL);
    faissx_SearchParameters_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);

    FaissIndex *index = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&index, D));
    CHECK(index != NULL);
    test_properties(index);
    CHECK_OK(faissx_Index_train(index, NB, xb));
    CHECK_OK(faissx_Index_add(index, NB, xb));
    CHECK(faissx_Index_ntotal(index) == NB);

    test_search(index, xb, xq);
    test_search_with_params(index, xb, xq);
    test_range_search(index, xb, xq);
    test_reconstruct_and_codes(index, xb);
    test_errors(index, xb);
    test_remove_and_reset(index, xb);
    test_add_with_ids(xb);

    faissx_Index_free(index);
    free(xb);
    free(xq);
    return 0;
}
