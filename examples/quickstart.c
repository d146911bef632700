/* Quick start: exact nearest-neighbour search with an IndexFlatL2. */
#include <stdint.h>
#include <stdio.h>

#include "faissx_c.h"

enum { D = 128, NB = 100, NQ = 5, K = 5 };

/* A fixed-seed generator (a 64-bit LCG) gives the same vectors on every run. */
static float next_uniform(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(*state >> 40) / (float)(1 << 24); /* [0, 1) */
}

int main(void) {
    static float xb[NB * D];
    uint64_t state = 42;
    for (int i = 0; i < NB * D; i++) xb[i] = next_uniform(&state);

    FaissIndex *index = NULL;
    float distances[NQ * K];
    idx_t labels[NQ * K];

    /* Every call returns 0 on success; on failure the last error says what went wrong. */
    int rc = faissx_IndexFlatL2_new_with(&index, D);
    if (rc == 0) rc = faissx_Index_add(index, NB, xb);
    /* The first NQ database vectors are the queries: each should find itself first. */
    if (rc == 0) rc = faissx_Index_search(index, NQ, xb, K, distances, labels);
    if (rc != 0) {
        fprintf(stderr, "faissx error %d: %s\n", rc, faissx_get_last_error());
        faissx_Index_free(index);
        return 1;
    }

    printf("%s\n%lld vectors of dimension %d; %d nearest neighbours (label: squared L2)\n\n",
           faissx_version(), (long long)faissx_Index_ntotal(index), faissx_Index_d(index), K);
    printf("query |");
    for (int j = 0; j < K; j++) printf("         rank %d", j + 1);
    printf("\n");
    for (int i = 0; i < NQ; i++) {
        printf("%5d |", i);
        for (int j = 0; j < K; j++)
            printf(" %4lld: %8.4f", (long long)labels[i * K + j], distances[i * K + j]);
        printf("\n");
    }

    faissx_Index_free(index);
    return 0;
}
