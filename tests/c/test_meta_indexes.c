/* MetaIndexes_c.h: IndexIDMap / IndexIDMap2, which put the caller's ids on any index. */
#include "check.h"

enum { D = 8, NB = 200, NQ = 10, K = 4 };

static idx_t user_id(int i) { return 1000000 + 13 * (idx_t)i; }

static void test_idmap(const float *xb, const float *xq) {
    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    FaissIndexIDMap *idmap = NULL;
    CHECK_OK(faissx_IndexIDMap_new(&idmap, flat));
    CHECK(faissx_IndexIDMap_cast(idmap) == idmap);
    CHECK(faissx_IndexIDMap2_cast(idmap) == NULL);
    CHECK(faissx_IndexIDMap_cast(flat) == NULL);
    CHECK(faissx_IndexIDMap_sub_index(idmap) == flat);
    CHECK(faissx_IndexIDMap_own_fields(idmap) == 0);
    faissx_IndexIDMap_set_own_fields(idmap, 1);
    CHECK(faissx_IndexIDMap_own_fields(idmap) == 1);

    /* Only the caller's ids make sense here. */
    CHECK_ERR(faissx_Index_add(idmap, NB, xb), FAISSX_ERR_FAISS, NULL);
    idx_t ids[NB];
    for (int i = 0; i < NB; i++) ids[i] = user_id(i);
    CHECK_OK(faissx_Index_add_with_ids(idmap, NB, xb, ids));
    CHECK(faissx_Index_ntotal(idmap) == NB);
    CHECK(faissx_Index_ntotal(flat) == NB);

    idx_t *map = NULL;
    size_t size = 0;
    faissx_IndexIDMap_id_map(idmap, &map, &size);
    CHECK(size == NB);
    CHECK(memcmp(map, ids, sizeof ids) == 0);
    /* Either output may be skipped. */
    size_t only_size = 0;
    faissx_IndexIDMap_id_map(idmap, NULL, &only_size);
    CHECK(only_size == NB);
    idx_t *only_map = NULL;
    faissx_IndexIDMap_id_map(idmap, &only_map, NULL);
    CHECK(only_map == map);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(idmap, NQ, xq, K, dis, lab));
    for (int i = 0; i < NQ * K; i++) {
        CHECK((lab[i] - 1000000) % 13 == 0);
        lab[i] = (lab[i] - 1000000) / 13;
    }
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* Range search reports the caller's ids too. */
    FaissRangeSearchResult *res = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&res, 1));
    CHECK_OK(faissx_Index_range_search(idmap, 1, xb + 7 * D, 1e-6f, res));
    size_t *lims = NULL;
    idx_t *labels = NULL;
    float *distances = NULL;
    faissx_RangeSearchResult_lims(res, &lims);
    faissx_RangeSearchResult_labels(res, &labels, &distances);
    CHECK(lims[1] == 1 && labels[0] == user_id(7));
    faissx_RangeSearchResult_free(res);

    /* Removing by the caller's ids removes exactly those. */
    idx_t doomed[3] = {user_id(0), user_id(50), user_id(NB - 1)};
    FaissIDSelectorBatch *sel = NULL;
    CHECK_OK(faissx_IDSelectorBatch_new(&sel, 3, doomed));
    size_t removed = 0;
    CHECK_OK(faissx_Index_remove_ids(idmap, (FaissIDSelector *)sel, &removed));
    CHECK(removed == 3);
    faissx_IDSelector_free((FaissIDSelector *)sel);
    faissx_IndexIDMap_id_map(idmap, &map, &size);
    CHECK(size == NB - 3);
    for (size_t i = 0; i < size; i++)
        CHECK(map[i] != doomed[0] && map[i] != doomed[1] && map[i] != doomed[2]);
    CHECK_OK(faissx_Index_search(idmap, 1, xb + 50 * D, 1, dis, lab));
    CHECK(lab[0] != user_id(50));
    faissx_Index_free(idmap); /* owns flat */
}

static void test_idmap2(const float *xb) {
    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    FaissIndexIDMap2 *idmap = NULL;
    CHECK_OK(faissx_IndexIDMap2_new(&idmap, flat));
    CHECK(faissx_IndexIDMap2_cast(idmap) == idmap);
    CHECK(faissx_IndexIDMap_cast(idmap) == idmap); /* IDMap2 is an IDMap */
    CHECK(faissx_IndexIDMap2_sub_index(idmap) == flat);
    CHECK(faissx_IndexIDMap2_own_fields(idmap) == 0);
    faissx_IndexIDMap2_set_own_fields(idmap, 1);
    CHECK(faissx_IndexIDMap2_own_fields(idmap) == 1);

    idx_t ids[NB];
    for (int i = 0; i < NB; i++) ids[i] = user_id(i);
    CHECK_OK(faissx_Index_add_with_ids(idmap, NB, xb, ids));
    idx_t *map = NULL;
    size_t size = 0;
    faissx_IndexIDMap2_id_map(idmap, &map, &size);
    CHECK(size == NB && memcmp(map, ids, sizeof ids) == 0);

    /* IDMap2 reconstructs by the caller's id. */
    CHECK_OK(faissx_IndexIDMap2_construct_rev_map(idmap));
    float v[D];
    for (int i = 0; i < NB; i += 31) {
        CHECK_OK(faissx_Index_reconstruct(idmap, user_id(i), v));
        CHECK(memcmp(v, xb + i * D, sizeof v) == 0);
    }
    CHECK_ERR(faissx_Index_reconstruct(idmap, 5, v), FAISSX_ERR_FAISS, NULL); /* unknown id */
    faissx_Index_free(idmap);
}

static void test_errors(void) {
    FaissIndexIDMap *idmap = NULL;
    CHECK_ERR(faissx_IndexIDMap_new(&idmap, NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexIDMap_new(NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexIDMap2_new(&idmap, NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexIDMap2_new(NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK(idmap == NULL);
    CHECK_ERR(faissx_IndexIDMap2_construct_rev_map(NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    idx_t *map = NULL;
    size_t size = 0;
    CHECK_ZERO_ERR(faissx_IndexIDMap_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIDMap2_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIDMap_sub_index(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIDMap2_sub_index(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIDMap_own_fields(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIDMap2_own_fields(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIDMap_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIDMap2_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIDMap_id_map(NULL, &map, &size), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIDMap2_id_map(NULL, &map, &size), "is NULL");
    CHECK(map == NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 81);
    float *xq = random_vectors(NQ, D, 82);
    test_idmap(xb, xq);
    test_idmap2(xb);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
