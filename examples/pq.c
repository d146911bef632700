/* IndexPQ and IndexIVFPQ: product quantization stores each vector in M bytes. */
#include "common.h"

enum { D = 64, NB = 20000, NQ = 100, K = 10, M = 16, NBITS = 8, NLIST = 64, NPROBE = 16 };
/* Training needs a sample, not the whole set: FAISS asks for 39 points per centroid. */
enum { NTRAIN = 10000 };

/* The serialized size is what the index holds in memory, plus a few header bytes. */
static size_t index_bytes(const FaissIndex *index) {
    size_t size = 0;
    uint8_t *buf = NULL;
    CHECK(faissx_write_index_buf(index, &size, &buf));
    faissx_free_buf(&buf);
    return size;
}

/* Prints recall and memory; checks the memory against what the parameters predict. */
static void report(const char *name, const FaissIndex *index, const float *xq,
                   const idx_t *truth, size_t expected_bytes) {
    float distances[NQ * K];
    idx_t labels[NQ * K];
    CHECK(faissx_Index_search(index, NQ, xq, K, distances, labels));
    double recall = recall_at_k(NQ, K, labels, truth);
    size_t bytes = index_bytes(index);
    printf("%-8s recall@%d %.3f   %zu bytes, %.1f per vector (flat: %zu per vector)\n", name, K,
           recall, bytes, (double)bytes / NB, D * sizeof(float));
    EXPECT(bytes >= expected_bytes && bytes < expected_bytes + 4096,
           "%s: %zu bytes, predicted %zu plus a header", name, bytes, expected_bytes);
    /* Chance would be K / NB = 0.0005; M-byte codes find about half of the true neighbours,
     * more with a larger M. */
    EXPECT(recall > 0.35, "%s recall@%d %.3f", name, K, recall);
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *xq = random_vectors(NQ, D, 2);
    idx_t *truth = ground_truth(D, NB, xb, NQ, xq, K);
    /* 2^NBITS centroids of D/M floats for each of the M sub-vectors */
    size_t codebook = ((size_t)1 << NBITS) * D * sizeof(float);

    /* Each vector is cut into M sub-vectors of D/M components, each replaced by the number of
     * its nearest of 2^NBITS centroids trained for that slice: M bytes instead of 4*D. */
    FaissIndexPQ *pq = NULL;
    CHECK(faissx_IndexPQ_new_with(&pq, D, M, NBITS, METRIC_L2));
    CHECK(faissx_Index_train(pq, NTRAIN, xb));
    CHECK(faissx_Index_add(pq, NB, xb));
    size_t code_size = 0;
    CHECK(faissx_Index_sa_code_size(pq, &code_size));
    printf("PQ%zux%zu on %d vectors of dimension %d: %zu-byte codes\n", faissx_IndexPQ_M(pq),
           faissx_IndexPQ_nbits(pq), NB, D, code_size);
    EXPECT(code_size == M * NBITS / 8, "a code is M * nbits bits");
    report("IndexPQ", pq, xq, truth, NB * code_size + codebook);

    /* IVFPQ encodes each vector's residual from its cell's centroid (a finer code for the same
     * bytes), scans only NPROBE of NLIST cells, and keeps a 64-bit id per vector. */
    FaissIndex *quantizer = NULL;
    FaissIndexIVFPQ *ivfpq = NULL;
    CHECK(faissx_IndexFlatL2_new_with(&quantizer, D));
    CHECK(faissx_IndexIVFPQ_new_with(&ivfpq, quantizer, D, NLIST, M, NBITS));
    faissx_IndexIVF_set_own_fields(ivfpq, 1); /* freeing the index frees the quantizer */
    CHECK(faissx_Index_train(ivfpq, NTRAIN, xb));
    CHECK(faissx_Index_add(ivfpq, NB, xb));
    faissx_IndexIVF_set_nprobe(ivfpq, NPROBE);
    EXPECT(faissx_IndexIVFPQ_M(ivfpq) == M && faissx_IndexIVFPQ_nbits(ivfpq) == NBITS,
           "IVFPQ parameters read back");
    report("IVFPQ", ivfpq, xq, truth,
           NB * (M * NBITS / 8 + sizeof(idx_t)) + codebook + NLIST * D * sizeof(float));

    faissx_Index_free(ivfpq);
    faissx_Index_free(pq);
    free(truth);
    free(xq);
    free(xb);
    return 0;
}
