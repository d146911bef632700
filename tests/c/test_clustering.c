/* Clustering_c.h: k-means on data with known clusters; the centroids must find them, the
 * assignment must be the nearest centroid, the objective must not increase. */
#include "check.h"

enum { D = 8, KC = 3, PER = 100, N = KC * PER, NREDO = 20 };

/* Blobs of radius ~0.1 around centres 10 apart: k-means cannot miss them. */
static float *blobs(float *centres) {
    rng_t r = {131};
    for (int c = 0; c < KC * D; c++) centres[c] = 10.0f * (float)(rng_next(&r) % 8);
    for (int c = 0; c < KC; c++) centres[c * D + c % D] += 100.0f * (c + 1); /* all distinct */
    float *x = malloc(N * D * sizeof *x);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) x[i * D + j] = centres[(i % KC) * D + j] + 0.1f * (rng_float(&r) - 0.5f);
    return x;
}

static int nearest(const float *v, const float *cents, int k) {
    int best = 0;
    for (int c = 1; c < k; c++)
        if (ref_l2(v, cents + c * D, D) < ref_l2(v, cents + best * D, D)) best = c;
    return best;
}

/* At convergence every centroid is the mean of the points assigned to it. */
static void check_means(const float *x, const float *cents, int k, double tol) {
    double sum[KC * D] = {0};
    int count[KC] = {0};
    for (int i = 0; i < N; i++) {
        int c = nearest(x + i * D, cents, k);
        count[c]++;
        for (int j = 0; j < D; j++) sum[c * D + j] += x[i * D + j];
    }
    for (int c = 0; c < k; c++) {
        CHECK(count[c] > 0);
        for (int j = 0; j < D; j++) CHECK_NEAR(cents[c * D + j], sum[c * D + j] / count[c], tol);
    }
}

static void test_parameters(void) {
    FaissClusteringParameters defaults;
    faissx_ClusteringParameters_init(&defaults);
    CHECK(defaults.niter > 0 && defaults.nredo >= 1);
    FaissClustering *plain = NULL;
    CHECK_OK(faissx_Clustering_new(&plain, D, KC));
    /* Clustering_new uses the same defaults that ClusteringParameters_init fills in. */
    CHECK(faissx_Clustering_niter(plain) == defaults.niter);
    CHECK(faissx_Clustering_nredo(plain) == defaults.nredo);
    CHECK(faissx_Clustering_seed(plain) == defaults.seed);
    CHECK(faissx_Clustering_min_points_per_centroid(plain) == defaults.min_points_per_centroid);
    CHECK(faissx_Clustering_max_points_per_centroid(plain) == defaults.max_points_per_centroid);
    CHECK(faissx_Clustering_decode_block_size(plain) == defaults.decode_block_size);
    CHECK(faissx_Clustering_d(plain) == D && faissx_Clustering_k(plain) == KC);
    faissx_Clustering_free(plain);

    FaissClusteringParameters cp = defaults;
    cp.niter = 7;
    cp.nredo = 2;
    cp.verbose = 0;
    cp.spherical = 1;
    cp.int_centroids = 1;
    cp.update_index = 1;
    cp.frozen_centroids = 1;
    cp.min_points_per_centroid = 3;
    cp.max_points_per_centroid = 77;
    cp.seed = 99;
    cp.decode_block_size = 1000;
    FaissClustering *clus = NULL;
    CHECK_OK(faissx_Clustering_new_with_params(&clus, D, KC, &cp));
    CHECK(faissx_Clustering_niter(clus) == 7);
    CHECK(faissx_Clustering_nredo(clus) == 2);
    CHECK(faissx_Clustering_verbose(clus) == 0);
    CHECK(faissx_Clustering_spherical(clus) == 1);
    CHECK(faissx_Clustering_int_centroids(clus) == 1);
    CHECK(faissx_Clustering_update_index(clus) == 1);
    CHECK(faissx_Clustering_frozen_centroids(clus) == 1);
    CHECK(faissx_Clustering_min_points_per_centroid(clus) == 3);
    CHECK(faissx_Clustering_max_points_per_centroid(clus) == 77);
    CHECK(faissx_Clustering_seed(clus) == 99);
    CHECK(faissx_Clustering_decode_block_size(clus) == 1000);
    faissx_Clustering_free(clus);
}

