/* Saving and loading an index: to a file, and to a memory buffer (FAISS's file format both). */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <string.h>
#include <unistd.h>

#include "common.h"

enum { D = 64, NB = 10000, NQ = 20, K = 5, NLIST = 64, NPROBE = 8 };

typedef struct {
    float distances[NQ * K];
    idx_t labels[NQ * K];
} Results;

static void search(const FaissIndex *index, const float *xq, Results *out) {
    CHECK(faissx_Index_search(index, NQ, xq, K, out->distances, out->labels));
}

/* A reloaded index must answer exactly as the original: same labels, bit-identical distances,
 * same search settings. */
static void expect_same(const char *how, const FaissIndex *copy, const float *xq,
                        const Results *original) {
    Results results;
    search(copy, xq, &results);
    printf("%-6s %lld vectors, nprobe %zu, first hit of query 0: %lld (%.4f)\n", how,
           (long long)faissx_Index_ntotal(copy), faissx_IndexIVF_nprobe(copy),
           (long long)results.labels[0], results.distances[0]);
    EXPECT(faissx_Index_ntotal(copy) == NB && faissx_IndexIVF_nprobe(copy) == NPROBE,
           "%s: the index comes back whole", how);
    EXPECT(memcmp(&results, original, sizeof results) == 0, "%s: identical results", how);
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);

    /* A trained IVF index: the file holds its centroids, lists and nprobe too. */
    FaissIndex *quantizer = NULL, *index = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&quantizer, D));
    CHECK(faissx_IndexIVFFlat_new_with(&index, quantizer, D, NLIST));
    faissx_IndexIVF_set_own_fields(index, 1);
    CHECK(faissx_Index_train(index, NB, xb));
    CHECK(faissx_Index_add(index, NB, xb));
    faissx_IndexIVF_set_nprobe(index, NPROBE);
    Results original;
    search(index, xq, &original);
    printf("built  %lld vectors, nprobe %zu, first hit of query 0: %lld (%.4f)\n",
           (long long)faissx_Index_ntotal(index), faissx_IndexIVF_nprobe(index),
           (long long)original.labels[0], original.distances[0]);

    char path[] = "/tmp/faissx-example-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0, "a temporary file");
    close(fd);
    FaissIndex *from_file = NULL;
    int rc = faissx_write_index_fname(index, path);
    if (rc == 0) rc = faissx_read_index_fname(path, 0, &from_file);
    remove(path);
    CHECK(rc); /* the last error names the call that failed */
    expect_same("file", from_file, xq, &original);

    /* The same bytes in memory: to keep in a database, or to send over a network. */
    size_t size = 0;
    uint8_t *buf = NULL;
    FaissIndex *from_buf = NULL;
    CHECK(faissx_write_index_buf(index, &size, &buf));
    CHECK(faissx_read_index_buf(buf, size, 0, &from_buf));
    faissx_free_buf(&buf); /* read_index_buf copied what it needed */
    printf("buffer of %zu bytes\n", size);
    expect_same("buffer", from_buf, xq, &original);

    faissx_Index_free(from_buf);
    faissx_Index_free(from_file);
    faissx_Index_free(index);
    free(xq);
    free(xb);
    return 0;
}
