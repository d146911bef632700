/* IndexBinaryIVF_c.h: inverted-file binary indexes (from the factory): lists, probing,
 * preassigned search, merging, direct map and search options. */
#include "check.h"

enum { D = 64, CS = D / 8, NLIST = 8, NB = 800, NQ = 15, K = 5 };

static void check_exact(const uint8_t *xb, int nb, const uint8_t *xq, const int32_t *dis,
                        const idx_t *lab) {
    for (int q = 0; q < NQ; q++) {
        int best = D + 1;
        for (int b = 0; b < nb; b++) {
            int h = ref_hamming(xq + q * CS, xb + b * CS, CS);
            if (h < best) best = h;
        }
        CHECK(dis[q * K] == best);
        for (int i = 0; i < K; i++)
            CHECK(dis[q * K + i] == ref_hamming(xq + q * CS, xb + lab[q * K + i] * CS, CS));
    }
}

static FaissIndexBinaryIVF *trained_ivf(const uint8_t *xb) {
    FaissIndexBinaryIVF *ivf = NULL;
    CHECK_OK(faissx_index_binary_factory(&ivf, D, "BIVF8"));
    CHECK_OK(faissx_IndexBinary_train(ivf, NB, xb));
    return ivf;
}

static void test_lists_and_probing(const uint8_t *xb, const uint8_t *xq) {
    FaissIndexBinaryIVF *ivf = trained_ivf(xb);
    CHECK(faissx_IndexBinaryIVF_cast(ivf) == ivf);
    CHECK(faissx_IndexBinaryIVF_nlist(ivf) == NLIST);
    FaissIndexBinary *quantizer = faissx_IndexBinaryIVF_quantizer(ivf);
    CHECK(quantizer != NULL && faissx_IndexBinary_ntotal(quantizer) == NLIST);
    CHECK(faissx_IndexBinaryIVF_own_fields(ivf) == 1); /* the factory hands it over */
    CHECK_OK(faissx_IndexBinary_add(ivf, NB, xb));

    /* Every code sits in the list of its nearest centroid. */
    idx_t *nearest = malloc(NB * sizeof *nearest);
    CHECK_OK(faissx_IndexBinary_assign(quantizer, NB, xb, nearest, 1));
    size_t total = 0;
    for (size_t l = 0; l < NLIST; l++) {
        size_t size = faissx_IndexBinaryIVF_get_list_size(ivf, l);
        idx_t *ids = malloc((size ? size : 1) * sizeof *ids);
        faissx_IndexBinaryIVF_invlists_get_ids(ivf, l, ids);
        for (size_t i = 0; i < size; i++) CHECK(nearest[ids[i]] == (idx_t)l);
        total += size;
        free(ids);
    }
    CHECK(total == NB);
    free(nearest);
    CHECK(faissx_IndexBinaryIVF_imbalance_factor(ivf) >= 1.0);
    faissx_IndexBinaryIVF_print_stats(ivf);
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_get_list_size(ivf, NLIST), "list_no");
    idx_t one[1];
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_invlists_get_ids(ivf, NLIST, one), "list_no");

    /* Probing all lists is exhaustive. */
    CHECK(faissx_IndexBinaryIVF_nprobe(ivf) == 1);
    faissx_IndexBinaryIVF_set_nprobe(ivf, NLIST);
    CHECK(faissx_IndexBinaryIVF_nprobe(ivf) == NLIST);
    int32_t dis[NQ * K], dis2[NQ * K];
    idx_t lab[NQ * K], lab2[NQ * K];
    CHECK_OK(faissx_IndexBinary_search(ivf, NQ, xq, K, dis, lab));
    check_exact(xb, NB, xq, dis, lab);

    /* The same from the quantizer's assignment, done by the caller. */
    idx_t cidx[NQ * NLIST];
    int32_t cdis[NQ * NLIST];
    CHECK_OK(faissx_IndexBinary_search(quantizer, NQ, xq, NLIST, cdis, cidx));
    CHECK_OK(faissx_IndexBinaryIVF_search_preassigned(ivf, NQ, xq, K, cidx, cdis, dis2, lab2, 0,
                                                      NULL));
    CHECK(memcmp(dis2, dis, sizeof dis) == 0);
    check_exact(xb, NB, xq, dis2, lab2);
    /* Per-call parameters override the index's nprobe. */
    FaissSearchParametersIVF *params = NULL;
    CHECK_OK(faissx_SearchParametersIVF_new_with(&params, NULL, NLIST, 0));
    faissx_IndexBinaryIVF_set_nprobe(ivf, 1);
    CHECK_OK(faissx_IndexBinaryIVF_search_preassigned(ivf, NQ, xq, K, cidx, cdis, dis2, lab2, 0,
                                                      params));
    CHECK(memcmp(dis2, dis, sizeof dis) == 0);
    faissx_SearchParametersIVF_free(params);

    /* Search options: round trips, and the heap-less search finds the same distances. */
    faissx_IndexBinaryIVF_set_nprobe(ivf, NLIST);
    faissx_IndexBinaryIVF_set_max_codes(ivf, 12345);
    CHECK(faissx_IndexBinaryIVF_max_codes(ivf) == 12345);
    faissx_IndexBinaryIVF_set_max_codes(ivf, 0);
    CHECK(faissx_IndexBinaryIVF_use_heap(ivf) == 1);
    faissx_IndexBinaryIVF_set_use_heap(ivf, 0);
    CHECK(faissx_IndexBinaryIVF_use_heap(ivf) == 0);
    CHECK_OK(faissx_IndexBinary_search(ivf, NQ, xq, K, dis2, lab2));
    CHECK(memcmp(dis2, dis, sizeof dis) == 0);
    faissx_IndexBinaryIVF_set_use_heap(ivf, 1);
    CHECK(faissx_IndexBinaryIVF_per_invlist_search(ivf) == 0);
    faissx_IndexBinaryIVF_set_per_invlist_search(ivf, 1);
    CHECK(faissx_IndexBinaryIVF_per_invlist_search(ivf) == 1);
    CHECK_OK(faissx_IndexBinary_search(ivf, NQ, xq, K, dis2, lab2));
    CHECK(memcmp(dis2, dis, sizeof dis) == 0);
    faissx_IndexBinaryIVF_set_per_invlist_search(ivf, 0);

    /* Reconstruction needs the direct map. */
    uint8_t code[CS];
    CHECK_ERR(faissx_IndexBinary_reconstruct(ivf, 5, code), FAISSX_ERR_FAISS, NULL);
    CHECK_OK(faissx_IndexBinaryIVF_make_direct_map(ivf, 1));
    CHECK_OK(faissx_IndexBinary_reconstruct(ivf, 5, code));
    CHECK(memcmp(code, xb + 5 * CS, CS) == 0);
    faissx_IndexBinaryIVF_free(ivf);
}

