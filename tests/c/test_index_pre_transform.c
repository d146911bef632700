/* IndexPreTransform_c.h: an index behind a chain of vector transforms, which FAISS applies to
 * what is added and searched. */
#include "check.h"

enum { D = 16, NB = 400, NQ = 12, K = 5 };

static void test_rotation(const float *xb, const float *xq) {
    /* A rotation keeps distances: search through it matches brute force on the raw data. */
    FaissRandomRotationMatrix *rot = NULL;
    CHECK_OK(faissx_RandomRotationMatrix_new_with(&rot, D, D));
    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    FaissIndexPreTransform *pt = NULL;
    CHECK_OK(faissx_IndexPreTransform_new_with_transform(&pt, rot, flat));
    CHECK(faissx_IndexPreTransform_cast(pt) == pt);
    CHECK(faissx_IndexPreTransform_cast(flat) == NULL);
    CHECK(faissx_IndexPreTransform_index(pt) == flat);
    CHECK(faissx_IndexPreTransform_own_fields(pt) == 0);
    faissx_IndexPreTransform_set_own_fields(pt, 1); /* frees rot and flat with itself */
    CHECK(faissx_IndexPreTransform_own_fields(pt) == 1);

    CHECK(faissx_Index_is_trained(pt) == 0); /* the rotation is drawn at training */
    CHECK_OK(faissx_Index_train(pt, NB, xb));
    CHECK_OK(faissx_Index_add(pt, NB, xb));
    CHECK(faissx_Index_ntotal(flat) == NB);
    /* The sub-index holds rotated vectors, not the inputs. */
    float stored[D];
    CHECK_OK(faissx_Index_reconstruct(flat, 0, stored));
    CHECK(memcmp(stored, xb, sizeof stored) != 0);
    CHECK_NEAR(ref_ip(stored, stored, D), ref_ip(xb, xb, D), 1e-4);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(pt, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);
    faissx_IndexPreTransform_free(pt);
}

static void test_prepend(const float *xb, const float *xq) {
    FaissIndexFlatIP *flat = NULL;
    CHECK_OK(faissx_IndexFlatIP_new_with(&flat, D));
    FaissIndexPreTransform *pt = NULL;
    CHECK_OK(faissx_IndexPreTransform_new_with(&pt, flat));
    faissx_IndexPreTransform_set_own_fields(pt, 1);
    FaissNormalizationTransform *norm = NULL;
    CHECK_OK(faissx_NormalizationTransform_new_with(&norm, D, 2.0f));
    CHECK_OK(faissx_IndexPreTransform_prepend_transform(pt, norm));
    CHECK_OK(faissx_Index_add(pt, NB, xb));

    /* Inner product of normalized vectors: cosine similarity. */
    float *nb = malloc(NB * D * sizeof *nb), nq[NQ * D];
    memcpy(nb, xb, NB * D * sizeof *nb);
    memcpy(nq, xq, sizeof nq);
    faissx_fvec_renorm_L2(D, NB, nb);
    faissx_fvec_renorm_L2(D, NQ, nq);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(pt, NQ, xq, K, dis, lab));
    CHECK_KNN(nq, NQ, nb, NB, D, K, 1, dis, lab);
    free(nb);

    /* A transform whose output does not fit the chain is refused. */
    FaissRemapDimensionsTransform *remap = NULL;
    CHECK_OK(faissx_RemapDimensionsTransform_new_with(&remap, D, D + 1, 0));
    CHECK_ERR(faissx_IndexPreTransform_prepend_transform(pt, remap), FAISSX_ERR_FAISS, "d_out");
    faissx_VectorTransform_free(remap);
    faissx_IndexPreTransform_free(pt);
}

static void test_errors(void) {
    FaissIndexPreTransform *pt = NULL;
    CHECK_OK(faissx_IndexPreTransform_new(&pt));
    CHECK(faissx_IndexPreTransform_cast(pt) == pt);
    CHECK(faissx_IndexPreTransform_index(pt) == NULL);
    faissx_IndexPreTransform_free(pt);

    FaissIndexFlatL2 *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    FaissRandomRotationMatrix *rot = NULL;
    CHECK_OK(faissx_RandomRotationMatrix_new_with(&rot, D, D / 2));
    pt = NULL;
    CHECK_ERR(faissx_IndexPreTransform_new_with_transform(&pt, rot, flat), FAISSX_ERR_FAISS,
              "d_out");
    CHECK(pt == NULL);
    CHECK_ERR(faissx_IndexPreTransform_new_with_transform(&pt, NULL, flat),
              FAISSX_ERR_INVALID_ARGUMENT, "ltrans");
    CHECK_ERR(faissx_IndexPreTransform_new_with_transform(&pt, rot, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexPreTransform_new_with(&pt, NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_IndexPreTransform_new_with(NULL, flat), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK_ERR(faissx_IndexPreTransform_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK_ERR(faissx_IndexPreTransform_prepend_transform(NULL, rot), FAISSX_ERR_INVALID_ARGUMENT,
              "index");
    faissx_VectorTransform_free(rot);
    faissx_Index_free(flat);

    CHECK_ZERO_ERR(faissx_IndexPreTransform_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexPreTransform_index(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexPreTransform_own_fields(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexPreTransform_set_own_fields(NULL, 1), "is NULL");
    faissx_IndexPreTransform_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 101);
    float *xq = random_vectors(NQ, D, 102);
    test_rotation(xb, xq);
    test_prepend(xb, xq);
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
