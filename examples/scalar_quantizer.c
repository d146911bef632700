/* IndexScalarQuantizer: each component in 8 bits (QT_8bit) or as a half float (QT_fp16). */
#include "common.h"

enum { D = 64, NB = 10000 };

/* Encodes xb and decodes it back; reports the largest error on one component: absolute, and
 * relative to the component's value where that is in fp16's normal range (2^-14 and up). */
static void run(const char *name, FaissQuantizerType qt, const float *xb, float *recons,
                double *max_abs_err, double *max_rel_err) {
    FaissIndexScalarQuantizer *index = NULL;
    CHECK(faissx_IndexScalarQuantizer_new_with(&index, D, qt, METRIC_L2));
    CHECK(faissx_Index_train(index, NB, xb)); /* QT_8bit learns each component's range */
    CHECK(faissx_Index_add(index, NB, xb));
    size_t code_size = 0;
    CHECK(faissx_Index_sa_code_size(index, &code_size));
    CHECK(faissx_Index_reconstruct_n(index, 0, NB, recons));
    faissx_Index_free(index);

    double sum_sq = 0;
    *max_abs_err = *max_rel_err = 0;
    for (size_t i = 0; i < (size_t)NB * D; i++) {
        double err = (double)recons[i] - xb[i];
        err = err < 0 ? -err : err;
        sum_sq += err * err;
        if (err > *max_abs_err) *max_abs_err = err;
        if (xb[i] >= 1.0f / 16384 && err / xb[i] > *max_rel_err) *max_rel_err = err / xb[i];
    }
    printf("%-7s %3zu bytes/vector (float: %zu)  mean squared error %.2e  max error %.2e\n",
           name, code_size, D * sizeof(float), sum_sq / ((double)NB * D), *max_abs_err);
}

int main(void) {
    float *xb = random_vectors(NB, D, 1);
    float *recons = xmalloc((size_t)NB * D * sizeof(float));

    /* The widest component spans [0, 1): 8 bits cut it into steps of 1/255, and decoding
     * returns the middle of a step. */
    double max8, rel8, max16, rel16;
    run("QT_8bit", QT_8bit, xb, recons, &max8, &rel8);
    EXPECT(max8 <= 0.5 / 255 * 1.01, "8-bit error within half a step, got %.2e", max8);
    /* fp16 keeps 11 significant bits: its error is relative, at most 2^-11 of the value, where
     * the 8-bit step is the same for small values as for large ones. */
    run("QT_fp16", QT_fp16, xb, recons, &max16, &rel16);
    EXPECT(rel16 <= 1.0 / 2048, "fp16 relative error within 2^-11, got %.2e", rel16);
    EXPECT(max16 < max8, "fp16 (2 bytes) is more precise than 8 bits (1 byte)");

    free(recons);
    free(xb);
    return 0;
}