static void test_merge(const uint8_t *xb, const uint8_t *xq) {
    /* Two indexes with the same centroids (one cloned from the other), merged. */
    FaissIndexBinaryIVF *a = trained_ivf(xb), *b = NULL;
    CHECK_OK(faissx_clone_index_binary(a, &b));
    CHECK_OK(faissx_IndexBinary_add(a, NB / 2, xb));
    CHECK_OK(faissx_IndexBinary_add(b, NB / 2, xb + (NB / 2) * CS));
    CHECK_OK(faissx_IndexBinaryIVF_merge_from(a, b, NB / 2));
    CHECK(faissx_IndexBinary_ntotal(a) == NB);
    CHECK(faissx_IndexBinary_ntotal(b) == 0);
    faissx_IndexBinaryIVF_set_nprobe(a, NLIST);
    int32_t dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_IndexBinary_search(a, NQ, xq, K, dis, lab));
    check_exact(xb, NB, xq, dis, lab);

    /* Another list count cannot merge. */
    FaissIndexBinaryIVF *other = NULL;
    CHECK_OK(faissx_index_binary_factory(&other, D, "BIVF4"));
    CHECK_ERR(faissx_IndexBinaryIVF_merge_from(a, other, 0), FAISSX_ERR_FAISS, NULL);
    faissx_IndexBinaryIVF_free(other);
    CHECK_ERR(faissx_IndexBinaryIVF_merge_from(a, NULL, 0), FAISSX_ERR_INVALID_ARGUMENT, "other");
    faissx_IndexBinaryIVF_free(a);
    faissx_IndexBinaryIVF_free(b);
}

static void test_errors(void) {
    FaissIndexBinary *flat = NULL;
    CHECK_OK(faissx_index_binary_factory(&flat, D, "BFlat"));
    CHECK(faissx_IndexBinaryIVF_cast(flat) == NULL);
    faissx_IndexBinary_free(flat);

    FaissIndexBinaryIVF *ivf = NULL;
    CHECK_OK(faissx_index_binary_factory(&ivf, D, "BIVF8"));
    /* The factory's index owns its quantizer; handing that back leaves the caller to free it. */
    FaissIndexBinary *quantizer = faissx_IndexBinaryIVF_quantizer(ivf);
    faissx_IndexBinaryIVF_set_own_fields(ivf, 0);
    CHECK(faissx_IndexBinaryIVF_own_fields(ivf) == 0);
    faissx_IndexBinaryIVF_free(ivf);
    faissx_IndexBinary_free(quantizer);

    int32_t dis[K];
    idx_t lab[K];
    uint8_t x[CS] = {0};
    CHECK_ERR(faissx_IndexBinaryIVF_search_preassigned(NULL, 1, x, K, lab, dis, dis, lab, 0, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexBinaryIVF_make_direct_map(NULL, 1), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_nlist(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_nprobe(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_quantizer(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_own_fields(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_max_codes(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_use_heap(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_per_invlist_search(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_get_list_size(NULL, 0), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexBinaryIVF_imbalance_factor(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_set_nprobe(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_set_max_codes(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_set_use_heap(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_set_per_invlist_search(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_print_stats(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexBinaryIVF_invlists_get_ids(NULL, 0, lab), "is NULL");
    faissx_IndexBinaryIVF_free(NULL);
}

int main(void) {
    uint8_t *xb = random_bytes(NB * CS, 121);
    uint8_t *xq = random_bytes(NQ * CS, 122);
    test_lists_and_probing(xb, xq);
    test_merge(xb, xq);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
