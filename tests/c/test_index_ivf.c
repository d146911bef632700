/* IndexIVF_c.h: the inverted-file family through its generic IVF interface (on IndexIVFFlat):
 * lists, probing, preassigned search, merging, subsets, direct maps, search parameters and the
 * global search statistics. */
#include "check.h"

enum { D = 16, NLIST = 8, NB = 1000, NQ = 20, K = 5 };

static FaissIndex *quantizer;

static FaissIndexIVF *new_ivf(void) {
    FaissIndexIVF *ivf = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with(&ivf, quantizer, D, NLIST));
    return ivf;
}

static void test_lists(FaissIndexIVF *ivf, const float *xb) {
    /* Each vector sits in the list of its nearest centroid, and every id is in one list. */
    idx_t *nearest = malloc(NB * sizeof *nearest);
    CHECK_OK(faissx_Index_assign(quantizer, NB, xb, nearest, 1));
    int *seen = calloc(NB, sizeof *seen);
    size_t total = 0;
    for (size_t l = 0; l < NLIST; l++) {
        size_t size = faissx_IndexIVF_get_list_size(ivf, l);
        idx_t *ids = malloc((size ? size : 1) * sizeof *ids);
        faissx_IndexIVF_invlists_get_ids(ivf, l, ids);
        for (size_t i = 0; i < size; i++) {
            CHECK(ids[i] >= 0 && ids[i] < NB);
            CHECK(nearest[ids[i]] == (idx_t)l);
            seen[ids[i]]++;
        }
        total += size;
        free(ids);
    }
    CHECK(total == NB);
    for (int i = 0; i < NB; i++) CHECK(seen[i] == 1);
    /* Perfect balance is 1; anything else is larger. */
    CHECK(faissx_IndexIVF_imbalance_factor(ivf) >= 1.0);
    faissx_IndexIVF_print_stats(ivf);
    free(seen);
    free(nearest);

    CHECK_ZERO_ERR(faissx_IndexIVF_get_list_size(ivf, NLIST), "list_no");
    idx_t dummy[1];
    CHECK_VOID_ERR(faissx_IndexIVF_invlists_get_ids(ivf, NLIST, dummy), "list_no");
    CHECK_VOID_ERR(faissx_IndexIVF_invlists_get_ids(ivf, 0, NULL), "invlist");
}

