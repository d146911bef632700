/* Merging indexes: build parts separately (in parallel, on other machines), search one. */
#include <string.h>

#include "common.h"

enum { D = 32, NB = 10000, HALF = NB / 2, NQ = 20, K = 5, NLIST = 32 };

typedef struct {
    float distances[NQ * K];
    idx_t labels[NQ * K];
} Results;

static void search(const FaissIndex *index, const float *xq, Results *out) {
    CHECK(faissx_Index_search(index, NQ, xq, K, out->distances, out->labels));
}

static FaissIndex *new_flat(void) {
    FaissIndex *index = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&index, D));
    return index;
}

static FaissIndex *new_ivf(FaissIndex *quantizer) {
    FaissIndex *index = NULL;
    CHECK(faissx_IndexIVFFlat_new_with(&index, quantizer, D, NLIST));
    faissx_IndexIVF_set_nprobe(index, 4);
    return index;
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);
    const float *second = xb + (size_t)HALF * D;
    Results merged, whole;

    /* Flat: `other`'s vectors are appended, numbered after `index`'s own; flat indexes number
     * vectors by position, so add_id must be 0. */
    FaissIndex *a = new_flat(), *b = new_flat(), *all = new_flat();
    CHECK(faissx_Index_add(a, HALF, xb));
    CHECK(faissx_Index_add(b, NB - HALF, second));
    CHECK(faissx_Index_merge_from(a, b, 0));
    CHECK(faissx_Index_add(all, NB, xb));
    search(a, xq, &merged);
    search(all, xq, &whole);
    printf("flat: merged %lld + %lld vectors -> %lld; query 0 -> %lld\n", (long long)HALF,
           (long long)(NB - HALF), (long long)faissx_Index_ntotal(a),
           (long long)merged.labels[0]);
    EXPECT(faissx_Index_ntotal(a) == NB && faissx_Index_ntotal(b) == 0, "b moved into a");
    EXPECT(memcmp(&merged, &whole, sizeof merged) == 0, "same results as one flat index");
    faissx_Index_free(all);
    faissx_Index_free(b);
    faissx_Index_free(a);

    /* IVF: the parts must share one trained quantizer, so that a cell means the same in each.
     * Each part numbers its vectors from 0; add_id shifts b's ids past a's on the way in. */
    FaissIndex *quantizer = new_flat();
    a = new_ivf(quantizer);
    CHECK(faissx_Index_train(a, NB, xb)); /* trains the shared quantizer */
    b = new_ivf(quantizer);               /* trained already: its quantizer is */
    all = new_ivf(quantizer);
    EXPECT(faissx_Index_is_trained(b), "a quantizer trained once serves every part");
    CHECK(faissx_Index_add(a, HALF, xb));
    CHECK(faissx_Index_add(b, NB - HALF, second));
    CHECK(faissx_Index_merge_from(a, b, HALF));
    CHECK(faissx_Index_add(all, NB, xb));
    search(a, xq, &merged);
    search(all, xq, &whole);
    printf("IVF:  merged %lld + %lld vectors -> %lld; query 0 -> %lld\n", (long long)HALF,
           (long long)(NB - HALF), (long long)faissx_Index_ntotal(a),
           (long long)merged.labels[0]);
    EXPECT(faissx_Index_ntotal(a) == NB && faissx_Index_ntotal(b) == 0, "b moved into a");
    EXPECT(memcmp(&merged, &whole, sizeof merged) == 0, "same results as one IVF index");

    /* The IVF indexes borrow the quantizer: free them first. */
    faissx_Index_free(all);
    faissx_Index_free(b);
    faissx_Index_free(a);
    faissx_Index_free(quantizer);
    free(xq);
    free(xb);
    return 0;
}
