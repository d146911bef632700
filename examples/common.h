/* Helpers shared by the examples (not part of faissx): error checks, fixed-seed data, recall. */
#ifndef FAISSX_EXAMPLES_COMMON_H
#define FAISSX_EXAMPLES_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "faissx_c.h"

/* A faissx call returns 0 or a negative code; the thread's last error then names the call
 * and the argument at fault. Examples stop at the first failure. */
#define CHECK(call)                                                                  \
    do {                                                                             \
        int rc_ = (call);                                                            \
        if (rc_ != 0) {                                                              \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, \
                    rc_, faissx_get_last_error());                                   \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* Each example verifies what it prints: a broken claim fails the run. */
#define EXPECT(cond, ...)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: expected %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static inline void *xmalloc(size_t bytes) {
    void *p = malloc(bytes);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

/* n vectors of dimension d, the same for the same seed on every platform (a 64-bit LCG; its
 * top 24 bits make an exact float in [0, 1)). Component j is scaled by 4 / (4 + j): like real
 * embeddings, most of the variance lies in a few directions, the structure that IVF, HNSW
 * and PQ exploit (uniform noise in 64 dimensions has none). */
static inline float *random_vectors(size_t n, size_t d, uint64_t seed) {
    float *x = xmalloc(n * d * sizeof(float));
    for (size_t i = 0; i < n * d; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)(seed >> 40) / (float)(1 << 24) * 4.0f / (float)(4 + i % d);
    }
    return x;
}

/* The exact k nearest neighbours (squared L2) of nq queries, by brute force in an IndexFlatL2:
 * the reference that approximate indexes are measured against. */
static inline idx_t *ground_truth(int d, idx_t nb, const float *xb, idx_t nq, const float *xq,
                                  idx_t k) {
    FaissIndex *flat = NULL;
    idx_t *labels = xmalloc((size_t)(nq * k) * sizeof(idx_t));
    float *distances = xmalloc((size_t)(nq * k) * sizeof(float));
    CHECK(faissx_IndexFlatL2_new_with(&flat, d));
    CHECK(faissx_Index_add(flat, nb, xb));
    CHECK(faissx_Index_search(flat, nq, xq, k, distances, labels));
    faissx_Index_free(flat);
    free(distances);
    return labels;
}

/* recall@k: the fraction of the true k nearest neighbours found among the k returned. */
static inline double recall_at_k(idx_t nq, idx_t k, const idx_t *found, const idx_t *truth) {
    idx_t hits = 0;
    for (idx_t q = 0; q < nq; q++)
        for (idx_t i = 0; i < k; i++)
            for (idx_t j = 0; j < k; j++)
                if (found[q * k + i] == truth[q * k + j]) {
                    hits++;
                    break;
                }
    return (double)hits / (double)(nq * k);
}

#endif /* FAISSX_EXAMPLES_COMMON_H */
