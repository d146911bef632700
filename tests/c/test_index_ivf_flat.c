/* IndexIVFFlat_c.h: construction (L2 and inner product), its own accessors, adding with
 * precomputed lists, and updating stored vectors in place. */
#include "check.h"

enum { D = 12, NLIST = 6, NB = 600, NQ = 15, K = 4 };

static void test_l2(const float *xb, const float *xq) {
    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    FaissIndexIVFFlat *ivf = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with(&ivf, quantizer, D, NLIST));
    CHECK(faissx_IndexIVFFlat_cast(ivf) == ivf);
    CHECK(faissx_IndexIVF_cast(ivf) == ivf);
    CHECK(faissx_IndexIVFFlat_cast(quantizer) == NULL);
    CHECK(faissx_IndexIVFFlat_nlist(ivf) == NLIST);
    CHECK(faissx_IndexIVFFlat_quantizer(ivf) == quantizer);
    CHECK(faissx_IndexIVFFlat_quantizer_trains_alone(ivf) == 0);
    CHECK(faissx_IndexIVFFlat_own_fields(ivf) == 0);
    faissx_IndexIVFFlat_set_own_fields(ivf, 1); /* the index now frees the quantizer */
    CHECK(faissx_IndexIVFFlat_own_fields(ivf) == 1);
    CHECK(faissx_Index_metric_type(ivf) == METRIC_L2);

    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    CHECK_OK(faissx_Index_add(ivf, NB, xb));
    CHECK(faissx_IndexIVFFlat_nprobe(ivf) == 1);
    faissx_IndexIVFFlat_set_nprobe(ivf, NLIST);
    CHECK(faissx_IndexIVFFlat_nprobe(ivf) == NLIST);
    CHECK(faissx_IndexIVF_nprobe(ivf) == NLIST); /* one field, two views */

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* Replace vectors 0 and 1 by two queries: they are then found under those ids. */
    CHECK_ERR(faissx_IndexIVFFlat_update_vectors(ivf, 2, (idx_t[]){0, 1}, xq), FAISSX_ERR_FAISS,
              NULL); /* needs an array direct map */
    CHECK_OK(faissx_IndexIVF_make_direct_map(ivf, 1));
    idx_t ids[2] = {0, 1};
    CHECK_OK(faissx_IndexIVFFlat_update_vectors(ivf, 2, ids, xq));
    CHECK(faissx_Index_ntotal(ivf) == NB);
    float v[D];
    CHECK_OK(faissx_Index_reconstruct(ivf, 1, v));
    CHECK(memcmp(v, xq + D, sizeof v) == 0);
    CHECK_OK(faissx_Index_search(ivf, 2, xq, 1, dis, lab));
    CHECK(lab[0] == 0 && lab[1] == 1);
    CHECK(dis[0] <= 1e-6f && dis[1] <= 1e-6f);

    CHECK_ERR(faissx_IndexIVFFlat_update_vectors(ivf, 2, NULL, xq), FAISSX_ERR_INVALID_ARGUMENT,
              "idx");
    CHECK_ERR(faissx_IndexIVFFlat_update_vectors(ivf, 2, ids, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "v");
    faissx_IndexIVFFlat_free(ivf);
}

static void test_inner_product(const float *xb, const float *xq) {
    FaissIndexFlatIP *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatIP_new_with(&quantizer, D));
    FaissIndexIVFFlat *ivf = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with_metric(&ivf, quantizer, D, NLIST,
                                                 METRIC_INNER_PRODUCT));
    faissx_IndexIVFFlat_set_own_fields(ivf, 1);
    CHECK(faissx_Index_metric_type(ivf) == METRIC_INNER_PRODUCT);
    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    CHECK_OK(faissx_Index_add(ivf, NB, xb));
    faissx_IndexIVFFlat_set_nprobe(ivf, NLIST);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 1, dis, lab);
    FaissIndexIVFFlat *bad = NULL;
    CHECK_ERR(faissx_IndexIVFFlat_new_with_metric(&bad, quantizer, D, NLIST, 1234),
              FAISSX_ERR_INVALID_ARGUMENT, "metric");
    CHECK(bad == NULL);
    faissx_IndexIVFFlat_free(ivf);
}

