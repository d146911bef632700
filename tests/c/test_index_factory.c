/* index_factory_c.h: factory strings build the index types they name, with the dimension and
 * metric asked for; unknown strings are FAISS's errors. */
#include "check.h"

enum { D = 16, NB = 400, NQ = 10, K = 4 };

static FaissIndex *make(const char *description, FaissMetricType metric) {
    FaissIndex *index = NULL;
    CHECK_OK(faissx_index_factory(&index, D, description, metric));
    CHECK(index != NULL);
    CHECK(faissx_Index_d(index) == D);
    CHECK(faissx_Index_metric_type(index) == metric);
    return index;
}

static void test_types(const float *xb, const float *xq) {
    FaissIndex *flat = make("Flat", METRIC_L2);
    CHECK(faissx_IndexFlat_cast(flat) == flat);
    CHECK(faissx_Index_is_trained(flat));
    CHECK_OK(faissx_Index_add(flat, NB, xb));
    float dis[NQ * K];
    idx_t lab[NQ * K];
    CHECK_OK(faissx_Index_search(flat, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);
    faissx_Index_free(flat);

    FaissIndex *ip = make("Flat", METRIC_INNER_PRODUCT);
    CHECK_OK(faissx_Index_add(ip, NB, xb));
    CHECK_OK(faissx_Index_search(ip, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 1, dis, lab);
    faissx_Index_free(ip);

    FaissIndex *ivf = make("IVF8,Flat", METRIC_L2);
    CHECK(faissx_IndexIVFFlat_cast(ivf) == ivf);
    CHECK(faissx_IndexIVF_nlist(ivf) == 8);
    CHECK(faissx_IndexIVF_own_fields(ivf) == 1); /* the factory's quantizer is the index's */
    CHECK(faissx_Index_is_trained(ivf) == 0);
    faissx_Index_free(ivf);

    FaissIndex *ivf_ip = make("IVF4,Flat", METRIC_INNER_PRODUCT);
    CHECK(faissx_Index_metric_type(faissx_IndexIVF_quantizer(ivf_ip)) == METRIC_INNER_PRODUCT);
    faissx_Index_free(ivf_ip);

    FaissIndex *pt = make("PCA8,Flat", METRIC_L2);
    CHECK(faissx_IndexPreTransform_cast(pt) == pt);
    CHECK(faissx_Index_d(faissx_IndexPreTransform_index(pt)) == 8);
    faissx_Index_free(pt);

    FaissIndex *idmap = make("IDMap,Flat", METRIC_L2);
    CHECK(faissx_IndexIDMap_cast(idmap) == idmap);
    idx_t ids[3] = {70, 80, 90};
    CHECK_OK(faissx_Index_add_with_ids(idmap, 3, xb, ids));
    CHECK_OK(faissx_Index_search(idmap, 1, xb + D, 1, dis, lab));
    CHECK(lab[0] == 80);
    faissx_Index_free(idmap);

    FaissIndex *idmap2 = make("IDMap2,Flat", METRIC_L2);
    CHECK(faissx_IndexIDMap2_cast(idmap2) == idmap2);
    faissx_Index_free(idmap2);

    FaissIndex *sq = make("SQ8", METRIC_L2);
    CHECK(faissx_IndexScalarQuantizer_cast(sq) == sq);
    faissx_Index_free(sq);

    FaissIndex *ivfsq = make("IVF4,SQ8", METRIC_L2);
    CHECK(faissx_IndexIVFScalarQuantizer_cast(ivfsq) == ivfsq);
    faissx_Index_free(ivfsq);

    FaissIndex *lsh = make("LSH", METRIC_L2);
    CHECK(faissx_IndexLSH_cast(lsh) == lsh);
    faissx_Index_free(lsh);

    FaissIndex *hnsw = make("HNSW8", METRIC_L2);
    CHECK(faissx_IndexHNSWFlat_cast(hnsw) == hnsw);
    CHECK(faissx_IndexHNSW_M(hnsw) == 8);
    faissx_Index_free(hnsw);

    FaissIndex *pq = make("PQ4x8", METRIC_L2);
    CHECK(faissx_IndexPQ_cast(pq) == pq);
    CHECK(faissx_IndexPQ_M(pq) == 4 && faissx_IndexPQ_nbits(pq) == 8);
    faissx_Index_free(pq);

    FaissIndex *refine = make("IVF4,SQ4,RFlat", METRIC_L2);
    CHECK(faissx_IndexRefineFlat_cast(refine) == refine);
    faissx_Index_free(refine);
}

static void test_binary(void) {
    FaissIndexBinary *flat = NULL;
    CHECK_OK(faissx_index_binary_factory(&flat, 64, "BFlat"));
    CHECK(faissx_IndexBinary_d(flat) == 64);
    CHECK(faissx_IndexBinaryFlat_cast(flat) == flat);
    CHECK(faissx_IndexBinaryIVF_cast(flat) == NULL);
    faissx_IndexBinary_free(flat);
    FaissIndexBinary *ivf = NULL;
    CHECK_OK(faissx_index_binary_factory(&ivf, 128, "BIVF16"));
    CHECK(faissx_IndexBinary_d(ivf) == 128);
    CHECK(faissx_IndexBinaryIVF_cast(ivf) == ivf);
    CHECK(faissx_IndexBinaryIVF_nlist(ivf) == 16);
    faissx_IndexBinary_free(ivf);
}

static void test_errors(void) {
    FaissIndex *index = NULL;
    /* FAISS's message quotes the description it could not parse. */
    CHECK_ERR(faissx_index_factory(&index, D, "NoSuchIndex42", METRIC_L2), FAISSX_ERR_FAISS,
              "NoSuchIndex42");
    CHECK_ERR(faissx_index_factory(&index, D, "IVF,Flat", METRIC_L2), FAISSX_ERR_FAISS, NULL);
    CHECK(index == NULL);
    CHECK_ERR(faissx_index_factory(&index, D, "Flat", 1000), FAISSX_ERR_INVALID_ARGUMENT,
              "metric");
    CHECK_ERR(faissx_index_factory(&index, D, NULL, METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT,
              "description");
    CHECK_ERR(faissx_index_factory(NULL, D, "Flat", METRIC_L2), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    /* PQ needs d to be a multiple of M. */
    CHECK_ERR(faissx_index_factory(&index, 10, "PQ4", METRIC_L2), FAISSX_ERR_FAISS, NULL);
    CHECK(index == NULL);

    FaissIndexBinary *bindex = NULL;
    CHECK_ERR(faissx_index_binary_factory(&bindex, 64, "BNoSuch"), FAISSX_ERR_FAISS, "BNoSuch");
    CHECK_ERR(faissx_index_binary_factory(&bindex, 64, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "description");
    CHECK_ERR(faissx_index_binary_factory(NULL, 64, "BFlat"), FAISSX_ERR_INVALID_ARGUMENT,
              "p_index");
    CHECK(bindex == NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 171);
    float *xq = random_vectors(NQ, D, 172);
    test_types(xb, xq);
    test_binary();
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
