/* clone_index_c.h: deep copies that search like the original and change independently. */
#include "check.h"

enum { D = 12, NB = 300, NQ = 8, K = 4, BD = 64, BCS = BD / 8 };

static void check_same(FaissIndex *a, FaissIndex *b, const float *xq) {
    float d1[NQ * K], d2[NQ * K];
    idx_t l1[NQ * K], l2[NQ * K];
    CHECK_OK(faissx_Index_search(a, NQ, xq, K, d1, l1));
    CHECK_OK(faissx_Index_search(b, NQ, xq, K, d2, l2));
    CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(d1, d2, sizeof d1) == 0);
}

static void test_float(const float *xb, const float *xq) {
    FaissIndex *flat = NULL, *copy = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK_OK(faissx_Index_add(flat, NB, xb));
    CHECK_OK(faissx_clone_index(flat, &copy));
    CHECK(copy != NULL && copy != flat);
    CHECK(faissx_IndexFlatL2_cast(copy) == copy);
    check_same(flat, copy, xq);
    /* Deep: the copy's vectors are its own. */
    float *xb1 = NULL, *xb2 = NULL;
    faissx_IndexFlat_xb(flat, &xb1, NULL);
    faissx_IndexFlat_xb(copy, &xb2, NULL);
    CHECK(xb1 != xb2);
    CHECK_OK(faissx_Index_reset(copy));
    CHECK(faissx_Index_ntotal(flat) == NB);
    faissx_Index_free(copy);
    faissx_Index_free(flat);

    /* A trained IVF: the copy has its own quantizer and the same lists. */
    FaissIndex *ivf = NULL;
    CHECK_OK(faissx_index_factory(&ivf, D, "IVF4,Flat", METRIC_L2));
    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    CHECK_OK(faissx_Index_add(ivf, NB, xb));
    faissx_IndexIVF_set_nprobe(ivf, 2);
    CHECK_OK(faissx_clone_index(ivf, &copy));
    CHECK(faissx_IndexIVF_cast(copy) == copy);
    CHECK(faissx_IndexIVF_nprobe(copy) == 2);
    CHECK(faissx_IndexIVF_quantizer(copy) != faissx_IndexIVF_quantizer(ivf));
    for (size_t l = 0; l < 4; l++)
        CHECK(faissx_IndexIVF_get_list_size(copy, l) == faissx_IndexIVF_get_list_size(ivf, l));
    check_same(ivf, copy, xq);
    CHECK_OK(faissx_Index_add(copy, 10, xb));
    CHECK(faissx_Index_ntotal(ivf) == NB && faissx_Index_ntotal(copy) == NB + 10);
    faissx_Index_free(copy);
    faissx_Index_free(ivf);
}

static void test_binary(void) {
    uint8_t *xb = random_bytes(NB * BCS, 181);
    FaissIndexBinary *index = NULL, *copy = NULL;
    CHECK_OK(faissx_index_binary_factory(&index, BD, "BFlat"));
    CHECK_OK(faissx_IndexBinary_add(index, NB, xb));
    CHECK_OK(faissx_clone_index_binary(index, &copy));
    CHECK(copy != index && faissx_IndexBinary_ntotal(copy) == NB);
    uint8_t codes[NB * BCS];
    CHECK_OK(faissx_IndexBinary_reconstruct_n(copy, 0, NB, codes));
    CHECK(memcmp(codes, xb, sizeof codes) == 0);
    CHECK_OK(faissx_IndexBinary_reset(copy));
    CHECK(faissx_IndexBinary_ntotal(index) == NB);
    faissx_IndexBinary_free(copy);
    faissx_IndexBinary_free(index);
    free(xb);
}

static void test_errors(void) {
    FaissIndex *flat = NULL, *copy = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK_ERR(faissx_clone_index(NULL, &copy), FAISSX_ERR_INVALID_ARGUMENT, "idx");
    CHECK_ERR(faissx_clone_index(flat, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_out");
    FaissIndexBinary *bcopy = NULL;
    CHECK_ERR(faissx_clone_index_binary(NULL, &bcopy), FAISSX_ERR_INVALID_ARGUMENT, "idx");
    CHECK(copy == NULL && bcopy == NULL);
    faissx_Index_free(flat);
}

int main(void) {
    float *xb = random_vectors(NB, D, 182);
    float *xq = random_vectors(NQ, D, 183);
    test_float(xb, xq);
    test_binary();
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
