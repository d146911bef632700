/* VectorTransform_c.h: each transform checked by the property that defines it (rotations keep
 * norms and invert, PCA centres and orders variance, normalization gives unit norms, ...), and
 * the failures FAISS raises inside void functions reported as errors instead of aborting. */
#include "check.h"

enum { D = 16, N = 1000 };

static float norm2(const float *x, int d) { return ref_ip(x, x, d); }

/* apply (malloc'd, released with free) and apply_noalloc agree. */
static float *apply_both(FaissVectorTransform *vt, int n, const float *x) {
    int d_out = faissx_VectorTransform_d_out(vt);
    float *a = faissx_VectorTransform_apply(vt, n, x);
    CHECK(a != NULL);
    float *b = malloc((size_t)n * d_out * sizeof *b);
    faissx_VectorTransform_apply_noalloc(vt, n, x, b);
    CHECK(memcmp(a, b, (size_t)n * d_out * sizeof *b) == 0);
    free(b);
    return a;
}

static void check_round_trip(FaissVectorTransform *vt, int n, const float *x, double tol) {
    int d_in = faissx_VectorTransform_d_in(vt);
    float *y = apply_both(vt, n, x);
    float *back = malloc((size_t)n * d_in * sizeof *back);
    faissx_VectorTransform_reverse_transform(vt, n, y, back);
    for (int i = 0; i < n * d_in; i++) CHECK_NEAR(back[i], x[i], tol);
    free(back);
    free(y);
}

static void test_random_rotation(const float *x) {
    FaissRandomRotationMatrix *rr = NULL;
    CHECK_OK(faissx_RandomRotationMatrix_new_with(&rr, D, D));
    CHECK(faissx_VectorTransform_d_in(rr) == D && faissx_VectorTransform_d_out(rr) == D);
    CHECK(faissx_VectorTransform_is_trained(rr) == 0);
    /* Untrained, the matrix is empty: errors, not a crash or an abort. */
    CHECK(faissx_VectorTransform_apply(rr, 1, x) == NULL);
    check_msg(__FILE__, __LINE__, "faissx_VectorTransform_apply", "not trained");
    float y[D];
    CHECK_VOID_ERR(faissx_VectorTransform_apply_noalloc(rr, 1, x, y), "not trained");
    CHECK_VOID_ERR(faissx_LinearTransform_transform_transpose(rr, 1, x, y), "not trained");
    CHECK_VOID_ERR(faissx_LinearTransform_set_is_orthonormal(rr), "not trained");

    CHECK_OK(faissx_VectorTransform_train(rr, N, x));
    CHECK(faissx_VectorTransform_is_trained(rr) == 1);
    CHECK(faissx_LinearTransform_have_bias(rr) == 0);
    faissx_LinearTransform_set_is_orthonormal(rr);
    CHECK(faissx_LinearTransform_is_orthonormal(rr) == 1);

    /* A rotation keeps norms, and its transpose undoes it. */
    float *r = apply_both(rr, 50, x);
    for (int i = 0; i < 50; i++) CHECK_NEAR(norm2(r + i * D, D), norm2(x + i * D, D), 1e-4);
    float *back = malloc(50 * D * sizeof *back);
    faissx_LinearTransform_transform_transpose(rr, 50, r, back);
    for (int i = 0; i < 50 * D; i++) CHECK_NEAR(back[i], x[i], 1e-4);
    free(back);
    free(r);
    check_round_trip(rr, 50, x, 1e-4);
    faissx_RandomRotationMatrix_free(rr);
}