static void test_probing(FaissIndexIVF *ivf, const float *xb, const float *xq) {
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK(faissx_IndexIVF_nprobe(ivf) == 1);

    /* One probe only finds vectors of the query's nearest list. */
    idx_t qlist[NQ], blist[NB];
    CHECK_OK(faissx_Index_assign(quantizer, NQ, xq, qlist, 1));
    CHECK_OK(faissx_Index_assign(quantizer, NB, xb, blist, 1));
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    for (int q = 0; q < NQ; q++)
        for (int i = 0; i < K; i++)
            if (lab[q * K + i] >= 0) CHECK(blist[lab[q * K + i]] == qlist[q]);

    /* Probing every list is exhaustive search. */
    faissx_IndexIVF_set_nprobe(ivf, NLIST);
    CHECK(faissx_IndexIVF_nprobe(ivf) == NLIST);
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* The same through per-call parameters, leaving the index's nprobe alone. */
    faissx_IndexIVF_set_nprobe(ivf, 1);
    FaissSearchParametersIVF *params = NULL;
    CHECK_OK(faissx_SearchParametersIVF_new_with(&params, NULL, NLIST, 0));
    float dis2[NQ * K];
    idx_t lab2[NQ * K];
    CHECK_OK(faissx_Index_search_with_params(ivf, NQ, xq, K, params, dis2, lab2));
    CHECK(memcmp(lab2, lab, sizeof lab) == 0);
    CHECK(faissx_IndexIVF_nprobe(ivf) == 1);
    faissx_SearchParametersIVF_free(params);

    /* Preassigned search with the quantizer's own assignment is a normal search. */
    idx_t assign[NQ * NLIST];
    float cdis[NQ * NLIST];
    CHECK_OK(faissx_Index_search(quantizer, NQ, xq, NLIST, cdis, assign));
    faissx_IndexIVF_set_nprobe(ivf, NLIST);
    CHECK_OK(faissx_IndexIVF_search_preassigned(ivf, NQ, xq, K, assign, cdis, dis2, lab2, 0));
    CHECK(memcmp(lab2, lab, sizeof lab) == 0);
    for (int i = 0; i < NQ * K; i++) CHECK_NEAR(dis2[i], dis[i], 1e-5);
    /* With store_pairs the labels are (list << 32 | offset) pairs. */
    CHECK_OK(faissx_IndexIVF_search_preassigned(ivf, NQ, xq, K, assign, cdis, dis2, lab2, 1));
    for (int i = 0; i < NQ * K; i++) {
        idx_t list = lab2[i] >> 32, offset = lab2[i] & 0xffffffff;
        CHECK(list >= 0 && list < NLIST);
        idx_t ids[NB];
        faissx_IndexIVF_invlists_get_ids(ivf, (size_t)list, ids);
        CHECK(ids[offset] == lab[i]);
    }
    faissx_IndexIVF_set_nprobe(ivf, 1);

    CHECK_ERR(faissx_IndexIVF_search_preassigned(ivf, NQ, xq, 0, assign, cdis, dis2, lab2, 0),
              FAISSX_ERR_INVALID_ARGUMENT, "k");
    CHECK_ERR(faissx_IndexIVF_search_preassigned(ivf, NQ, xq, K, NULL, cdis, dis2, lab2, 0),
              FAISSX_ERR_INVALID_ARGUMENT, "assign");
}

