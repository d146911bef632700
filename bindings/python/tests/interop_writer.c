/* The C side of test_interop.py: a service written in C that creates a named index on the
 * faissx-server (configured by FAISSX_SERVER / FAISSX_API_KEY / FAISSX_TENANT_ID) and adds
 * vectors with its own ids, for a Python service to open by name and search.
 *
 *     interop_writer D N VECTORS_FILE
 *
 * Writes the N x D float32 vectors it added to VECTORS_FILE, prints the index's server name
 * on stdout, then holds the index until stdin closes: the creator's handle owns the index,
 * and freeing it deletes the index on the server.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "faissx_c.h"

static int fail(const char *what) {
    fprintf(stderr, "interop_writer: %s failed: %s\n", what, faissx_get_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: interop_writer D N VECTORS_FILE\n");
        return 2;
    }
    int d = atoi(argv[1]);
    long n = atol(argv[2]);
    float *xb = malloc(sizeof(float) * (size_t)n * (size_t)d);
    idx_t *ids = malloc(sizeof(idx_t) * (size_t)n);
    if (!xb || !ids) return 2;
    /* A fixed-seed LCG: the Python side reads the vectors from the file, not from a copy of
     * this generator. */
    uint64_t state = 12345;
    for (long i = 0; i < n * d; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        xb[i] = (float)(state >> 40) / (float)(1 << 24);
    }
    for (long i = 0; i < n; i++) ids[i] = 1000000 + 3 * i;

    FaissIndex *index = NULL;
    if (faissx_index_factory(&index, d, "IDMap,Flat", METRIC_L2) != 0) return fail("index_factory");
    if (faissx_is_remote(index) != 1) {
        fprintf(stderr, "interop_writer: the index is not remote (is FAISSX_SERVER set?)\n");
        return 1;
    }
    if (faissx_Index_add_with_ids(index, n, xb, ids) != 0) return fail("add_with_ids");

    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(xb, sizeof(float), (size_t)n * (size_t)d, f) != (size_t)n * (size_t)d) {
        fprintf(stderr, "interop_writer: cannot write %s\n", argv[3]);
        return 1;
    }
    fclose(f);

    printf("%s\n", faissx_remote_name(index));
    fflush(stdout);
    while (getchar() != EOF) {
    }
    faissx_Index_free(index);
    free(xb);
    free(ids);
    return 0;
}
