/* IndexLSH_c.h: binary codes from signs (optionally after a rotation and trained thresholds),
 * searched by Hamming distance. */
#include "check.h"

enum { D = 16, NB = 200, NQ = 10, K = 5 };

/* Without rotation or thresholds, bit j of a code is (x_j > 0), bits packed LSB first. */
static void sign_code(const float *x, uint8_t *code) {
    memset(code, 0, D / 8);
    for (int j = 0; j < D; j++)
        if (x[j] > 0) code[j / 8] |= (uint8_t)(1u << (j % 8));
}

static void test_plain_signs(const float *xb, const float *xq) {
    FaissIndexLSH *lsh = NULL;
    CHECK_OK(faissx_IndexLSH_new_with_options(&lsh, D, D, 0, 0));
    CHECK(faissx_IndexLSH_nbits(lsh) == D);
    CHECK(faissx_IndexLSH_code_size(lsh) == D / 8);
    CHECK(faissx_IndexLSH_rotate_data(lsh) == 0);
    CHECK(faissx_IndexLSH_train_thresholds(lsh) == 0);
    CHECK(faissx_Index_is_trained(lsh) == 1);
    CHECK(faissx_IndexLSH_cast(lsh) == lsh);
    CHECK_OK(faissx_Index_add(lsh, NB, xb));

    uint8_t codes[NB][D / 8], got[D / 8];
    for (int i = 0; i < NB; i++) sign_code(xb + i * D, codes[i]);
    CHECK_OK(faissx_Index_sa_encode(lsh, 1, xb + 5 * D, got));
    CHECK(memcmp(got, codes[5], sizeof got) == 0);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(lsh, NQ, xq, K, dis, lab));
    for (int q = 0; q < NQ; q++) {
        uint8_t qc[D / 8];
        sign_code(xq + q * D, qc);
        int best = D + 1;
        for (int b = 0; b < NB; b++) {
            int h = ref_hamming(qc, codes[b], D / 8);
            if (h < best) best = h;
        }
        CHECK((int)dis[q * K] == best);
        for (int i = 0; i < K; i++) {
            CHECK((int)dis[q * K + i] == ref_hamming(qc, codes[lab[q * K + i]], D / 8));
            if (i) CHECK(dis[q * K + i] >= dis[q * K + i - 1]);
        }
    }
    faissx_IndexLSH_free(lsh);
}

static void test_rotated_trained(const float *xb) {
    FaissIndexLSH *lsh = NULL;
    CHECK_OK(faissx_IndexLSH_new_with_options(&lsh, D, 32, 1, 1));
    CHECK(faissx_IndexLSH_rotate_data(lsh) == 1);
    CHECK(faissx_IndexLSH_train_thresholds(lsh) == 1);
    CHECK(faissx_IndexLSH_code_size(lsh) == 4);
    CHECK(faissx_Index_is_trained(lsh) == 0);
    CHECK_OK(faissx_Index_train(lsh, NB, xb));
    CHECK(faissx_Index_is_trained(lsh) == 1);
    CHECK_OK(faissx_Index_add(lsh, NB, xb));
    /* A stored vector has a code at Hamming distance 0: its own. */
    float dis[K];
    idx_t lab[K];
    for (int i = 0; i < NB; i += 37) {
        CHECK_OK(faissx_Index_search(lsh, 1, xb + i * D, K, dis, lab));
        CHECK(dis[0] == 0.0f);
    }
    faissx_IndexLSH_free(lsh);

    /* The short constructor rotates and does not train thresholds (FAISS's defaults). */
    CHECK_OK(faissx_IndexLSH_new(&lsh, D, 8));
    CHECK(faissx_IndexLSH_nbits(lsh) == 8);
    CHECK(faissx_IndexLSH_code_size(lsh) == 1);
    CHECK(faissx_IndexLSH_rotate_data(lsh) == 1);
    CHECK(faissx_IndexLSH_train_thresholds(lsh) == 0);
    faissx_IndexLSH_free(lsh);
}

static void test_errors(void) {
    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK(faissx_IndexLSH_cast(flat) == NULL);
    faissx_Index_free(flat);
    CHECK_ERR(faissx_IndexLSH_new(NULL, D, 8), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexLSH_new_with_options(NULL, D, 8, 0, 0), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK_ZERO_ERR(faissx_IndexLSH_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexLSH_nbits(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexLSH_code_size(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexLSH_rotate_data(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexLSH_train_thresholds(NULL), "is NULL");
    faissx_IndexLSH_free(NULL);
}

int main(void) {
    /* Centred on 0 so that signs vary. */
    float *xb = random_vectors(NB, D, 61);
    float *xq = random_vectors(NQ, D, 62);
    for (int i = 0; i < NB * D; i++) xb[i] -= 0.5f;
    for (int i = 0; i < NQ * D; i++) xq[i] -= 0.5f;
    test_plain_signs(xb, xq);
    test_rotated_trained(xb);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
