/* IndexScalarQuantizer_c.h: per-component quantization, flat and inverted-file, checked through
 * reconstruction error bounds and through codes that are exact for integer data. */
#include "check.h"

enum { D = 16, NB = 500, NQ = 10, K = 4, NLIST = 4 };

static void test_8bit(const float *xb) {
    FaissIndexScalarQuantizer *sq = NULL;
    CHECK_OK(faissx_IndexScalarQuantizer_new_with(&sq, D, QT_8bit, METRIC_L2));
    CHECK(faissx_IndexScalarQuantizer_cast(sq) == sq);
    CHECK(faissx_IndexIVFScalarQuantizer_cast(sq) == NULL);
    CHECK(faissx_Index_is_trained(sq) == 0);
    CHECK_OK(faissx_Index_train(sq, NB, xb));
    CHECK_OK(faissx_Index_add(sq, NB, xb));
    size_t code_size = 0;
    CHECK_OK(faissx_Index_sa_code_size(sq, &code_size));
    CHECK(code_size == D); /* one byte per component */

    /* Each component is off by at most one step of its trained range, [0, 1) / 255. */
    float *rec = malloc(NB * D * sizeof *rec);
    CHECK_OK(faissx_Index_reconstruct_n(sq, 0, NB, rec));
    for (int i = 0; i < NB * D; i++) CHECK(fabsf(rec[i] - xb[i]) <= 1.0f / 255 + 1e-4f);
    free(rec);

    /* Stored vectors are still found first. */
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(sq, NQ, xb, K, dis, lab));
    for (int q = 0; q < NQ; q++) CHECK(lab[q * K] == q);
    faissx_IndexScalarQuantizer_free(sq);
}

