/* IndexReplicas_c.h: identical copies of one data set, each query served by one of them. */
#include "check.h"

enum { D = 10, NB = 300, NQ = 12, K = 5, NREP = 3 };

static void test_replicas(int threaded, const float *xb, const float *xq) {
    FaissIndexReplicas *replicas = NULL;
    if (threaded)
        CHECK_OK(faissx_IndexReplicas_new_with_options(&replicas, D, 1));
    else
        CHECK_OK(faissx_IndexReplicas_new(&replicas, D));
    CHECK(faissx_Index_d(replicas) == D);
    CHECK(faissx_IndexReplicas_own_fields(replicas) == 0);
    FaissIndex *rep[NREP];
    for (int r = 0; r < NREP; r++) {
        CHECK_OK(faissx_IndexFlatL2_new_with(&rep[r], D));
        CHECK_OK(faissx_IndexReplicas_add_replica(replicas, rep[r]));
    }
    for (int r = 0; r < NREP; r++) CHECK(faissx_IndexReplicas_at(replicas, r) == rep[r]);

    /* Every replica receives every vector. */
    CHECK_OK(faissx_Index_add(replicas, NB, xb));
    CHECK(faissx_Index_ntotal(replicas) == NB);
    for (int r = 0; r < NREP; r++) {
        CHECK(faissx_Index_ntotal(rep[r]) == NB);
        float v[D];
        CHECK_OK(faissx_Index_reconstruct(rep[r], NB - 1, v));
        CHECK(memcmp(v, xb + (NB - 1) * D, sizeof v) == 0);
    }

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(replicas, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    /* One replica fewer: same answers. */
    CHECK_OK(faissx_IndexReplicas_remove_replica(replicas, rep[0]));
    CHECK(faissx_IndexReplicas_at(replicas, 0) == rep[1]);
    CHECK_OK(faissx_Index_search(replicas, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);
    CHECK_ERR(faissx_IndexReplicas_remove_replica(replicas, rep[0]), FAISSX_ERR_FAISS, NULL);
    faissx_Index_free(rep[0]);

    faissx_IndexReplicas_set_own_fields(replicas, 1); /* frees rep[1], rep[2] with itself */
    CHECK(faissx_IndexReplicas_own_fields(replicas) == 1);
    faissx_IndexReplicas_free(replicas);
}

static void test_errors(void) {
    FaissIndexReplicas *replicas = NULL;
    CHECK_OK(faissx_IndexReplicas_new(&replicas, D));
    FaissIndex *other_d = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&other_d, D - 1));
    CHECK_ERR(faissx_IndexReplicas_add_replica(replicas, other_d), FAISSX_ERR_FAISS, "dim");
    faissx_Index_free(other_d);

    CHECK_ZERO_ERR(faissx_IndexReplicas_at(replicas, 0), "out of range");
    CHECK_ZERO_ERR(faissx_IndexReplicas_at(replicas, -3), "out of range");
    CHECK_ERR(faissx_IndexReplicas_add_replica(replicas, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "replica");
    CHECK_ERR(faissx_IndexReplicas_add_replica(NULL, replicas), FAISSX_ERR_INVALID_ARGUMENT,
              "index");
    CHECK_ERR(faissx_IndexReplicas_remove_replica(replicas, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "replica");
    CHECK_ERR(faissx_IndexReplicas_new(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexReplicas_new_with_options(NULL, D, 1), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK_ZERO_ERR(faissx_IndexReplicas_at(NULL, 0), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexReplicas_own_fields(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexReplicas_set_own_fields(NULL, 1), "is NULL");
    faissx_IndexReplicas_free(NULL);
    faissx_IndexReplicas_free(replicas);
}

int main(void) {
    float *xb = random_vectors(NB, D, 51);
    float *xq = random_vectors(NQ, D, 52);
    test_replicas(0, xb, xq);
    test_replicas(1, xb, xq);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
