/* The cost of a portable build: the same program timed against two builds of libfaissx, chosen
 * at run time by LD_LIBRARY_PATH (both have the SONAME libfaissx.so.0). FAISS's SIMD code shows
 * in the rows that scan vectors one query at a time; batch flat search goes through BLAS, which
 * is the same library in both. Prints one Markdown row per workload: median of 5 runs.
 *
 *   cc -O2 bench/cpu_levels.c $(pkg-config --cflags --libs faissx) -o cpu_levels
 *   LD_LIBRARY_PATH=BUILD_A ./cpu_levels; LD_LIBRARY_PATH=BUILD_B ./cpu_levels
 *
 * (BENCHMARKS.md, "CPU portability", has the exact commands.) */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "faissx_c.h"

enum { D = 128, NB = 100000, NQ = 1000, K = 10, RUNS = 5 };

static float next_uniform(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(*state >> 40) / (float)(1 << 24);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", what, faissx_get_last_error());
        exit(1);
    }
}

/* Median over RUNS of the time to search `nq` queries `per_call` at a time, in µs per query. */
static double time_search(FaissIndex *index, const float *xq, int nq, int per_call) {
    static float distances[NQ * K];
    static idx_t labels[NQ * K];
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double start = now();
        for (int i = 0; i < nq; i += per_call)
            check(faissx_Index_search(index, per_call, xq + (size_t)i * D, K, distances, labels),
                  "search");
        runs[r] = (now() - start) / nq * 1e6;
    }
    qsort(runs, RUNS, sizeof runs[0], cmp_double);
    return runs[RUNS / 2];
}

static FaissIndex *build(const char *description, const float *xb, int nb) {
    FaissIndex *index = NULL;
    check(faissx_index_factory(&index, D, description, METRIC_L2), description);
    check(faissx_Index_train(index, nb, xb), "train");
    check(faissx_Index_add(index, nb, xb), "add");
    return index;
}

int main(void) {
    float *xb = malloc(sizeof(float) * (size_t)NB * D);
    float *xq = malloc(sizeof(float) * (size_t)NQ * D);
    uint64_t state = 7;
    for (size_t i = 0; i < (size_t)NB * D; i++) xb[i] = next_uniform(&state);
    for (size_t i = 0; i < (size_t)NQ * D; i++) xq[i] = next_uniform(&state);

    printf("%s\n\n| workload | µs per query |\n|---|---:|\n", faissx_version());
    FaissIndex *small = build("Flat", xb, 10000);
    printf("| Flat 10k, 1 query per call (FAISS's L2 kernel, in cache) | %.1f |\n",
           time_search(small, xq, NQ, 1));
    faissx_Index_free(small);

    FaissIndex *flat = build("Flat", xb, NB);
    printf("| Flat 100k, 1 query per call (memory-bound) | %.1f |\n",
           time_search(flat, xq, 100, 1));
    printf("| Flat 100k, 1000 queries per call (BLAS) | %.1f |\n",
           time_search(flat, xq, NQ, NQ));
    faissx_Index_free(flat);

    FaissIndex *sq = build("SQ8", xb, NB);
    printf("| SQ8 100k, 1 query per call | %.1f |\n", time_search(sq, xq, 50, 1));
    faissx_Index_free(sq);

    FaissIndex *ivf = build("IVF256,Flat", xb, NB);
    printf("| IVF256,Flat 100k (nprobe 1), 1 query per call | %.1f |\n",
           time_search(ivf, xq, NQ, 1));
    faissx_Index_free(ivf);

    FaissIndex *hnsw = build("HNSW32", xb, 20000);
    printf("| HNSW32 20k (efSearch 16), 1 query per call | %.1f |\n",
           time_search(hnsw, xq, NQ, 1));
    faissx_Index_free(hnsw);

    free(xb);
    free(xq);
    return 0;
}
