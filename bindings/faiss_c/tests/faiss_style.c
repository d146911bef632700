/* A program as a FAISS user writes it: FAISS's include paths, faiss_* names, FAISS's error
 * codes. Built against bindings/faiss_c/include and libfaiss_c.so only, it must behave as it
 * does on FAISS itself. Every expected value is computed here by brute force. */
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/Clustering_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/clone_index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D 8
#define NB 400
#define NQ 20
#define K 4

static int failures = 0;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            const char *msg_ = faiss_get_last_error();                                 \
            fprintf(stderr, "%s:%d: expected %s (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, msg_ ? msg_ : "none");                                      \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* FAISS's idiom: every call returns 0 or an error code. */
#define FAISS_TRY(call)                                                                \
    do {                                                                               \
        int rc_ = (call);                                                              \
        if (rc_) {                                                                     \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call,  \
                    rc_, faiss_get_last_error());                                      \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

static float l2(const float *a, const float *b) {
    float s = 0;
    for (int j = 0; j < D; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

/* FAISS computes L2 as |q|^2 + |x|^2 - 2<q,x> in float: the error scales with the norms. */
static int close_l2(float got, float want, const float *q) {
    float zero[D] = {0};
    return fabsf(got - want) <= 1e-5f * (1 + 4 * l2(q, zero));
}

/* Nearest of the `nb` vectors of xb to q: its label and distance. */
static idx_t nearest(const float *q, const float *xb, idx_t nb, float *dist) {
    idx_t best = -1;
    for (idx_t i = 0; i < nb; i++) {
        float d = l2(q, xb + i * D);
        if (best < 0 || d < *dist) {
            best = i;
            *dist = d;
        }
    }
    return best;
}

/* Four clusters far apart, so k-means and IVF have structure to find. */
static void make_data(float *xb, float *xq) {
    unsigned s = 12345;
    for (int i = 0; i < NB * D; i++) {
        s = s * 1103515245u + 12345u;
        xb[i] = (float)((s >> 8) % 1000) / 1000.0f + (float)(10 * ((i / D) % 4));
    }
    for (int i = 0; i < NQ * D; i++) xq[i] = xb[(i / D) * 13 * D + i % D] + 0.01f;
}

static void flat(const float *xb, const float *xq) {
    FaissIndexFlatL2 *index = NULL;
    FAISS_TRY(faiss_IndexFlatL2_new_with(&index, D));
    FAISS_TRY(faiss_Index_add(index, NB, xb));
    EXPECT(faiss_Index_ntotal(index) == NB);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    FAISS_TRY(faiss_Index_search(index, NQ, xq, K, dis, lab));
    for (int q = 0; q < NQ; q++) {
        float want = 0;
        idx_t best = nearest(xq + q * D, xb, NB, &want);
        EXPECT(close_l2(dis[q * K], want, xq + q * D));
        /* a near-tie may pick another label, at the same true distance */
        EXPECT(lab[q * K] == best || close_l2(l2(xq + q * D, xb + lab[q * K] * D), want, xq + q * D));
        for (int r = 1; r < K; r++) EXPECT(dis[q * K + r] >= dis[q * K + r - 1]);
    }

    /* reconstruct returns the stored vector bit for bit */
    float back[D];
    FAISS_TRY(faiss_Index_reconstruct(index, 17, back));
    EXPECT(memcmp(back, xb + 17 * D, sizeof back) == 0);

    /* range search: exactly the vectors within the radius, by brute force */
    float radius = 2.0f;
    FaissRangeSearchResult *res = NULL;
    FAISS_TRY(faiss_RangeSearchResult_new(&res, 1));
    FAISS_TRY(faiss_Index_range_search(index, 1, xq, radius, res));
    size_t *lims = NULL;
    idx_t *rl = NULL;
    float *rd = NULL;
    faiss_RangeSearchResult_lims(res, &lims);
    faiss_RangeSearchResult_labels(res, &rl, &rd);
    size_t want = 0;
    for (int i = 0; i < NB; i++) want += l2(xq, xb + i * D) < radius;
    EXPECT(lims[1] - lims[0] == want);
    for (size_t i = lims[0]; i < lims[1]; i++) EXPECT(l2(xq, xb + rl[i] * D) < radius);
    faiss_RangeSearchResult_free(res);

    /* clone: an independent copy with the same answers */
    FaissIndex *copy = NULL;
    FAISS_TRY(faiss_clone_index(index, &copy));
    float cdis[NQ * K];
    idx_t clab[NQ * K];
    FAISS_TRY(faiss_Index_search(copy, NQ, xq, K, cdis, clab));
    EXPECT(memcmp(clab, lab, sizeof lab) == 0);
    FAISS_TRY(faiss_Index_reset(copy));
    EXPECT(faiss_Index_ntotal(copy) == 0);
    EXPECT(faiss_Index_ntotal(index) == NB);
    faiss_Index_free(copy);

    /* write, read back: same answers */
    char path[] = "faiss_style_index.bin";
    FAISS_TRY(faiss_write_index_fname(index, path));
    FaissIndex *loaded = NULL;
    FAISS_TRY(faiss_read_index_fname(path, 0, &loaded));
    remove(path);
    FAISS_TRY(faiss_Index_search(loaded, NQ, xq, K, cdis, clab));
    EXPECT(memcmp(clab, lab, sizeof lab) == 0);
    EXPECT(faiss_IndexFlat_cast(loaded) != NULL);
    faiss_Index_free(loaded);
    faiss_Index_free(index);
}

static void ivf(const float *xb, const float *xq) {
    FaissIndex *index = NULL;
    FAISS_TRY(faiss_index_factory(&index, D, "IVF4,Flat", METRIC_L2));
    EXPECT(!faiss_Index_is_trained(index));
    FAISS_TRY(faiss_Index_train(index, NB, xb));
    FAISS_TRY(faiss_Index_add(index, NB, xb));

    /* with every list probed IVF is exhaustive: equal to a flat index */
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(index);
    EXPECT(ivf != NULL);
    EXPECT(faiss_IndexIVF_nlist(ivf) == 4);
    FaissParameterSpace *space = NULL;
    FAISS_TRY(faiss_ParameterSpace_new(&space));
    FAISS_TRY(faiss_ParameterSpace_set_index_parameter(space, index, "nprobe", 4));
    faiss_ParameterSpace_free(space);
    EXPECT(faiss_IndexIVF_nprobe(ivf) == 4);

    float dis[NQ * K];
    idx_t lab[NQ * K];
    FAISS_TRY(faiss_Index_search(index, NQ, xq, K, dis, lab));
    for (int q = 0; q < NQ; q++) {
        float want = 0;
        nearest(xq + q * D, xb, NB, &want);
        EXPECT(close_l2(dis[q * K], want, xq + q * D));
    }

    /* remove_ids through an IDSelector: the removed ids are never returned again */
    idx_t gone[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    FaissIDSelectorBatch *sel = NULL;
    FAISS_TRY(faiss_IDSelectorBatch_new(&sel, 10, gone));
    size_t removed = 0;
    FAISS_TRY(faiss_Index_remove_ids(index, (FaissIDSelector *)sel, &removed));
    faiss_IDSelector_free((FaissIDSelector *)sel);
    EXPECT(removed == 10);
    EXPECT(faiss_Index_ntotal(index) == NB - 10);
    FAISS_TRY(faiss_Index_search(index, 10, xb, K, dis, lab));
    for (int i = 0; i < 10 * K; i++) EXPECT(lab[i] >= 10);
    faiss_Index_free(index);
}

static void id_map(const float *xb) {
    FaissIndexFlatL2 *inner = NULL;
    FAISS_TRY(faiss_IndexFlatL2_new_with(&inner, D));
    FaissIndexIDMap *index = NULL;
    FAISS_TRY(faiss_IndexIDMap_new(&index, inner));
    faiss_IndexIDMap_set_own_fields(index, 1);
    idx_t ids[NB];
    for (int i = 0; i < NB; i++) ids[i] = 1000 + 3 * i;
    FAISS_TRY(faiss_Index_add_with_ids(index, NB, xb, ids));

    float dis[K];
    idx_t lab[K];
    FAISS_TRY(faiss_Index_search(index, 1, xb + 42 * D, K, dis, lab));
    EXPECT(lab[0] == 1000 + 3 * 42);
    EXPECT(dis[0] == 0.0f);
    /* add without ids is refused: an IDMap needs them */
    EXPECT(faiss_Index_add(index, 1, xb) != 0);
    faiss_Index_free(index);
}

static void clustering(const float *xb) {
    float centroids[4 * D];
    float err = 0;
    FAISS_TRY(faiss_kmeans_clustering(D, NB, 4, xb, centroids, &err));
    EXPECT(err > 0);
    /* the data's four groups are offset by 10 per group on every axis: one centroid each */
    int seen[4] = {0};
    for (int c = 0; c < 4; c++) {
        int g = (int)lroundf((centroids[c * D] - 0.5f) / 10.0f);
        EXPECT(g >= 0 && g < 4);
        if (g >= 0 && g < 4) seen[g]++;
    }
    for (int g = 0; g < 4; g++) EXPECT(seen[g] == 1);
}

static void errors(void) {
    FaissIndex *index = NULL;
    EXPECT(faiss_index_factory(&index, D, "NoSuchIndex", METRIC_L2) == FAISS_EXCEPT);
    EXPECT(index == NULL);
    const char *msg = faiss_get_last_error();
    EXPECT(msg != NULL && strstr(msg, "NoSuchIndex") != NULL);
    /* The message names the function this program called, and reading it again (as error
     * reporting code does) leaves the first pointer valid. */
    EXPECT(msg != NULL && strncmp(msg, "faiss_index_factory", strlen("faiss_index_factory")) == 0);
    const char *again = faiss_get_last_error();
    EXPECT(again == msg);
    EXPECT(strstr(msg, "NoSuchIndex") != NULL);

    FaissIndexFlatL2 *flat = NULL;
    FAISS_TRY(faiss_IndexFlatL2_new_with(&flat, D));
    float q[D] = {0};
    idx_t lab[1];
    float dis[1];
    /* adding to an untrained IVF fails with FAISS's code and message, not a crash */
    FaissIndexIVFFlat *ivf = NULL;
    FAISS_TRY(faiss_IndexIVFFlat_new_with(&ivf, flat, D, 4));
    EXPECT(faiss_Index_add(ivf, 1, q) == FAISS_EXCEPT);
    msg = faiss_get_last_error();
    EXPECT(msg != NULL && strstr(msg, "is_trained") != NULL);
    /* k <= 0 is refused before FAISS sees it */
    EXPECT(faiss_Index_search(flat, 1, q, 0, dis, lab) == FAISSX_ERR_INVALID_ARGUMENT);
    faiss_Index_free(ivf);
    faiss_Index_free(flat);
}

int main(void) {
    float *xb = malloc(sizeof(float) * NB * D);
    float *xq = malloc(sizeof(float) * NQ * D);
    make_data(xb, xq);
    flat(xb, xq);
    ivf(xb, xq);
    id_map(xb);
    clustering(xb);
    errors();
    free(xb);
    free(xq);
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    return 0;
}