static void test_pca(const float *x) {
    FaissPCAMatrix *pca = NULL;
    CHECK_OK(faissx_PCAMatrix_new_with(&pca, D, 4, 0.0f, 0));
    CHECK(faissx_PCAMatrix_eigen_power(pca) == 0.0f);
    CHECK(faissx_PCAMatrix_random_rotation(pca) == 0);
    CHECK_OK(faissx_VectorTransform_train(pca, N, x));
    CHECK(faissx_LinearTransform_have_bias(pca) == 1); /* it subtracts the mean */
    float *y = apply_both(pca, N, x);
    /* Outputs are centred, with variances in decreasing order. */
    double mean[4] = {0}, var[4] = {0};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++) mean[j] += y[i * 4 + j] / N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++) var[j] += (y[i * 4 + j] - mean[j]) * (y[i * 4 + j] - mean[j]);
    for (int j = 0; j < 4; j++) CHECK(fabs(mean[j]) < 1e-4);
    for (int j = 1; j < 4; j++) CHECK(var[j] <= var[j - 1]);
    /* With orthonormal rows, reversing projects back into the input space: transforming that
     * projection again gives the same outputs. */
    float back[5 * D], again[5 * 4];
    faissx_VectorTransform_reverse_transform(pca, 5, y, back);
    faissx_VectorTransform_apply_noalloc(pca, 5, back, again);
    for (int i = 0; i < 5 * 4; i++) CHECK_NEAR(again[i], y[i], 1e-3);
    free(y);
    faissx_PCAMatrix_free(pca);

    /* Whitening (eigen power -1/2) gives every output the same variance (FAISS scales by the
     * eigenvalues of the unnormalized scatter matrix, so that variance is 1/N, not 1). */
    CHECK_OK(faissx_PCAMatrix_new_with(&pca, D, 4, -0.5f, 1));
    CHECK(faissx_PCAMatrix_eigen_power(pca) == -0.5f);
    CHECK(faissx_PCAMatrix_random_rotation(pca) == 1);
    CHECK_OK(faissx_VectorTransform_train(pca, N, x));
    y = apply_both(pca, N, x);
    for (int j = 0; j < 4; j++) {
        double s = 0;
        for (int i = 0; i < N; i++) s += (double)y[i * 4 + j] * y[i * 4 + j];
        CHECK_NEAR(s / N, 1.0 / N, 0.05 / N);
    }
    /* Whitened rows are not orthonormal: FAISS cannot reverse, and says so instead of
     * aborting the process. */
    float out[D];
    CHECK_VOID_ERR(faissx_VectorTransform_reverse_transform(pca, 1, y, out), "orthonormal");
    free(y);
    faissx_PCAMatrix_free(pca);

    /* Full-rank PCA is a rotation after centring: invertible. */
    CHECK_OK(faissx_PCAMatrix_new_with(&pca, D, D, 0.0f, 0));
    CHECK_OK(faissx_VectorTransform_train(pca, N, x));
    check_round_trip(pca, 20, x, 1e-3);
    faissx_PCAMatrix_free(pca);
}

static void test_itq_opq(const float *x) {
    FaissITQMatrix *itq = NULL;
    CHECK_OK(faissx_ITQMatrix_new_with(&itq, D));
    CHECK_OK(faissx_VectorTransform_train(itq, N, x));
    CHECK(faissx_VectorTransform_is_trained(itq) == 1);
    float *y = apply_both(itq, 20, x);
    for (int i = 0; i < 20; i++) CHECK_NEAR(norm2(y + i * D, D), norm2(x + i * D, D), 1e-3);
    free(y);
    faissx_ITQMatrix_free(itq);

    FaissITQTransform *itqt = NULL;
    CHECK_OK(faissx_ITQTransform_new_with(&itqt, D, 8, 1));
    CHECK(faissx_ITQTransform_do_pca(itqt) == 1);
    CHECK(faissx_VectorTransform_d_out(itqt) == 8);
    CHECK_OK(faissx_VectorTransform_train(itqt, N, x));
    y = apply_both(itqt, 20, x);
    for (int i = 0; i < 20 * 8; i++) CHECK(isfinite(y[i]));
    free(y);
    faissx_ITQTransform_free(itqt);
    CHECK_OK(faissx_ITQTransform_new_with(&itqt, D, D, 0));
    CHECK(faissx_ITQTransform_do_pca(itqt) == 0);
    faissx_ITQTransform_free(itqt);

    FaissOPQMatrix *opq = NULL;
    CHECK_OK(faissx_OPQMatrix_new_with(&opq, D, 4, D));
    CHECK(faissx_OPQMatrix_verbose(opq) == 0);
    faissx_OPQMatrix_set_verbose(opq, 1);
    CHECK(faissx_OPQMatrix_verbose(opq) == 1);
    faissx_OPQMatrix_set_verbose(opq, 0);
    faissx_OPQMatrix_set_niter(opq, 3);
    CHECK(faissx_OPQMatrix_niter(opq) == 3);
    faissx_OPQMatrix_set_niter_pq(opq, 2);
    CHECK(faissx_OPQMatrix_niter_pq(opq) == 2);
    CHECK_OK(faissx_VectorTransform_train(opq, N, x));
    /* OPQ learns a rotation: norms are kept. */
    y = apply_both(opq, 20, x);
    for (int i = 0; i < 20; i++) CHECK_NEAR(norm2(y + i * D, D), norm2(x + i * D, D), 1e-3);
    free(y);
    faissx_OPQMatrix_free(opq);
}