static void test_8bit_direct(const float *xi, const float *xq) {
    /* 8bit_direct stores integer components in [0, 255] as they are: exact search. */
    FaissIndexScalarQuantizer *sq = NULL;
    CHECK_OK(faissx_IndexScalarQuantizer_new_with(&sq, D, QT_8bit_direct, METRIC_L2));
    CHECK_OK(faissx_Index_train(sq, NB, xi));
    CHECK_OK(faissx_Index_add(sq, NB, xi));
    float v[D];
    CHECK_OK(faissx_Index_reconstruct(sq, 9, v));
    CHECK(memcmp(v, xi + 9 * D, sizeof v) == 0);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(sq, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xi, NB, D, K, 0, dis, lab);
    faissx_IndexScalarQuantizer_free(sq);

    /* The same codes under inner product. */
    CHECK_OK(faissx_IndexScalarQuantizer_new_with(&sq, D, QT_8bit_direct, METRIC_INNER_PRODUCT));
    CHECK(faissx_Index_metric_type(sq) == METRIC_INNER_PRODUCT);
    CHECK_OK(faissx_Index_train(sq, NB, xi));
    CHECK_OK(faissx_Index_add(sq, NB, xi));
    CHECK_OK(faissx_Index_search(sq, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xi, NB, D, K, 1, dis, lab);
    faissx_IndexScalarQuantizer_free(sq);
}

static void test_ivf(const float *xi, const float *xq, const float *xb) {
    /* Without residual encoding the direct codes stay exact: probing all lists is exact. */
    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    FaissIndexIVFScalarQuantizer *ivf = NULL;
    CHECK_OK(faissx_IndexIVFScalarQuantizer_new_with_metric(&ivf, quantizer, D, NLIST,
                                                            QT_8bit_direct, METRIC_L2, 0));
    CHECK(faissx_IndexIVFScalarQuantizer_cast(ivf) == ivf);
    CHECK(faissx_IndexIVF_cast(ivf) == ivf);
    CHECK(faissx_IndexScalarQuantizer_cast(ivf) == NULL);
    CHECK(faissx_IndexIVFScalarQuantizer_nlist(ivf) == NLIST);
    CHECK(faissx_IndexIVFScalarQuantizer_quantizer(ivf) == quantizer);
    CHECK(faissx_IndexIVFScalarQuantizer_own_fields(ivf) == 0);
    faissx_IndexIVFScalarQuantizer_set_own_fields(ivf, 1);
    CHECK(faissx_IndexIVFScalarQuantizer_own_fields(ivf) == 1);
    CHECK_OK(faissx_Index_train(ivf, NB, xi));
    CHECK_OK(faissx_Index_add(ivf, NB, xi));
    CHECK(faissx_IndexIVFScalarQuantizer_nprobe(ivf) == 1);
    faissx_IndexIVFScalarQuantizer_set_nprobe(ivf, NLIST);
    CHECK(faissx_IndexIVFScalarQuantizer_nprobe(ivf) == NLIST);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(ivf, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xi, NB, D, K, 0, dis, lab);

    /* add_core puts vectors in the lists the caller chose. */
    idx_t lists[30], ids[30];
    for (int i = 0; i < 30; i++) {
        lists[i] = 1;
        ids[i] = 900 + i;
    }
    size_t before = faissx_IndexIVF_get_list_size(ivf, 1);
    CHECK_OK(faissx_IndexIVFScalarQuantizer_add_core(ivf, 30, xi, ids, lists));
    CHECK(faissx_IndexIVF_get_list_size(ivf, 1) == before + 30);
    CHECK(faissx_Index_ntotal(ivf) == NB + 30);
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_add_core(ivf, 30, xi, ids, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "precomputed_idx");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_add_core(NULL, 30, xi, ids, lists),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    faissx_IndexIVFScalarQuantizer_free(ivf);

    /* The short constructor encodes residuals (FAISS's default); fp16 is near-lossless. */
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    CHECK_OK(faissx_IndexIVFScalarQuantizer_new_with(&ivf, quantizer, D, NLIST, QT_fp16));
    faissx_IndexIVFScalarQuantizer_set_own_fields(ivf, 1);
    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    CHECK_OK(faissx_Index_add(ivf, NB, xb));
    CHECK_OK(faissx_IndexIVF_make_direct_map(ivf, 1));
    for (idx_t key = 0; key < NB; key += 50) {
        float v[D];
        CHECK_OK(faissx_Index_reconstruct(ivf, key, v));
        for (int j = 0; j < D; j++) CHECK(fabsf(v[j] - xb[key * D + j]) < 1e-3f);
    }
    faissx_IndexIVFScalarQuantizer_free(ivf);
}

static void test_errors(void) {
    FaissIndexScalarQuantizer *sq = NULL;
    CHECK_OK(faissx_IndexScalarQuantizer_new(&sq));
    CHECK(faissx_IndexScalarQuantizer_cast(sq) == sq);
    faissx_IndexScalarQuantizer_free(sq);
    FaissIndexIVFScalarQuantizer *ivf = NULL;
    CHECK_OK(faissx_IndexIVFScalarQuantizer_new(&ivf));
    CHECK(faissx_IndexIVFScalarQuantizer_cast(ivf) == ivf);
    faissx_IndexIVFScalarQuantizer_free(ivf);

    sq = NULL;
    CHECK_ERR(faissx_IndexScalarQuantizer_new_with(&sq, D, 42, METRIC_L2),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer type");
    CHECK_ERR(faissx_IndexScalarQuantizer_new_with(&sq, D, QT_8bit, 42),
              FAISSX_ERR_INVALID_ARGUMENT, "metric");
    CHECK(sq == NULL);
    CHECK_ERR(faissx_IndexScalarQuantizer_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexScalarQuantizer_new_with(NULL, D, QT_8bit, METRIC_L2),
              FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");

    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new_with(&ivf, NULL, D, NLIST, QT_8bit),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new_with(&ivf, quantizer, D, NLIST, 99),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer type");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new_with(&ivf, quantizer, D * 2, NLIST, QT_8bit),
              FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new_with_metric(&ivf, quantizer, D - 1, NLIST,
                                                             QT_8bit, METRIC_L2, 1),
              FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(faissx_IndexIVFScalarQuantizer_new_with_metric(&ivf, quantizer, D, NLIST, QT_8bit,
                                                             77, 1),
              FAISSX_ERR_INVALID_ARGUMENT, "metric");
    faissx_Index_free(quantizer);

    CHECK_ZERO_ERR(faissx_IndexScalarQuantizer_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFScalarQuantizer_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFScalarQuantizer_nlist(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFScalarQuantizer_nprobe(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFScalarQuantizer_quantizer(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFScalarQuantizer_own_fields(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVFScalarQuantizer_set_nprobe(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_IndexIVFScalarQuantizer_set_own_fields(NULL, 1), "is NULL");
    faissx_IndexScalarQuantizer_free(NULL);
    faissx_IndexIVFScalarQuantizer_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 71);
    /* Integer data in [0, 255] for the direct codes. */
    float *xi = random_vectors(NB, D, 72);
    float *xq = random_vectors(NQ, D, 73);
    for (int i = 0; i < NB * D; i++) xi[i] = floorf(xi[i] * 256);
    for (int i = 0; i < NQ * D; i++) xq[i] = floorf(xq[i] * 256);
    test_8bit(xb);
    test_8bit_direct(xi, xq);
    test_ivf(xi, xq, xb);
    test_errors();
    free(xb);
    free(xi);
    free(xq);
    return 0;
}
