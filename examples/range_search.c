/* Range search: every vector within a radius, a variable number per query. */
#include "common.h"

enum { D = 32, NB = 20000, NQ = 4, SHOW = 4 };
static const float RADIUS = 0.2f; /* squared L2, as IndexFlatL2 reports distances */

static float l2sqr(const float *a, const float *b) {
    float s = 0;
    for (int j = 0; j < D; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);

    FaissIndex *index = NULL;
    FaissRangeSearchResult *result = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&index, D));
    CHECK(faissx_Index_add(index, NB, xb));
    CHECK(faissx_RangeSearchResult_new(&result, NQ));
    CHECK(faissx_Index_range_search(index, NQ, xq, RADIUS, result));

    /* Query q's hits are entries lims[q] .. lims[q+1]-1 of labels and distances, unsorted.
     * The three arrays belong to the result: valid until it is freed. */
    size_t *lims = NULL;
    idx_t *labels = NULL;
    float *distances = NULL;
    faissx_RangeSearchResult_lims(result, &lims);
    faissx_RangeSearchResult_labels(result, &labels, &distances);
    printf("%lld vectors, radius %.2f: %zu hits in all\n", (long long)faissx_Index_ntotal(index),
           RADIUS, lims[NQ]);

    for (int q = 0; q < NQ; q++) {
        size_t begin = lims[q], end = lims[q + 1];
        printf("query %d: %3zu hits", q, end - begin);
        for (size_t i = begin; i < end && i < begin + SHOW; i++)
            printf("  %5lld (%.3f)", (long long)labels[i], distances[i]);
        printf("%s\n", end - begin > SHOW ? "  ..." : "");

        /* Check against a plain loop; a hair's breadth around the radius is left to
         * float rounding, which differs between the two ways of computing distances. */
        size_t inside = 0, near_edge = 0;
        for (idx_t b = 0; b < NB; b++) {
            float dis = l2sqr(xq + q * D, xb + b * D);
            inside += dis < RADIUS * 0.9999f;
            near_edge += dis >= RADIUS * 0.9999f && dis < RADIUS * 1.0001f;
        }
        size_t hits = end - begin;
        EXPECT(hits >= inside && hits <= inside + near_edge, "query %d: %zu hits, %zu inside",
               q, hits, inside);
        for (size_t i = begin; i < end; i++)
            EXPECT(distances[i] < RADIUS * 1.0001f &&
                       l2sqr(xq + q * D, xb + labels[i] * D) < RADIUS * 1.0001f,
                   "hit %lld of query %d is within the radius", (long long)labels[i], q);
    }
    EXPECT(lims[NQ] > 0, "the radius catches some vectors");

    faissx_RangeSearchResult_free(result);
    faissx_Index_free(index);
    free(xq);
    free(xb);
    return 0;
}