static void test_train(const float *x, const float *centres) {
    FaissClusteringParameters cp;
    faissx_ClusteringParameters_init(&cp);
    cp.niter = 10;
    /* A random start can put two centroids in one blob; the best of NREDO runs cannot miss. */
    cp.nredo = NREDO;
    cp.min_points_per_centroid = 1; /* small data: no warnings */
    FaissClustering *clus = NULL;
    CHECK_OK(faissx_Clustering_new_with_params(&clus, D, KC, &cp));
    FaissIndexFlatL2 *index = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&index, D));
    CHECK_OK(faissx_Clustering_train(clus, N, x, index));

    float *cents = NULL;
    size_t size = 0;
    faissx_Clustering_centroids(clus, &cents, &size);
    CHECK(cents != NULL && size == (size_t)KC * D);
    /* Each true centre has a centroid right on it. */
    for (int c = 0; c < KC; c++) {
        int j = nearest(centres + c * D, cents, KC);
        CHECK(ref_l2(centres + c * D, cents + j * D, D) < 0.01f);
    }
    check_means(x, cents, KC, 1e-5);
    /* The index now holds the centroids, and assigns each point to its nearest one. */
    CHECK(faissx_Index_ntotal(index) == KC);
    idx_t *assign = malloc(N * sizeof *assign);
    CHECK_OK(faissx_Index_assign(index, N, x, assign, 1));
    for (int i = 0; i < N; i++) CHECK(assign[i] == nearest(x + i * D, cents, KC));
    /* Points of one blob share a centroid. */
    for (int i = KC; i < N; i++) CHECK(assign[i] == assign[i % KC]);
    free(assign);

    FaissClusteringIterationStats *stats = NULL;
    faissx_Clustering_iteration_stats(clus, &stats, &size);
    /* FAISS keeps the stats of every run up to the best one: whole runs of niter. */
    CHECK(stats != NULL && size >= 10 && size <= 10 * NREDO && size % 10 == 0);
    /* The size alone may be asked for. */
    size_t only_size = 0;
    faissx_Clustering_iteration_stats(clus, NULL, &only_size);
    CHECK(only_size == size);
    faissx_Clustering_centroids(clus, NULL, &only_size);
    CHECK(only_size == (size_t)KC * D);
    /* The stats are an array of opaque structs: C can read the first element only (the C API
     * gives no element size). The first iteration's objective bounds the final one. */
    float first = faissx_ClusteringIterationStats_obj(stats);
    CHECK(first > 0);
    CHECK(faissx_ClusteringIterationStats_time(stats) >= 0);
    CHECK(faissx_ClusteringIterationStats_time_search(stats) >= 0);
    CHECK(faissx_ClusteringIterationStats_imbalance_factor(stats) >= 1.0);
    CHECK(faissx_ClusteringIterationStats_nsplit(stats) >= 0);
    /* The final objective is the sum of squared distances to the nearest centroid. */
    double q = 0;
    for (int i = 0; i < N; i++) q += ref_l2(x + i * D, cents + nearest(x + i * D, cents, KC) * D, D);
    CHECK(q <= first * (1 + 1e-4));

    CHECK_ERR(faissx_Clustering_train(clus, N, x, NULL), FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_Clustering_train(clus, N, NULL, index), FAISSX_ERR_INVALID_ARGUMENT, "x");
    /* Fewer points than clusters: FAISS refuses. */
    FaissIndexFlatL2 *fresh = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&fresh, D));
    FaissClustering *again = NULL;
    CHECK_OK(faissx_Clustering_new(&again, D, KC));
    CHECK_ERR(faissx_Clustering_train(again, KC - 1, x, fresh), FAISSX_ERR_FAISS, NULL);
    /* An index of another dimension: FAISS refuses. */
    FaissIndexFlatL2 *wrong = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&wrong, D + 1));
    CHECK_ERR(faissx_Clustering_train(again, N, x, wrong), FAISSX_ERR_FAISS, NULL);
    faissx_Index_free(wrong);
    faissx_Index_free(fresh);
    faissx_Clustering_free(again);
    faissx_Index_free(index);
    faissx_Clustering_free(clus);
}

static void test_kmeans(const float *x) {
    float cents[KC * D], q_error = -1;
    CHECK_OK(faissx_kmeans_clustering(D, N, KC, x, cents, &q_error));
    /* A single run may settle in a local optimum with two centroids in one blob, whose border
     * moves slowly: close to the means of their points, within the blob's spread. */
    check_means(x, cents, KC, 0.01);
    double q = 0;
    for (int i = 0; i < N; i++) q += ref_l2(x + i * D, cents + nearest(x + i * D, cents, KC) * D, D);
    CHECK_NEAR(q_error, q, 1e-3);
    CHECK_OK(faissx_kmeans_clustering(D, N, KC, x, cents, NULL)); /* q_error is optional */

    CHECK_ERR(faissx_kmeans_clustering(D, N, KC, NULL, cents, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "x");
    CHECK_ERR(faissx_kmeans_clustering(D, N, KC, x, NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "centroids");
    CHECK_ERR(faissx_kmeans_clustering(D, KC - 1, KC, x, cents, NULL), FAISSX_ERR_FAISS, NULL);
}

static void test_errors(void) {
    FaissClusteringParameters cp;
    faissx_ClusteringParameters_init(&cp);
    FaissClustering *clus = NULL;
    CHECK_ERR(faissx_Clustering_new(NULL, D, KC), FAISSX_ERR_INVALID_ARGUMENT, "p_clustering");
    CHECK_ERR(faissx_Clustering_new_with_params(NULL, D, KC, &cp), FAISSX_ERR_INVALID_ARGUMENT,
              "p_clustering");
    CHECK_ERR(faissx_Clustering_new_with_params(&clus, D, KC, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "cp");
    CHECK(clus == NULL);
    float point[D] = {0};
    CHECK_ERR(faissx_Clustering_train(NULL, 1, point, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "clustering");
    CHECK_VOID_ERR(faissx_ClusteringParameters_init(NULL), "params");
    CHECK_ZERO_ERR(faissx_Clustering_niter(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_nredo(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_verbose(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_spherical(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_int_centroids(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_update_index(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_frozen_centroids(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_min_points_per_centroid(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_max_points_per_centroid(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_seed(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_decode_block_size(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_d(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_Clustering_k(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ClusteringIterationStats_obj(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ClusteringIterationStats_time(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ClusteringIterationStats_time_search(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ClusteringIterationStats_imbalance_factor(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ClusteringIterationStats_nsplit(NULL), "is NULL");
    float *cents = NULL;
    size_t size = 0;
    CHECK_VOID_ERR(faissx_Clustering_centroids(NULL, &cents, &size), "is NULL");
    FaissClusteringIterationStats *stats = NULL;
    CHECK_VOID_ERR(faissx_Clustering_iteration_stats(NULL, &stats, &size), "is NULL");
    CHECK(cents == NULL && stats == NULL && size == 0);
    faissx_Clustering_free(NULL);
}

int main(void) {
    float centres[KC * D];
    float *x = blobs(centres);
    test_parameters();
    test_train(x, centres);
    test_kmeans(x);
    test_errors();
    free(x);
    return 0;
}
