/* IndexIVFFlat: k-means cells over a flat quantizer; nprobe trades recall for speed. */
#include <string.h>

#include "common.h"

enum { D = 64, NB = 20000, NQ = 100, K = 10, NLIST = 128 };

/* params may be NULL: the index's own settings apply. */
static double search_recall(const FaissIndex *index, const FaissSearchParameters *params,
                            const float *xq, const idx_t *truth, idx_t *labels) {
    float distances[NQ * K];
    CHECK(faissx_Index_search_with_params(index, NQ, xq, K, params, distances, labels));
    return recall_at_k(NQ, K, labels, truth);
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);
    idx_t *truth = ground_truth(D, NB, xb, NQ, xq, K);

    FaissIndex *quantizer = NULL, *index = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&quantizer, D));
    CHECK(faissx_IndexIVFFlat_new_with(&index, quantizer, D, NLIST));
    /* The index borrows its quantizer by default; handing it over frees both together. */
    faissx_IndexIVF_set_own_fields(index, 1);

    CHECK(faissx_Index_train(index, NB, xb)); /* k-means: NLIST centroids into the quantizer */
    CHECK(faissx_Index_add(index, NB, xb));
    printf("IVFFlat: %lld vectors in %zu lists\n", (long long)faissx_Index_ntotal(index),
           faissx_IndexIVF_nlist(index));

    static idx_t one[NQ * K], all[NQ * K], per_call[NQ * K];
    faissx_IndexIVF_set_nprobe(index, 1);
    double r_one = search_recall(index, NULL, xq, truth, one);
    faissx_IndexIVF_set_nprobe(index, NLIST);
    double r_all = search_recall(index, NULL, xq, truth, all);
    printf("recall@%d vs IndexFlatL2: nprobe 1 -> %.3f, nprobe %d -> %.3f\n", K, r_one, NLIST,
           r_all);
    EXPECT(r_one < r_all, "more probes must find more true neighbours");
    /* Probing every list visits every vector: exact search, up to float rounding on ties. */
    EXPECT(r_all >= 0.99, "nprobe = nlist should match brute force, got %.3f", r_all);

    /* SearchParametersIVF overrides nprobe for one call; the index's own setting stays. */
    faissx_IndexIVF_set_nprobe(index, 1);
    FaissSearchParametersIVF *params = NULL;
    CHECK(faissx_SearchParametersIVF_new_with(&params, NULL, NLIST, 0));
    double r_params = search_recall(index, params, xq, truth, per_call);
    printf("SearchParametersIVF nprobe %zu on an index set to nprobe %zu -> %.3f\n",
           faissx_SearchParametersIVF_nprobe(params), faissx_IndexIVF_nprobe(index), r_params);
    EXPECT(memcmp(per_call, all, sizeof all) == 0, "per-call nprobe gives the same results");
    EXPECT(faissx_IndexIVF_nprobe(index) == 1, "the index keeps its own nprobe");

    faissx_SearchParametersIVF_free(params);
    faissx_Index_free(index); /* and the quantizer it owns */
    free(truth);
    free(xq);
    free(xb);
    return 0;
}
