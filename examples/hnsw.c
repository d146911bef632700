/* IndexHNSWFlat: a navigable graph, no training; efSearch trades recall for speed. */
#include <string.h>

#include "common.h"

enum { D = 64, NB = 20000, NQ = 100, K = 10, M = 16 };

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);
    idx_t *truth = ground_truth(D, NB, xb, NQ, xq, K);

    FaissIndexHNSWFlat *index = NULL;
    CHECK(faissx_IndexHNSWFlat_new_with(&index, D, M));
    /* efConstruction applies while adding: a wider search for neighbours builds a better graph. */
    faissx_IndexHNSW_set_efConstruction(index, 64);
    CHECK(faissx_Index_add(index, NB, xb));
    printf("HNSWFlat: %lld vectors, M %d, efConstruction %d\n",
           (long long)faissx_Index_ntotal(index), faissx_IndexHNSW_M(index),
           faissx_IndexHNSW_efConstruction(index));

    static const int ef_values[] = {10, 32, 128};
    enum { NEF = sizeof ef_values / sizeof ef_values[0] };
    static float distances[NQ * K];
    static idx_t labels[NEF][NQ * K];
    double recall[NEF];
    for (int i = 0; i < NEF; i++) {
        faissx_IndexHNSW_set_efSearch(index, ef_values[i]);
        CHECK(faissx_Index_search(index, NQ, xq, K, distances, labels[i]));
        recall[i] = recall_at_k(NQ, K, labels[i], truth);
        printf("efSearch %3d: recall@%d vs IndexFlatL2 %.3f\n", ef_values[i], K, recall[i]);
    }
    EXPECT(recall[0] < recall[NEF - 1], "a longer candidate list finds more true neighbours");
    EXPECT(recall[NEF - 1] >= 0.95, "efSearch %d should be near exact, got %.3f",
           ef_values[NEF - 1], recall[NEF - 1]);

    /* SearchParametersHNSW sets efSearch for one call; the index keeps its own. */
    faissx_IndexHNSW_set_efSearch(index, ef_values[0]);
    FaissSearchParametersHNSW *params = NULL;
    static idx_t per_call[NQ * K];
    CHECK(faissx_SearchParametersHNSW_new_with(&params, NULL, ef_values[NEF - 1]));
    CHECK(faissx_Index_search_with_params(index, NQ, xq, K, params, distances, per_call));
    printf("SearchParametersHNSW efSearch %d on an index set to %d: recall@%d %.3f\n",
           faissx_SearchParametersHNSW_efSearch(params), faissx_IndexHNSW_efSearch(index), K,
           recall_at_k(NQ, K, per_call, truth));
    EXPECT(memcmp(per_call, labels[NEF - 1], sizeof per_call) == 0,
           "per-call efSearch gives the same results as setting it on the index");

    faissx_SearchParametersHNSW_free(params);
    faissx_Index_free(index);
    free(truth);
    free(xq);
    free(xb);
    return 0;
}
