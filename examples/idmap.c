/* IndexIDMap: your own 64-bit ids on top of an index that numbers vectors 0, 1, 2, ... */
#include "common.h"

enum { D = 32, NB = 1000, NQ = 3, K = 3, NREMOVE = 2 };

/* Searches with the first NQ database vectors and prints the ids and distances found. */
static void search_first(const FaissIndex *index, const float *xb, idx_t labels[NQ * K]) {
    float distances[NQ * K];
    CHECK(faissx_Index_search(index, NQ, xb, K, distances, labels));
    for (int q = 0; q < NQ; q++) {
        printf("  query %d ->", q);
        for (int j = 0; j < K; j++)
            printf(" %14lld (%.3f)", (long long)labels[q * K + j], distances[q * K + j]);
        printf("\n");
    }
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    /* Ids from your own system, say row keys: any int64 values, here beyond 32 bits. */
    idx_t *ids = xmalloc(NB * sizeof(idx_t));
    for (idx_t i = 0; i < NB; i++) ids[i] = 5000000000LL + 7 * i;

    FaissIndex *flat = NULL, *index = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK(faissx_IndexIDMap_new(&index, flat));
    faissx_IndexIDMap_set_own_fields(index, 1); /* freeing the map frees the flat index */
    CHECK(faissx_Index_add_with_ids(index, NB, xb, ids));

    idx_t labels[NQ * K];
    printf("search returns your ids:\n");
    search_first(index, xb, labels);
    for (int q = 0; q < NQ; q++) EXPECT(labels[q * K] == ids[q], "query %d finds itself", q);

    /* Remove the first NREMOVE vectors by id: their queries must now find others. */
    FaissIDSelectorBatch *sel = NULL;
    CHECK(faissx_IDSelectorBatch_new(&sel, NREMOVE, ids));
    size_t removed = 0;
    CHECK(faissx_Index_remove_ids(index, (FaissIDSelector *)sel, &removed));
    faissx_IDSelector_free((FaissIDSelector *)sel);
    printf("removed %zu ids, %lld vectors left:\n", removed,
           (long long)faissx_Index_ntotal(index));
    search_first(index, xb, labels);
    EXPECT(removed == NREMOVE && faissx_Index_ntotal(index) == NB - NREMOVE, "both removed");
    for (int i = 0; i < NQ * K; i++)
        for (int r = 0; r < NREMOVE; r++)
            EXPECT(labels[i] != ids[r], "removed id %lld is gone", (long long)ids[r]);
    EXPECT(labels[NREMOVE * K] == ids[NREMOVE], "the vectors kept still find themselves");

    faissx_Index_free(index);
    free(ids);
    free(xb);
    return 0;
}
