/* utils/distances_c.h: distance kernels against sums computed here, and the exhaustive-search
 * knobs, whose settings must change the code path but not the answers. */
#include "check.h"

enum { D = 20, NQ = 7, NB = 30 };

static void test_pairwise(const float *xq, const float *xb) {
    float dis[NQ * NB];
    faissx_pairwise_L2sqr_with_defaults(D, NQ, xq, NB, xb, dis);
    for (int q = 0; q < NQ; q++)
        for (int b = 0; b < NB; b++)
            CHECK_NEAR(dis[q * NB + b], ref_l2(xq + q * D, xb + b * D, D), 1e-4);

    /* Strided rows: queries every D+2 floats, database every D+1, results every NB+3. */
    enum { LDQ = D + 2, LDB = D + 1, LDD = NB + 3 };
    float sq[NQ * LDQ], sb[NB * LDB], sdis[NQ * LDD];
    for (int q = 0; q < NQ; q++) memcpy(sq + q * LDQ, xq + q * D, D * sizeof(float));
    for (int b = 0; b < NB; b++) memcpy(sb + b * LDB, xb + b * D, D * sizeof(float));
    for (int i = 0; i < NQ * LDD; i++) sdis[i] = -1;
    faissx_pairwise_L2sqr(D, NQ, sq, NB, sb, sdis, LDQ, LDB, LDD);
    for (int q = 0; q < NQ; q++) {
        for (int b = 0; b < NB; b++) CHECK_NEAR(sdis[q * LDD + b], dis[q * NB + b], 1e-5);
        for (int b = NB; b < LDD; b++) CHECK(sdis[q * LDD + b] == -1); /* gaps untouched */
    }

    /* Bad shapes are refused before BLAS sees them. */
    CHECK_VOID_ERR(faissx_pairwise_L2sqr(-1, NQ, sq, NB, sb, sdis, LDQ, LDB, LDD), "d");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr(D, NQ, sq, -2, sb, sdis, LDQ, LDB, LDD), "nb");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr(D, NQ, sq, NB, sb, sdis, D - 1, LDB, LDD), "ldq");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr(D, NQ, sq, NB, sb, sdis, LDQ, LDB, NB - 1), "ldd");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr_with_defaults(D, -3, xq, NB, xb, dis), "nq");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr(D, NQ, NULL, NB, sb, sdis, LDQ, LDB, LDD), "xq");
    CHECK_VOID_ERR(faissx_pairwise_L2sqr_with_defaults(D, NQ, xq, NB, xb, NULL), "dis");
}

static void test_vector_kernels(const float *xq, const float *xb) {
    float out[NB];
    faissx_fvec_inner_products_ny(out, xq, xb, D, NB);
    for (int b = 0; b < NB; b++) CHECK_NEAR(out[b], ref_ip(xq, xb + b * D, D), 1e-5);
    faissx_fvec_L2sqr_ny(out, xq, xb, D, NB);
    for (int b = 0; b < NB; b++) CHECK_NEAR(out[b], ref_l2(xq, xb + b * D, D), 1e-5);
    CHECK_NEAR(faissx_fvec_norm_L2sqr(xq, D), ref_ip(xq, xq, D), 1e-5);
    faissx_fvec_norms_L2sqr(out, xb, D, NB);
    for (int b = 0; b < NB; b++) CHECK_NEAR(out[b], ref_ip(xb + b * D, xb + b * D, D), 1e-5);
    faissx_fvec_norms_L2(out, xb, D, NB);
    for (int b = 0; b < NB; b++) CHECK_NEAR(out[b], sqrt(ref_ip(xb + b * D, xb + b * D, D)), 1e-5);

    float x[NB * D];
    memcpy(x, xb, sizeof x);
    faissx_fvec_renorm_L2(D, NB, x);
    for (int b = 0; b < NB; b++) {
        CHECK_NEAR(ref_ip(x + b * D, x + b * D, D), 1.0, 1e-5);
        /* Same direction: the cosine with the original is 1. */
        CHECK_NEAR(ref_ip(x + b * D, xb + b * D, D), sqrt(ref_ip(xb + b * D, xb + b * D, D)),
                   1e-5);
    }

    CHECK_VOID_ERR(faissx_fvec_inner_products_ny(NULL, xq, xb, D, NB), "ip");
    CHECK_VOID_ERR(faissx_fvec_L2sqr_ny(out, NULL, xb, D, NB), "x");
    CHECK_VOID_ERR(faissx_fvec_norms_L2(out, NULL, D, NB), "x");
    CHECK_VOID_ERR(faissx_fvec_norms_L2sqr(NULL, xb, D, NB), "norms");
    CHECK_VOID_ERR(faissx_fvec_renorm_L2(D, NB, NULL), "x");
    CHECK_ZERO_ERR(faissx_fvec_norm_L2sqr(NULL, D), "x");
}

/* Search that either takes FAISS's BLAS path or its direct loops, per the threshold. */
static void search_all(int threshold, const float *xq, const float *xb, idx_t *lab, float *dis) {
    faissx_set_distance_compute_blas_threshold(threshold);
    FaissIndex *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK_OK(faissx_Index_add(flat, NB, xb));
    CHECK_OK(faissx_Index_search(flat, NQ, xq, 3, dis, lab));
    faissx_Index_free(flat);
}

static void test_knobs(const float *xq, const float *xb) {
    int threshold = faissx_get_distance_compute_blas_threshold();
    int query_bs = faissx_get_distance_compute_blas_query_bs();
    int database_bs = faissx_get_distance_compute_blas_database_bs();
    int reservoir = faissx_get_distance_compute_min_k_reservoir();
    CHECK(threshold > 0 && query_bs > 0 && database_bs > 0 && reservoir > 0);

    faissx_set_distance_compute_blas_query_bs(3);
    CHECK(faissx_get_distance_compute_blas_query_bs() == 3);
    faissx_set_distance_compute_blas_database_bs(7);
    CHECK(faissx_get_distance_compute_blas_database_bs() == 7);
    faissx_set_distance_compute_min_k_reservoir(2);
    CHECK(faissx_get_distance_compute_min_k_reservoir() == 2);

    /* BLAS in small blocks, or direct loops: the same neighbours. */
    idx_t lab_blas[NQ * 3], lab_direct[NQ * 3];
    float dis_blas[NQ * 3], dis_direct[NQ * 3];
    search_all(0, xq, xb, lab_blas, dis_blas);
    CHECK(faissx_get_distance_compute_blas_threshold() == 0);
    search_all(1 << 30, xq, xb, lab_direct, dis_direct);
    CHECK(memcmp(lab_blas, lab_direct, sizeof lab_blas) == 0);
    for (int i = 0; i < NQ * 3; i++) CHECK_NEAR(dis_blas[i], dis_direct[i], 1e-4);
    CHECK_KNN(xq, NQ, xb, NB, D, 3, 0, dis_direct, lab_direct);

    faissx_set_distance_compute_blas_threshold(threshold);
    faissx_set_distance_compute_blas_query_bs(query_bs);
    faissx_set_distance_compute_blas_database_bs(database_bs);
    faissx_set_distance_compute_min_k_reservoir(reservoir);
    CHECK(faissx_get_distance_compute_blas_threshold() == threshold);
    CHECK(faissx_get_distance_compute_min_k_reservoir() == reservoir);
}

int main(void) {
    float *xq = random_vectors(NQ, D, 191);
    float *xb = random_vectors(NB, D, 192);
    test_pairwise(xq, xb);
    test_vector_kernels(xq, xb);
    test_knobs(xq, xb);
    free(xq);
    free(xb);
    return 0;
}
