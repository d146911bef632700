/* faissx's extensions to FAISS's C API: HNSW and its search parameters, PQ / IVFPQ, binary flat
 * and IVF constructors, merge_from, merging and splitting whole indexes, serialization to memory,
 * version and is_remote. */
#include "check.h"

enum { D = 16, NB = 1000, NQ = 20, K = 5, NLIST = 4, BD = 64, BCS = BD / 8 };

/* Fraction of queries whose true nearest neighbour is the first result. */
static double recall_at_1(const float *xq, const float *xb, const idx_t *lab) {
    int hits = 0;
    for (int q = 0; q < NQ; q++) {
        float d1;
        idx_t l1;
        ref_knn(xq + q * D, xb, NB, D, 1, 0, &d1, &l1);
        hits += lab[q * K] == l1;
    }
    return (double)hits / NQ;
}

static void test_hnsw(const float *xb, const float *xq) {
    FaissIndexHNSWFlat *hnsw = NULL;
    CHECK_OK(faissx_IndexHNSWFlat_new_with(&hnsw, D, 16));
    CHECK(faissx_IndexHNSWFlat_cast(hnsw) == hnsw);
    CHECK(faissx_IndexHNSW_cast(hnsw) == hnsw);
    CHECK(faissx_IndexFlat_cast(hnsw) == NULL);
    CHECK(faissx_Index_metric_type(hnsw) == METRIC_L2);
    CHECK(faissx_IndexHNSW_M(hnsw) == 16);
    faissx_IndexHNSW_set_efConstruction(hnsw, 80);
    CHECK(faissx_IndexHNSW_efConstruction(hnsw) == 80);
    faissx_IndexHNSW_set_efSearch(hnsw, 64);
    CHECK(faissx_IndexHNSW_efSearch(hnsw) == 64);
    CHECK_OK(faissx_Index_add(hnsw, NB, xb));
    CHECK(faissx_Index_ntotal(hnsw) == NB);

    /* Approximate by design: judged by recall, and by exact distances for what it returns. */
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(hnsw, NQ, xq, K, dis, lab));
    CHECK(recall_at_1(xq, xb, lab) >= 0.9);
    for (int i = 0; i < NQ * K; i++)
        CHECK_NEAR(dis[i], ref_l2(xq + (i / K) * D, xb + lab[i] * D, D), 1e-4);
    /* Stored vectors find themselves. */
    CHECK_OK(faissx_Index_search(hnsw, NQ, xb, K, dis, lab));
    for (int q = 0; q < NQ; q++) CHECK(lab[q * K] == q && dis[q * K] <= 1e-6f);

    /* Per-search parameters: a selector and a larger beam. */
    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 0, NB / 2));
    FaissSearchParametersHNSW *params = NULL;
    CHECK_OK(faissx_SearchParametersHNSW_new_with(&params, (FaissIDSelector *)range, 128));
    CHECK(faissx_SearchParametersHNSW_sel(params) == (FaissIDSelector *)range);
    CHECK(faissx_SearchParametersHNSW_efSearch(params) == 128);
    CHECK(faissx_SearchParametersHNSW_cast(params) == params);
    CHECK(faissx_SearchParametersIVF_cast(params) == NULL);
    CHECK_OK(faissx_Index_search_with_params(hnsw, NQ, xq, K, params, dis, lab));
    for (int i = 0; i < NQ * K; i++) CHECK(lab[i] >= 0 && lab[i] < NB / 2);
    CHECK(faissx_IndexHNSW_efSearch(hnsw) == 64); /* the index's own setting is untouched */
    faissx_SearchParametersHNSW_free(params);
    faissx_IDSelector_free((FaissIDSelector *)range);

    CHECK_OK(faissx_SearchParametersHNSW_new(&params));
    CHECK(faissx_SearchParametersHNSW_sel(params) == NULL);
    faissx_SearchParametersHNSW_set_efSearch(params, 33);
    CHECK(faissx_SearchParametersHNSW_efSearch(params) == 33);
    int crd = faissx_SearchParametersHNSW_check_relative_distance(params);
    faissx_SearchParametersHNSW_set_check_relative_distance(params, !crd);
    CHECK(faissx_SearchParametersHNSW_check_relative_distance(params) == !crd);
    int bq = faissx_SearchParametersHNSW_bounded_queue(params);
    faissx_SearchParametersHNSW_set_bounded_queue(params, !bq);
    CHECK(faissx_SearchParametersHNSW_bounded_queue(params) == !bq);
    CHECK_OK(faissx_Index_search_with_params(hnsw, NQ, xb, K, params, dis, lab));
    for (int q = 0; q < NQ; q++) CHECK(lab[q * K] == q);
    faissx_SearchParametersHNSW_free(params);
    faissx_IndexHNSWFlat_free(hnsw);

    FaissIndexHNSW *ip = NULL;
    CHECK_OK(faissx_IndexHNSWFlat_new_with_metric(&ip, D, 8, METRIC_INNER_PRODUCT));
    CHECK(faissx_Index_metric_type(ip) == METRIC_INNER_PRODUCT);
    CHECK(faissx_IndexHNSW_M(ip) == 8);
    faissx_IndexHNSW_free(ip);

    /* Errors: bad shapes, and HNSW getters on other indexes. */
    FaissIndex *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK_ZERO_ERR(faissx_IndexHNSW_M(flat), "HNSW");
    CHECK_ZERO_ERR(faissx_IndexHNSW_efSearch(flat), "HNSW");
    CHECK_VOID_ERR(faissx_IndexHNSW_set_efSearch(flat, 10), "HNSW");
    CHECK(faissx_IndexHNSW_cast(flat) == NULL);
    faissx_Index_free(flat);
    hnsw = NULL;
    CHECK_ERR(faissx_IndexHNSWFlat_new_with(&hnsw, 0, 16), FAISSX_ERR_INVALID_ARGUMENT, "d");
    CHECK_ERR(faissx_IndexHNSWFlat_new_with(&hnsw, D, 0), FAISSX_ERR_INVALID_ARGUMENT, "M");
    CHECK_ERR(faissx_IndexHNSWFlat_new_with_metric(&hnsw, D, 8, 77), FAISSX_ERR_INVALID_ARGUMENT,
              "metric");
    CHECK_ERR(faissx_IndexHNSWFlat_new_with(NULL, D, 8), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    CHECK(hnsw == NULL);
    CHECK_ERR(faissx_SearchParametersHNSW_new_with(&params, NULL, 0), FAISSX_ERR_INVALID_ARGUMENT,
              "efSearch");
    CHECK_ERR(faissx_SearchParametersHNSW_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_sp");
    CHECK_ZERO_ERR(faissx_IndexHNSW_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexHNSWFlat_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexHNSW_M(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexHNSW_efConstruction(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_IndexHNSW_set_efConstruction(NULL, 40), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersHNSW_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersHNSW_sel(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersHNSW_efSearch(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersHNSW_check_relative_distance(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_SearchParametersHNSW_bounded_queue(NULL), "is NULL");
    CHECK_VOID_ERR(faissx_SearchParametersHNSW_set_efSearch(NULL, 3), "is NULL");
    CHECK_VOID_ERR(faissx_SearchParametersHNSW_set_check_relative_distance(NULL, 1), "is NULL");
    CHECK_VOID_ERR(faissx_SearchParametersHNSW_set_bounded_queue(NULL, 1), "is NULL");
    faissx_IndexHNSW_free(NULL);
    faissx_IndexHNSWFlat_free(NULL);
    faissx_SearchParametersHNSW_free(NULL);
}

/* PQ search is asymmetric: the distance reported is the one to the decoded vector. */
static void check_adc(FaissIndex *index, const float *xq) {
    float dis[NQ * K], rec[D];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, dis, lab));
    for (int i = 0; i < NQ * K; i++) {
        CHECK_OK(faissx_Index_reconstruct(index, lab[i], rec));
        CHECK_NEAR(dis[i], ref_l2(xq + (i / K) * D, rec, D), 1e-3);
        if (i % K) CHECK(dis[i] >= dis[i - 1]);
    }
}

static void test_pq(const float *xb, const float *xq) {
    FaissIndexPQ *pq = NULL;
    CHECK_OK(faissx_IndexPQ_new_with(&pq, D, 4, 8, METRIC_L2));
    CHECK(faissx_IndexPQ_cast(pq) == pq);
    CHECK(faissx_IndexIVFPQ_cast(pq) == NULL);
    CHECK(faissx_IndexPQ_M(pq) == 4 && faissx_IndexPQ_nbits(pq) == 8);
    size_t code_size = 0;
    CHECK_OK(faissx_Index_sa_code_size(pq, &code_size));
    CHECK(code_size == 4); /* M codes of 8 bits */
    CHECK(faissx_Index_is_trained(pq) == 0);
    CHECK_OK(faissx_Index_train(pq, NB, xb));
    CHECK_OK(faissx_Index_add(pq, NB, xb));
    check_adc(pq, xq);
    faissx_IndexPQ_free(pq);

    FaissIndexFlatL2 *quantizer = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&quantizer, D));
    FaissIndexIVFPQ *ivfpq = NULL;
    CHECK_OK(faissx_IndexIVFPQ_new_with(&ivfpq, quantizer, D, NLIST, 4, 8));
    CHECK(faissx_IndexIVFPQ_cast(ivfpq) == ivfpq);
    CHECK(faissx_IndexIVF_cast(ivfpq) == ivfpq);
    CHECK(faissx_IndexPQ_cast(ivfpq) == NULL);
    CHECK(faissx_IndexIVFPQ_M(ivfpq) == 4 && faissx_IndexIVFPQ_nbits(ivfpq) == 8);
    CHECK(faissx_IndexIVF_quantizer(ivfpq) == quantizer);
    faissx_IndexIVF_set_own_fields(ivfpq, 1);
    CHECK_OK(faissx_Index_train(ivfpq, NB, xb));
    CHECK_OK(faissx_Index_add(ivfpq, NB, xb));
    faissx_IndexIVF_set_nprobe(ivfpq, NLIST);
    CHECK_OK(faissx_IndexIVF_make_direct_map(ivfpq, 1));
    check_adc(ivfpq, xq);
    faissx_IndexIVFPQ_free(ivfpq);

    CHECK_OK(faissx_IndexFlatIP_new_with(&quantizer, D));
    CHECK_OK(faissx_IndexIVFPQ_new_with_metric(&ivfpq, quantizer, D, NLIST, 4, 8,
                                               METRIC_INNER_PRODUCT));
    CHECK(faissx_Index_metric_type(ivfpq) == METRIC_INNER_PRODUCT);
    faissx_IndexIVFPQ_free(ivfpq);

    /* Shapes FAISS cannot build are refused up front. */
    pq = NULL;
    CHECK_ERR(faissx_IndexPQ_new_with(&pq, D, 5, 8, METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT, "M");
    CHECK_ERR(faissx_IndexPQ_new_with(&pq, D, 4, 0, METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT,
              "nbits");
    CHECK_ERR(faissx_IndexPQ_new_with(&pq, D, 4, 8, 99), FAISSX_ERR_INVALID_ARGUMENT, "metric");
    CHECK_ERR(faissx_IndexPQ_new_with(NULL, D, 4, 8, METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK(pq == NULL);
    CHECK_ERR(faissx_IndexIVFPQ_new_with(&ivfpq, quantizer, D * 2, NLIST, 4, 8),
              FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(faissx_IndexIVFPQ_new_with(&ivfpq, NULL, D, NLIST, 4, 8),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer");
    CHECK_ZERO_ERR(faissx_IndexPQ_M(quantizer), "PQ");
    CHECK_ZERO_ERR(faissx_IndexPQ_nbits(quantizer), "PQ");
    CHECK_ZERO_ERR(faissx_IndexIVFPQ_M(quantizer), "PQ");
    CHECK_ZERO_ERR(faissx_IndexIVFPQ_nbits(NULL), "NULL");
    CHECK_ZERO_ERR(faissx_IndexPQ_cast(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IndexIVFPQ_cast(NULL), "is NULL");
    faissx_Index_free(quantizer);
    faissx_IndexPQ_free(NULL);
    faissx_IndexIVFPQ_free(NULL);
}

static void test_binary(void) {
    uint8_t *xb = random_bytes(NB * BCS, 201);
    FaissIndexBinaryFlat *flat = NULL;
    CHECK_OK(faissx_IndexBinaryFlat_new_with(&flat, BD));
    CHECK(faissx_IndexBinaryFlat_cast(flat) == flat);
    CHECK(faissx_IndexBinary_d(flat) == BD);
    CHECK_OK(faissx_IndexBinary_add(flat, NB, xb));
    int32_t dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_IndexBinary_search(flat, NQ, xb, K, dis, lab));
    for (int q = 0; q < NQ; q++) CHECK(lab[q * K] == q && dis[q * K] == 0);

    /* An IVF over a binary quantizer the caller keeps. */
    FaissIndexBinaryFlat *quantizer = NULL;
    CHECK_OK(faissx_IndexBinaryFlat_new_with(&quantizer, BD));
    FaissIndexBinaryIVF *ivf = NULL;
    CHECK_OK(faissx_IndexBinaryIVF_new_with(&ivf, quantizer, BD, NLIST));
    CHECK(faissx_IndexBinaryIVF_cast(ivf) == ivf);
    CHECK(faissx_IndexBinaryFlat_cast(ivf) == NULL);
    CHECK(faissx_IndexBinaryIVF_quantizer(ivf) == quantizer);
    CHECK(faissx_IndexBinaryIVF_own_fields(ivf) == 0);
    CHECK(faissx_IndexBinaryIVF_nlist(ivf) == NLIST);
    CHECK_OK(faissx_IndexBinary_train(ivf, NB, xb));
    CHECK_OK(faissx_IndexBinary_add(ivf, NB, xb));
    faissx_IndexBinaryIVF_set_nprobe(ivf, NLIST);
    int32_t dis2[NQ * K];
    idx_t lab2[NQ * K];
    CHECK_OK(faissx_IndexBinary_search(ivf, NQ, xb + 100 * BCS, K, dis2, lab2));
    CHECK_OK(faissx_IndexBinary_search(flat, NQ, xb + 100 * BCS, K, dis, lab));
    CHECK(memcmp(dis, dis2, sizeof dis) == 0); /* all lists probed: exact */
    faissx_IndexBinaryIVF_free(ivf);
    faissx_IndexBinaryFlat_free(quantizer);

    FaissIndexBinaryFlat *bad = NULL;
    CHECK_ERR(faissx_IndexBinaryFlat_new_with(&bad, 12), FAISSX_ERR_INVALID_ARGUMENT, "8");
    CHECK_ERR(faissx_IndexBinaryFlat_new_with(NULL, BD), FAISSX_ERR_INVALID_ARGUMENT, "p_index");
    FaissIndexBinaryIVF *bad_ivf = NULL;
    CHECK_ERR(faissx_IndexBinaryIVF_new_with(&bad_ivf, flat, 2 * BD, NLIST),
              FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(faissx_IndexBinaryIVF_new_with(&bad_ivf, NULL, BD, NLIST),
              FAISSX_ERR_INVALID_ARGUMENT, "quantizer");
    CHECK(bad == NULL && bad_ivf == NULL);
    CHECK_ZERO_ERR(faissx_IndexBinaryFlat_cast(NULL), "is NULL");
    faissx_IndexBinaryFlat_free(NULL);
    faissx_IndexBinaryFlat_free(flat);
    free(xb);
}

static void test_merge_from(const float *xb, const float *xq) {
    FaissIndex *a = NULL, *b = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&a, D));
    CHECK_OK(faissx_IndexFlatL2_new_with(&b, D));
    CHECK_OK(faissx_Index_add(a, NB / 2, xb));
    CHECK_OK(faissx_Index_add(b, NB / 2, xb + (NB / 2) * D));
    CHECK_OK(faissx_Index_merge_from(a, b, 0));
    CHECK(faissx_Index_ntotal(a) == NB);
    CHECK(faissx_Index_ntotal(b) == 0); /* FAISS moves the vectors */
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(a, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    CHECK_ERR(faissx_Index_merge_from(a, a, 0), FAISSX_ERR_INVALID_ARGUMENT, "itself");
    CHECK_ERR(faissx_Index_merge_from(a, NULL, 0), FAISSX_ERR_INVALID_ARGUMENT, "other");
    CHECK_ERR(faissx_Index_merge_from(NULL, b, 0), FAISSX_ERR_INVALID_ARGUMENT, "index");
    FaissIndex *other_d = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&other_d, D + 1));
    CHECK_ERR(faissx_Index_merge_from(a, other_d, 0), FAISSX_ERR_INVALID_ARGUMENT, "dimension");
    faissx_Index_free(other_d);
    /* Different index types: FAISS refuses. */
    FaissIndex *sq = NULL;
    CHECK_OK(faissx_index_factory(&sq, D, "SQ8", METRIC_L2));
    CHECK_OK(faissx_Index_train(sq, NB, xb)); /* an untrained one is refused before FAISS sees it */
    CHECK_ERR(faissx_Index_merge_from(a, sq, 0), FAISSX_ERR_FAISS, NULL);
    CHECK(faissx_Index_ntotal(a) == NB);
    faissx_Index_free(sq);
    faissx_Index_free(a);
    faissx_Index_free(b);
}

/* Split into three, merged back: the same vectors, the same search; the source untouched. */
static void test_merge_and_split(const float *xb, const float *xq) {
    FaissIndex *whole = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&whole, D));
    CHECK_OK(faissx_Index_add(whole, NB, xb));
    FaissIndex *parts[3] = {NULL, NULL, NULL};
    CHECK_OK(faissx_split_index(whole, 3, parts));
    CHECK(faissx_Index_ntotal(whole) == NB);
    idx_t first = 0;
    for (int k = 0; k < 3; k++) {
        idx_t n = faissx_Index_ntotal(parts[k]);
        CHECK(n == NB / 3 || n == NB / 3 + 1);
        /* Labels count from the part's first vector. */
        float v[D];
        CHECK_OK(faissx_Index_reconstruct(parts[k], 0, v));
        CHECK(memcmp(v, xb + first * D, sizeof v) == 0);
        first += n;
    }
    CHECK(first == NB);
    FaissIndex *merged = NULL;
    CHECK_OK(faissx_merge_indices((const FaissIndex *const *)parts, 3, &merged));
    CHECK(faissx_Index_ntotal(merged) == NB);
    /* Merging copies: the parts keep their vectors (merge_from would have emptied them). */
    idx_t kept = 0;
    for (int k = 0; k < 3; k++) kept += faissx_Index_ntotal(parts[k]);
    CHECK(kept == NB);
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(merged, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);

    const FaissIndex *none[1] = {NULL};
    FaissIndex *out = NULL;
    CHECK_ERR(faissx_merge_indices(none, 1, &out), FAISSX_ERR_INVALID_ARGUMENT, "indexes[0]");
    CHECK_ERR(faissx_merge_indices((const FaissIndex *const *)parts, 0, &out),
              FAISSX_ERR_INVALID_ARGUMENT, "n must be");
    CHECK(out == NULL);
    CHECK_ERR(faissx_split_index(whole, 0, parts), FAISSX_ERR_INVALID_ARGUMENT, "parts");
    CHECK_ERR(faissx_split_index(NULL, 2, parts), FAISSX_ERR_INVALID_ARGUMENT, "index");
    for (int k = 0; k < 3; k++) faissx_Index_free(parts[k]);
    faissx_Index_free(merged);
    faissx_Index_free(whole);
}

static void test_buffers(const float *xb, const float *xq) {
    FaissIndex *index = NULL, *copy = NULL;
    CHECK_OK(faissx_index_factory(&index, D, "IVF4,PQ4x4", METRIC_L2));
    CHECK_OK(faissx_Index_train(index, NB, xb));
    CHECK_OK(faissx_Index_add(index, NB, xb));

    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(faissx_write_index_buf(index, &size, &buf));
    CHECK(buf != NULL && size > 0);
    /* The bytes are FAISS's file format. */
    CHECK_OK(faissx_write_index_fname(index, "ivfpq.faiss"));
    FILE *f = fopen("ivfpq.faiss", "rb");
    uint8_t *file = malloc(size + 1);
    CHECK(fread(file, 1, size + 1, f) == size);
    fclose(f);
    CHECK(memcmp(file, buf, size) == 0);
    free(file);

    CHECK_OK(faissx_read_index_buf(buf, size, 0, &copy));
    faissx_IndexIVF_set_nprobe(index, NLIST);
    faissx_IndexIVF_set_nprobe(copy, NLIST);
    float d1[NQ * K], d2[NQ * K];
    idx_t l1[NQ * K], l2[NQ * K];
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, d1, l1));
    CHECK_OK(faissx_Index_search(copy, NQ, xq, K, d2, l2));
    CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(d1, d2, sizeof d1) == 0);
    faissx_Index_free(copy);
    /* The buffer is malloc'd: faissx_free_buf releases it and clears the pointer. */
    faissx_free_buf(&buf);
    CHECK(buf == NULL);
    faissx_free_buf(&buf);
    faissx_free_buf(NULL);

    uint8_t garbage[64];
    for (int i = 0; i < 64; i++) garbage[i] = (uint8_t)(i * 37);
    copy = NULL;
    CHECK_FAILS(faissx_read_index_buf(garbage, sizeof garbage, 0, &copy), NULL);
    CHECK_FAILS(faissx_read_index_buf(garbage, 0, 0, &copy), NULL);
    CHECK(copy == NULL);
    CHECK_ERR(faissx_read_index_buf(NULL, 10, 0, &copy), FAISSX_ERR_INVALID_ARGUMENT, "buf");
    CHECK_ERR(faissx_read_index_buf(garbage, 10, 0, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_out");
    CHECK_ERR(faissx_write_index_buf(index, NULL, &buf), FAISSX_ERR_INVALID_ARGUMENT, "p_size");
    CHECK_ERR(faissx_write_index_buf(index, &size, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_buf");
    CHECK_ERR(faissx_write_index_buf(NULL, &size, &buf), FAISSX_ERR_INVALID_ARGUMENT, "idx");
    faissx_Index_free(index);

    /* Binary. */
    uint8_t *codes = random_bytes(NB * BCS, 202);
    FaissIndexBinary *bindex = NULL, *bcopy = NULL;
    CHECK_OK(faissx_IndexBinaryFlat_new_with(&bindex, BD));
    CHECK_OK(faissx_IndexBinary_add(bindex, NB, codes));
    CHECK_OK(faissx_write_index_binary_buf(bindex, &size, &buf));
    CHECK_OK(faissx_read_index_binary_buf(buf, size, 0, &bcopy));
    faissx_free_buf(&buf);
    CHECK(faissx_IndexBinary_ntotal(bcopy) == NB);
    uint8_t *back = malloc(NB * BCS);
    CHECK_OK(faissx_IndexBinary_reconstruct_n(bcopy, 0, NB, back));
    CHECK(memcmp(back, codes, NB * BCS) == 0);
    free(back);
    FaissIndexBinary *bad = NULL;
    CHECK_FAILS(faissx_read_index_binary_buf(garbage, sizeof garbage, 0, &bad), NULL);
    CHECK_ERR(faissx_read_index_binary_buf(NULL, 1, 0, &bad), FAISSX_ERR_INVALID_ARGUMENT, "buf");
    CHECK_ERR(faissx_write_index_binary_buf(NULL, &size, &buf), FAISSX_ERR_INVALID_ARGUMENT,
              "idx");
    CHECK(bad == NULL);
    faissx_IndexBinary_free(bcopy);
    faissx_IndexBinary_free(bindex);
    free(codes);
}

static void test_version_and_mode(void) {
    const char *version = faissx_version();
    CHECK(version != NULL && strncmp(version, "faissx ", 7) == 0);
    CHECK(strstr(version, faissx_get_version()) != NULL);
    FaissIndex *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    CHECK(faissx_is_remote(flat) == 0); /* run.sh leaves remote mode off */
    CHECK(faissx_is_remote(NULL) == FAISSX_ERR_INVALID_ARGUMENT);
    check_msg(__FILE__, __LINE__, "faissx_is_remote", "is NULL");
    faissx_Index_free(flat);
}

int main(void) {
    float *xb = random_vectors(NB, D, 203);
    float *xq = random_vectors(NQ, D, 204);
    test_hnsw(xb, xq);
    test_pq(xb, xq);
    test_binary();
    test_merge_from(xb, xq);
    test_merge_and_split(xb, xq);
    test_buffers(xb, xq);
    test_version_and_mode();
    free(xb);
    free(xq);
    return 0;
}