static void test_add_core(const float *xb) {
    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    FaissIndexIVFFlat *ivf = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with(&ivf, quantizer, D, NLIST));
    faissx_IndexIVFFlat_set_own_fields(ivf, 1);
    CHECK_OK(faissx_Index_train(ivf, NB, xb));

    /* The caller decides the lists: here, everything into list 2, with ids of its own. */
    int64_t lists[50];
    idx_t ids[50];
    for (int i = 0; i < 50; i++) {
        lists[i] = 2;
        ids[i] = 5000 + i;
    }
    CHECK_OK(faissx_IndexIVFFlat_add_core(ivf, 50, xb, ids, lists));
    CHECK(faissx_Index_ntotal(ivf) == 50);
    CHECK(faissx_IndexIVF_get_list_size(ivf, 2) == 50);
    idx_t stored[50];
    faissx_IndexIVF_invlists_get_ids(ivf, 2, stored);
    CHECK(memcmp(stored, ids, sizeof ids) == 0);
    /* Without ids, they continue from ntotal. */
    CHECK_OK(faissx_IndexIVFFlat_add_core(ivf, 10, xb, NULL, lists));
    CHECK(faissx_IndexIVF_get_list_size(ivf, 2) == 60);
    idx_t all[60];
    faissx_IndexIVF_invlists_get_ids(ivf, 2, all);
    for (int i = 0; i < 10; i++) CHECK(all[50 + i] == 50 + i);

    CHECK_ERR(faissx_IndexIVFFlat_add_core(ivf, 10, xb, NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "precomputed_idx");
    CHECK_ERR(faissx_IndexIVFFlat_add_core(ivf, 10, NULL, NULL, lists),
              FAISSX_ERR_INVALID_ARGUMENT, "x");
    CHECK_ERR(faissx_IndexIVFFlat_add_core(NULL, 10, xb, NULL, lists),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    faissx_IndexIVFFlat_free(ivf);
}

static void test_errors(void) {
    /* The argument-less constructor: an empty shell for the deserializer. */
    FaissIndexIVFFlat *empty = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new(&empty));
    CHECK(faissx_IndexIVFFlat_cast(empty) == empty);
    CHECK(faissx_Index_ntotal(empty) == 0);
    faissx_IndexIVFFlat_free(empty);

    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    FaissIndexIVFFlat *ivf = NULL;
    CHECK_ERR(faissx_IndexIVFFlat_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexIVFFlat_new_with(NULL, quantizer, D, NLIST),
              FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexIVFFlat_new_with(&ivf, NULL, D, NLIST), FAISSX_ERR_INVALID_ARGUMENT,
              "quantizer");
    CHECK_ERR(faissx_IndexIVFFlat_new_with_metric(&ivf, NULL, D, NLIST, METRIC_L2),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer");
    CHECK_ERR(faissx_IndexIVFFlat_new_with_metric(&ivf, quantizer, D + 1, NLIST, METRIC_L2),
              FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    CHECK(ivf == NULL);
    faissx_Index_free(quantizer);

    CHECK_ZERO_ERR(faissx_IndexIVFFlat_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFFlat_nlist(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFFlat_nprobe(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFFlat_quantizer(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFFlat_quantizer_trains_alone(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFFlat_own_fields(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVFFlat_set_nprobe(NULL, 2), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVFFlat_set_own_fields(NULL, 1), "is NULL");
    CHECK_ERR(faissx_IndexIVFFlat_update_vectors(NULL, 0, NULL, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    faissx_IndexIVFFlat_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 31);
    float *xq = random_vectors(NQ, D, 32);
    test_l2(xb, xq);
    test_inner_product(xb, xq);
    test_add_core(xb);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
