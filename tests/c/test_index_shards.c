/* IndexShards_c.h: data split over sub-indexes, searched as one; ids successive across shards
 * or the caller's own. */
#include "check.h"

enum { D = 10, NB = 300, NQ = 12, K = 5, NSHARDS = 3 };

static void test_successive_ids(const float *xb, const float *xq) {
    FaissIndexShards *shards = NULL;
    CHECK_OK(faissx_IndexShards_new(&shards, D));
    CHECK(faissx_IndexShards_successive_ids(shards) == 1);
    CHECK(faissx_IndexShards_own_fields(shards) == 0);
    FaissIndex *sub[NSHARDS];
    for (int s = 0; s < NSHARDS; s++) {
        CHECK_OK(faissx_IndexFlatL2_new_with(&sub[s], D));
        CHECK_OK(faissx_IndexShards_add_shard(shards, sub[s]));
    }
    for (int s = 0; s < NSHARDS; s++) CHECK(faissx_IndexShards_at(shards, s) == sub[s]);

    /* The data is split in consecutive blocks, one per shard. */
    CHECK_OK(faissx_Index_add(shards, NB, xb));
    CHECK(faissx_Index_ntotal(shards) == NB);
    for (int s = 0; s < NSHARDS; s++) {
        CHECK(faissx_Index_ntotal(sub[s]) == NB / NSHARDS);
        float v[D];
        CHECK_OK(faissx_Index_reconstruct(sub[s], 0, v));
        CHECK(memcmp(v, xb + s * (NB / NSHARDS) * D, sizeof v) == 0);
    }

    /* Results merge across shards, with ids offset back to global positions. */
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(shards, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* Without the last shard, its block disappears from the results. */
    CHECK_OK(faissx_IndexShards_remove_shard(shards, sub[NSHARDS - 1]));
    CHECK(faissx_Index_ntotal(shards) == NB - NB / NSHARDS);
    CHECK_OK(faissx_Index_search(shards, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB - NB / NSHARDS, D, K, 0, dis, lab);
    /* Removing a shard that is not there is FAISS's error. */
    CHECK_ERR(faissx_IndexShards_remove_shard(shards, sub[NSHARDS - 1]), FAISSX_ERR_FAISS, NULL);

    /* Owning its shards, the index frees them with itself. */
    faissx_IndexShards_set_own_fields(shards, 1);
    CHECK(faissx_IndexShards_own_fields(shards) == 1);
    faissx_IndexShards_free(shards);
    faissx_Index_free(sub[NSHARDS - 1]);
}

static void test_own_ids(const float *xb, const float *xq) {
    FaissIndexShards *shards = NULL;
    CHECK_OK(faissx_IndexShards_new_with_options(&shards, D, 1, 0));
    CHECK(faissx_IndexShards_successive_ids(shards) == 0);
    faissx_IndexShards_set_successive_ids(shards, 1);
    CHECK(faissx_IndexShards_successive_ids(shards) == 1);
    faissx_IndexShards_set_successive_ids(shards, 0);
    faissx_IndexShards_set_own_fields(shards, 1);
    for (int s = 0; s < NSHARDS; s++) {
        FaissIndex *flat = NULL, *idmap = NULL;
        CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
        CHECK_OK(faissx_IndexIDMap_new(&idmap, flat));
        faissx_IndexIDMap_set_own_fields(idmap, 1);
        CHECK_OK(faissx_IndexShards_add_shard(shards, idmap));
    }
    idx_t *ids = malloc(NB * sizeof *ids);
    for (int i = 0; i < NB; i++) ids[i] = 10000 + 3 * i;
    CHECK_OK(faissx_Index_add_with_ids(shards, NB, xb, ids));
    CHECK(faissx_Index_ntotal(shards) == NB);

    /* The caller's ids come back unchanged; map them to positions for the reference. */
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(shards, NQ, xq, K, dis, lab));
    for (int i = 0; i < NQ * K; i++) {
        CHECK(lab[i] >= 10000 && (lab[i] - 10000) % 3 == 0);
        lab[i] = (lab[i] - 10000) / 3;
    }
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);
    free(ids);
    faissx_IndexShards_free(shards);
}

static void test_errors(void) {
    FaissIndexShards *shards = NULL;
    CHECK_OK(faissx_IndexShards_new(&shards, D));
    FaissIndex *other_d = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&other_d, D + 2));
    CHECK_ERR(faissx_IndexShards_add_shard(shards, other_d), FAISSX_ERR_FAISS, "dim");
    faissx_Index_free(other_d);

    CHECK_ZERO_ERR(faissx_IndexShards_at(shards, 0), "out of range");
    CHECK_ZERO_ERR(faissx_IndexShards_at(shards, -1), "out of range");
    CHECK_ERR(faissx_IndexShards_add_shard(shards, NULL), FAISSX_ERR_INVALID_ARGUMENT, "shard");
    CHECK_ERR(faissx_IndexShards_add_shard(NULL, shards), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexShards_remove_shard(shards, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "shard");
    CHECK_ERR(faissx_IndexShards_new(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexShards_new_with_options(NULL, D, 0, 1), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK_ZERO_ERR(faissx_IndexShards_at(NULL, 0), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexShards_own_fields(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexShards_successive_ids(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexShards_set_own_fields(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexShards_set_successive_ids(NULL, 1), "is NULL");
    faissx_IndexShards_free(NULL);
    faissx_IndexShards_free(shards);
}

int main(void) {
    float *xb = random_vectors(NB, D, 41);
    float *xq = random_vectors(NQ, D, 42);
    test_successive_ids(xb, xq);
    test_own_ids(xb, xq);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