static void test_simple_transforms(const float *x) {
    /* Remapping to more dimensions pads with zeros, and maps back. */
    FaissRemapDimensionsTransform *remap = NULL;
    CHECK_OK(faissx_RemapDimensionsTransform_new_with(&remap, D, D + 4, 0));
    CHECK(faissx_VectorTransform_is_trained(remap) == 1);
    float *y = apply_both(remap, 3, x);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < D + 4; j++) CHECK(y[i * (D + 4) + j] == (j < D ? x[i * D + j] : 0));
    free(y);
    check_round_trip(remap, 3, x, 0);
    faissx_RemapDimensionsTransform_free(remap);
    /* Uniform: every input dimension lands somewhere, nothing is lost. */
    CHECK_OK(faissx_RemapDimensionsTransform_new_with(&remap, D, 2 * D, 1));
    y = apply_both(remap, 3, x);
    for (int i = 0; i < 3; i++) CHECK_NEAR(norm2(y + i * 2 * D, 2 * D), norm2(x + i * D, D), 1e-6);
    free(y);
    faissx_RemapDimensionsTransform_free(remap);

    FaissNormalizationTransform *norm = NULL;
    CHECK_OK(faissx_NormalizationTransform_new_with(&norm, D, 2.0f));
    CHECK(faissx_NormalizationTransform_norm(norm) == 2.0f);
    y = apply_both(norm, 30, x);
    for (int i = 0; i < 30; i++) CHECK_NEAR(norm2(y + i * D, D), 1.0, 1e-5);
    free(y);
    faissx_NormalizationTransform_free(norm);

    FaissCenteringTransform *center = NULL;
    CHECK_OK(faissx_CenteringTransform_new_with(&center, D));
    CHECK(faissx_VectorTransform_is_trained(center) == 0);
    CHECK_OK(faissx_VectorTransform_train(center, N, x));
    y = apply_both(center, N, x);
    for (int j = 0; j < D; j++) {
        double m = 0;
        for (int i = 0; i < N; i++) m += y[i * D + j];
        CHECK(fabs(m / N) < 1e-4);
    }
    free(y);
    check_round_trip(center, 10, x, 1e-5);
    faissx_CenteringTransform_free(center);
}

static void test_errors(const float *x) {
    float y[D];
    CHECK_ERR(faissx_VectorTransform_train(NULL, 1, x), FAISSX_ERR_INVALID_ARGUMENT, "vt");
    CHECK_ZERO_ERR(faissx_VectorTransform_apply(NULL, 1, x), "is NULL");
    CHECK_VOID_ERR(faissx_VectorTransform_apply_noalloc(NULL, 1, x, y), "is NULL");
    CHECK_VOID_ERR(faissx_VectorTransform_reverse_transform(NULL, 1, x, y), "is NULL");
    CHECK_VOID_ERR(faissx_LinearTransform_transform_transpose(NULL, 1, x, y), "is NULL");
    CHECK_VOID_ERR(faissx_LinearTransform_set_is_orthonormal(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_VectorTransform_is_trained(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_VectorTransform_d_in(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_VectorTransform_d_out(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_LinearTransform_have_bias(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_LinearTransform_is_orthonormal(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_PCAMatrix_eigen_power(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_PCAMatrix_random_rotation(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ITQTransform_do_pca(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_OPQMatrix_verbose(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_OPQMatrix_niter(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_OPQMatrix_niter_pq(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_NormalizationTransform_norm(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_OPQMatrix_set_verbose(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_OPQMatrix_set_niter(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_OPQMatrix_set_niter_pq(NULL, 1), "is NULL");

    FaissVectorTransform *vt = NULL;
    CHECK_ERR(faissx_RandomRotationMatrix_new_with(NULL, D, D), FAISSX_ERR_INVALID_ARGUMENT,
              "p_vt");
    CHECK_ERR(faissx_PCAMatrix_new_with(NULL, D, 4, 0, 0), FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    CHECK_ERR(faissx_ITQMatrix_new_with(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    CHECK_ERR(faissx_ITQTransform_new_with(NULL, D, D, 0), FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    CHECK_ERR(faissx_OPQMatrix_new_with(NULL, D, 4, D), FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    CHECK_ERR(faissx_RemapDimensionsTransform_new_with(NULL, D, D, 0),
              FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    CHECK_ERR(faissx_NormalizationTransform_new_with(NULL, D, 2), FAISSX_ERR_INVALID_ARGUMENT,
              "p_vt");
    CHECK_ERR(faissx_CenteringTransform_new_with(NULL, D), FAISSX_ERR_INVALID_ARGUMENT, "p_vt");
    /* A transform that is not linear has no transpose. */
    CHECK_OK(faissx_NormalizationTransform_new_with(&vt, D, 2.0f));
    CHECK_VOID_ERR(faissx_LinearTransform_transform_transpose(vt, 1, x, y), "LinearTransform");
    faissx_VectorTransform_free(vt);

    faissx_VectorTransform_free(NULL);
    faissx_LinearTransform_free(NULL);
    faissx_RandomRotationMatrix_free(NULL);
    faissx_PCAMatrix_free(NULL);
    faissx_ITQMatrix_free(NULL);
    faissx_ITQTransform_free(NULL);
    faissx_OPQMatrix_free(NULL);
    faissx_RemapDimensionsTransform_free(NULL);
    faissx_NormalizationTransform_free(NULL);
    faissx_CenteringTransform_free(NULL);
}

int main(void) {
    float *x = random_vectors(N, D, 91);
    /* Unequal spreads per dimension, so that PCA has an order to find. */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) x[i * D + j] *= 1.0f + 0.3f * j;
    test_random_rotation(x);
    test_pca(x);
    test_itq_opq(x);
    test_simple_transforms(x);
    test_errors(x);

    /* LinearTransform_free releases any linear transform. */
    FaissPCAMatrix *pca = NULL;
    CHECK_OK(faissx_PCAMatrix_new_with(&pca, D, 4, 0, 0));
    faissx_LinearTransform_free(pca);
    free(x);
    return 0;
}