static void test_search_parameters(void) {
    FaissSearchParametersIVF *params = NULL;
    CHECK_OK(faissx_SearchParametersIVF_new(&params));
    CHECK(faissx_SearchParametersIVF_nprobe(params) == 1);
    CHECK(faissx_SearchParametersIVF_sel(params) == NULL);
    faissx_SearchParametersIVF_set_nprobe(params, 5);
    CHECK(faissx_SearchParametersIVF_nprobe(params) == 5);
    faissx_SearchParametersIVF_set_max_codes(params, 77);
    CHECK(faissx_SearchParametersIVF_max_codes(params) == 77);
    CHECK(faissx_SearchParametersIVF_cast(params) == params);
    faissx_SearchParametersIVF_free(params);

    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 0, 10));
    CHECK_OK(faissx_SearchParametersIVF_new_with(&params, (FaissIDSelector *)range, 3, 9));
    CHECK(faissx_SearchParametersIVF_sel(params) == (const FaissIDSelector *)range);
    CHECK(faissx_SearchParametersIVF_nprobe(params) == 3);
    CHECK(faissx_SearchParametersIVF_max_codes(params) == 9);
    faissx_SearchParametersIVF_free(params);

    /* Plain SearchParameters are not IVF parameters. */
    FaissSearchParameters *plain = NULL;
    CHECK_OK(faissx_SearchParameters_new(&plain, (FaissIDSelector *)range));
    CHECK(faissx_SearchParametersIVF_cast(plain) == NULL);
    faissx_SearchParameters_free(plain);
    faissx_IDSelector_free((FaissIDSelector *)range);

    CHECK_ERR(faissx_SearchParametersIVF_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_sp");
    CHECK_ERR(faissx_SearchParametersIVF_new_with(NULL, NULL, 1, 0), FAISSX_ERR_INVALID_ARGUMENT,
              "p_sp");
    CHECK_ZERO_ERR(faissx_SearchParametersIVF_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersIVF_sel(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersIVF_nprobe(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersIVF_max_codes(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_SearchParametersIVF_set_nprobe(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_SearchParametersIVF_set_max_codes(NULL, 1), "is NULL");
    faissx_SearchParametersIVF_free(NULL);
}

static void test_merge_and_subset(const float *xb, const float *xq) {
    /* Two halves built apart, sharing the trained quantizer, merged: the whole. */
    FaissIndexIVF *a = new_ivf(), *b = new_ivf();
    CHECK(faissx_Index_is_trained(b)); /* the quantizer already holds NLIST centroids */
    CHECK_OK(faissx_Index_add(a, NB / 2, xb));
    CHECK_OK(faissx_Index_add(b, NB / 2, xb + (NB / 2) * D));
    CHECK_OK(faissx_IndexIVF_merge_from(a, b, NB / 2));
    CHECK(faissx_Index_ntotal(a) == NB);
    CHECK(faissx_Index_ntotal(b) == 0);
    faissx_IndexIVF_set_nprobe(a, NLIST);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(a, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* Copy the ids in [100, 300) into an empty index (subset type 0: id range). */
    CHECK_OK(faissx_IndexIVF_copy_subset_to(a, b, 0, 100, 300));
    CHECK(faissx_Index_ntotal(b) == 200);
    CHECK(faissx_Index_ntotal(a) == NB);
    faissx_IndexIVF_set_nprobe(b, NLIST);
    CHECK_OK(faissx_Index_search(b, NQ, xq, K, dis, lab));
    for (int i = 0; i < NQ * K; i++) {
        CHECK(lab[i] >= 100 && lab[i] < 300);
        lab[i] -= 100;
    }
    CHECK_KNN(xq, NQ, xb + 100 * D, 200, D, K, 0, dis, lab);

    CHECK_ERR(faissx_IndexIVF_merge_from(a, NULL, 0), FAISSX_ERR_INVALID_ARGUMENT, "other");
    CHECK_ERR(faissx_IndexIVF_copy_subset_to(a, NULL, 0, 0, 1), FAISSX_ERR_INVALID_ARGUMENT,
              "other");
    /* Lists of another size cannot merge. */
    FaissIndexFlatL2 *q2 = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&q2, D));
    FaissIndexIVF *other_nlist = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with(&other_nlist, q2, D, NLIST * 2));
    faissx_IndexIVF_set_own_fields(other_nlist, 1);
    CHECK_ERR(faissx_IndexIVF_merge_from(a, other_nlist, 0), FAISSX_ERR_FAISS, NULL);
    faissx_Index_free(other_nlist);
    faissx_IndexIVF_free(a);
    faissx_IndexIVF_free(b);
}

static void test_direct_map(FaissIndexIVF *ivf, const float *xb) {
    float v[D];
    /* Without a direct map FAISS cannot find an id's list. */
    CHECK_ERR(faissx_Index_reconstruct(ivf, 3, v), FAISSX_ERR_FAISS, NULL);
    CHECK_OK(faissx_IndexIVF_make_direct_map(ivf, 1));
    for (idx_t key = 0; key < NB; key += 97) {
        CHECK_OK(faissx_Index_reconstruct(ivf, key, v));
        CHECK(memcmp(v, xb + key * D, sizeof v) == 0);
    }
    CHECK_OK(faissx_IndexIVF_make_direct_map(ivf, 0));
    CHECK_ERR(faissx_Index_reconstruct(ivf, 3, v), FAISSX_ERR_FAISS, NULL);
}

static void test_stats(FaissIndexIVF *ivf, const float *xq) {
    FaissIndexIVFStats *stats = faissx_get_indexIVF_stats();
    CHECK(stats != NULL);
    faissx_IndexIVFStats_reset(stats);
    CHECK(stats->nq == 0 && stats->nlist == 0 && stats->ndis == 0);
    faissx_IndexIVF_set_nprobe(ivf, 3);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    CHECK(stats->nq == NQ);
    CHECK(stats->nlist == NQ * 3);
    CHECK(stats->ndis > 0 && stats->ndis <= (size_t)NQ * NB);
    faissx_IndexIVF_set_nprobe(ivf, 1);

    FaissIndexIVFStats local;
    memset(&local, 0xff, sizeof local);
    faissx_IndexIVFStats_init(&local);
    CHECK(local.nq == 0 && local.nlist == 0 && local.ndis == 0 && local.nheap_updates == 0);
    CHECK_VOID_ERR(faissx_IndexIVFStats_reset(NULL), "stats");
    CHECK_VOID_ERR(faissx_IndexIVFStats_init(NULL), "stats");
}

static void test_errors(FaissIndexIVF *ivf, const float *xb) {
    idx_t assign[4] = {0, 1, 2, 3};
    /* IVFFlat has no encoder to train, but the call is valid. */
    CHECK_OK(faissx_IndexIVF_train_encoder(ivf, 4, xb, assign));
    CHECK_ERR(faissx_IndexIVF_train_encoder(NULL, 4, xb, assign), FAISSX_ERR_INVALID_ARGUMENT,
              "index");
    /* The assignment is optional, as in FAISS's own train for non-residual encoders. */
    CHECK_OK(faissx_IndexIVF_train_encoder(ivf, 4, xb, NULL));
    CHECK_ERR(faissx_IndexIVF_make_direct_map(NULL, 1), FAISSX_ERR_INVALID_ARGUMENT, "index");

    /* A quantizer of another dimension is refused before FAISS allocates anything. */
    FaissIndexFlatL2 *q8 = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&q8, 8));
    FaissIndexIVF *bad = NULL;
    CHECK_ERR(faissx_IndexIVFFlat_new_with(&bad, q8, D, NLIST), FAISSX_ERR_INVALID_ARGUMENT,
              "dimension");
    CHECK(bad == NULL);
    faissx_Index_free(q8);

    CHECK_ZERO_ERR(faissx_IndexIVF_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_nlist(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_nprobe(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_quantizer(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_quantizer_trains_alone(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_own_fields(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_get_list_size(NULL, 0), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVF_imbalance_factor(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVF_set_nprobe(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVF_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVF_print_stats(NULL), "is NULL");
    faissx_IndexIVF_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 21);
    float *xq = random_vectors(NQ, D, 22);
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));

    FaissIndexIVF *ivf = new_ivf();
    CHECK(faissx_IndexIVF_cast(ivf) == ivf);
    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK(faissx_IndexIVF_cast(flat) == NULL);
    faissx_Index_free(flat);

    CHECK(faissx_IndexIVF_nlist(ivf) == NLIST);
    CHECK(faissx_IndexIVF_quantizer(ivf) == quantizer);
    CHECK(faissx_IndexIVF_quantizer_trains_alone(ivf) == 0);
    CHECK(faissx_IndexIVF_own_fields(ivf) == 0); /* the caller keeps the quantizer */
    faissx_IndexIVF_set_own_fields(ivf, 1);
    CHECK(faissx_IndexIVF_own_fields(ivf) == 1);
    faissx_IndexIVF_set_own_fields(ivf, 0);
    CHECK(faissx_Index_is_trained(ivf) == 0);
    CHECK_ERR(faissx_Index_add(ivf, NB, xb), FAISSX_ERR_FAISS, NULL); /* untrained */
    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    CHECK(faissx_Index_is_trained(ivf) == 1);
    CHECK(faissx_Index_ntotal(quantizer) == NLIST);
    CHECK_OK(faissx_Index_add(ivf, NB, xb));

    test_lists(ivf, xb);
    test_probing(ivf, xb, xq);
    test_search_parameters();
    test_merge_and_subset(xb, xq);
    test_direct_map(ivf, xb);
    test_stats(ivf, xq);
    test_errors(ivf, xb);

    faissx_IndexIVF_free(ivf);
    faissx_Index_free(quantizer);
    free(xb);
    free(xq);
    return 0;
}
