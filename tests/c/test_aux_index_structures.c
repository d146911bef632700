/* impl/AuxIndexStructures_c.h: id selectors and their algebra, range-search results built by
 * hand through partial results, and BufferList. */
#include "check.h"

static void test_selectors(void) {
    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 10, 20));
    CHECK(faissx_IDSelectorRange_imin(range) == 10);
    CHECK(faissx_IDSelectorRange_imax(range) == 20);
    const FaissIDSelector *r = (FaissIDSelector *)range;
    CHECK(faissx_IDSelector_is_member(r, 10) && faissx_IDSelector_is_member(r, 19));
    CHECK(!faissx_IDSelector_is_member(r, 9) && !faissx_IDSelector_is_member(r, 20));

    idx_t picked[3] = {3, 100, 1000};
    FaissIDSelectorBatch *batch = NULL;
    CHECK_OK(faissx_IDSelectorBatch_new(&batch, 3, picked));
    const FaissIDSelector *b = (FaissIDSelector *)batch;
    for (idx_t id = 0; id < 1100; id++)
        CHECK(faissx_IDSelector_is_member(b, id) == (id == 3 || id == 100 || id == 1000));
    /* The Bloom filter's mask covers its nbits bits. */
    int nbits = faissx_IDSelectorBatch_nbits(batch);
    CHECK(nbits > 0 && nbits < 64);
    CHECK(faissx_IDSelectorBatch_mask(batch) == ((idx_t)1 << nbits) - 1);

    /* Bit i of the bitmap (LSB first) selects id i; ids past n bytes are not selected. */
    uint8_t bits[2] = {0x05, 0x80};
    FaissIDSelectorBitmap *bitmap = NULL;
    CHECK_OK(faissx_IDSelectorBitmap_new(&bitmap, 2, bits));
    CHECK(faissx_IDSelectorBitmap_n(bitmap) == 2);
    CHECK(faissx_IDSelectorBitmap_bitmap(bitmap) == bits); /* FAISS keeps the caller's array */
    for (idx_t id = 0; id < 24; id++)
        CHECK(faissx_IDSelector_is_member((FaissIDSelector *)bitmap, id) ==
              (id == 0 || id == 2 || id == 15));

    /* The algebra: every combination against its definition. */
    FaissIDSelectorNot *not_range = NULL;
    FaissIDSelectorAnd *and_ = NULL;
    FaissIDSelectorOr *or_ = NULL;
    FaissIDSelectorXOr *xor_ = NULL;
    FaissIDSelectorRange *low = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&low, 0, 10));
    const FaissIDSelector *l = (FaissIDSelector *)low;
    CHECK_OK(faissx_IDSelectorNot_new(&not_range, r));
    CHECK_OK(faissx_IDSelectorAnd_new(&and_, l, b));
    CHECK_OK(faissx_IDSelectorOr_new(&or_, l, b));
    CHECK_OK(faissx_IDSelectorXOr_new(&xor_, l, b));
    for (idx_t id = 0; id < 1100; id++) {
        int in_l = faissx_IDSelector_is_member(l, id), in_b = faissx_IDSelector_is_member(b, id);
        CHECK(faissx_IDSelector_is_member((FaissIDSelector *)not_range, id) ==
              !faissx_IDSelector_is_member(r, id));
        CHECK(faissx_IDSelector_is_member((FaissIDSelector *)and_, id) == (in_l && in_b));
        CHECK(faissx_IDSelector_is_member((FaissIDSelector *)or_, id) == (in_l || in_b));
        CHECK(faissx_IDSelector_is_member((FaissIDSelector *)xor_, id) == (in_l != in_b));
    }
    /* The combinations borrow their operands: free those last. */
    faissx_IDSelector_free((FaissIDSelector *)not_range);
    faissx_IDSelector_free((FaissIDSelector *)and_);
    faissx_IDSelector_free((FaissIDSelector *)or_);
    faissx_IDSelector_free((FaissIDSelector *)xor_);
    faissx_IDSelectorRange_free(low);
    faissx_IDSelectorRange_free(range);
    faissx_IDSelector_free((FaissIDSelector *)batch);
    faissx_IDSelectorBitmap_free(bitmap);
}

static void test_buffer_list(void) {
    FaissBufferList *bl = NULL;
    CHECK_OK(faissx_BufferList_new(&bl, 4));
    CHECK(faissx_BufferList_buffer_size(bl) == 4);
    for (int i = 0; i < 10; i++) CHECK_OK(faissx_BufferList_add(bl, 100 + i, 0.5f * i));
    /* 10 entries in buffers of 4: the write pointer is 2 into the third buffer. */
    CHECK(faissx_BufferList_wp(bl) == 2);
    idx_t ids[5];
    float dis[5];
    CHECK_OK(faissx_BufferList_copy_range(bl, 3, 5, ids, dis)); /* across buffer boundaries */
    for (int i = 0; i < 5; i++) CHECK(ids[i] == 103 + i && dis[i] == 0.5f * (3 + i));
    CHECK_OK(faissx_BufferList_append_buffer(bl));
    CHECK(faissx_BufferList_wp(bl) == 0);
    CHECK_ERR(faissx_BufferList_copy_range(bl, 0, 2, NULL, dis), FAISSX_ERR_INVALID_ARGUMENT,
              "dest_ids");
    faissx_BufferList_free(bl);
}

static void test_partial_results(void) {
    /* What a range search does inside FAISS, done by hand: per-query hits, then the merge. */
    FaissRangeSearchResult *res = NULL;
    CHECK_OK(faissx_RangeSearchResult_new(&res, 3));
    CHECK(faissx_RangeSearchResult_nq(res) == 3);
    CHECK(faissx_RangeSearchResult_buffer_size(res) > 0);
    FaissRangeSearchPartialResult *pres = NULL;
    CHECK_OK(faissx_RangeSearchPartialResult_new(&pres, res));
    CHECK(faissx_RangeSearchPartialResult_res(pres) == res);

    FaissRangeQueryResult *qr = NULL;
    CHECK_OK(faissx_RangeSearchPartialResult_new_result(pres, 0, &qr));
    CHECK(faissx_RangeQueryResult_qno(qr) == 0);
    CHECK(faissx_RangeQueryResult_pres(qr) == pres);
    CHECK_OK(faissx_RangeQueryResult_add(qr, 0.5f, 10));
    CHECK_OK(faissx_RangeQueryResult_add(qr, 0.7f, 11));
    CHECK(faissx_RangeQueryResult_nres(qr) == 2);
    /* Query 1 has no hits; query 2 one. */
    CHECK_OK(faissx_RangeSearchPartialResult_new_result(pres, 2, &qr));
    CHECK(faissx_RangeQueryResult_qno(qr) == 2);
    CHECK_OK(faissx_RangeQueryResult_add(qr, 0.1f, 20));
    CHECK(faissx_RangeQueryResult_nres(qr) == 1);

    /* set_lims writes per-query counts; finalize turns them into offsets and copies hits. */
    size_t *lims = NULL;
    CHECK_OK(faissx_RangeSearchPartialResult_set_lims(pres));
    faissx_RangeSearchResult_lims(res, &lims);
    CHECK(lims[0] == 2 && lims[1] == 0 && lims[2] == 1);
    CHECK_OK(faissx_RangeSearchPartialResult_finalize(pres));
    faissx_RangeSearchResult_lims(res, &lims);
    CHECK(lims[0] == 0 && lims[1] == 2 && lims[2] == 2 && lims[3] == 3);
    idx_t *labels = NULL;
    float *distances = NULL;
    faissx_RangeSearchResult_labels(res, &labels, &distances);
    CHECK(labels[0] == 10 && labels[1] == 11 && labels[2] == 20);
    CHECK(distances[0] == 0.5f && distances[1] == 0.7f && distances[2] == 0.1f);
    faissx_RangeSearchPartialResult_free(pres);
    faissx_RangeSearchResult_free(res);

    /* Without lims, do_allocation has nothing to size: a result made to be filled later. */
    CHECK_OK(faissx_RangeSearchResult_new_with(&res, 2, 0));
    faissx_RangeSearchResult_lims(res, &lims);
    CHECK(lims == NULL);
    faissx_RangeSearchResult_free(res);
    /* With lims (all zero counts), allocation yields empty results. */
    CHECK_OK(faissx_RangeSearchResult_new_with(&res, 2, 1));
    CHECK_OK(faissx_RangeSearchResult_do_allocation(res));
    faissx_RangeSearchResult_lims(res, &lims);
    CHECK(lims[0] == 0 && lims[1] == 0 && lims[2] == 0);
    faissx_RangeSearchResult_free(res);
}

static void test_errors(void) {
    FaissIDSelectorRange *range = NULL;
    CHECK_ERR(faissx_IDSelectorRange_new(NULL, 0, 1), FAISSX_ERR_INVALID_ARGUMENT, "p_sel");
    CHECK_ERR(faissx_IDSelectorBatch_new(NULL, 0, NULL), FAISSX_ERR_INVALID_ARGUMENT, "p_sel");
    FaissIDSelectorBatch *batch = NULL;
    CHECK_ERR(faissx_IDSelectorBatch_new(&batch, 3, NULL), FAISSX_ERR_INVALID_ARGUMENT, "indices");
    FaissIDSelectorBitmap *bitmap = NULL;
    CHECK_ERR(faissx_IDSelectorBitmap_new(&bitmap, 3, NULL), FAISSX_ERR_INVALID_ARGUMENT, "bitmap");
    FaissIDSelectorNot *not_ = NULL;
    CHECK_ERR(faissx_IDSelectorNot_new(&not_, NULL), FAISSX_ERR_INVALID_ARGUMENT, "sel");
    CHECK_OK(faissx_IDSelectorRange_new(&range, 0, 1));
    const FaissIDSelector *r = (FaissIDSelector *)range;
    FaissIDSelectorAnd *and_ = NULL;
    FaissIDSelectorOr *or_ = NULL;
    FaissIDSelectorXOr *xor_ = NULL;
    CHECK_ERR(faissx_IDSelectorAnd_new(&and_, r, NULL), FAISSX_ERR_INVALID_ARGUMENT, "rhs_sel");
    CHECK_ERR(faissx_IDSelectorOr_new(&or_, NULL, r), FAISSX_ERR_INVALID_ARGUMENT, "lhs_sel");
    CHECK_ERR(faissx_IDSelectorXOr_new(&xor_, r, NULL), FAISSX_ERR_INVALID_ARGUMENT, "rhs_sel");
    CHECK(batch == NULL && bitmap == NULL && not_ == NULL && and_ == NULL && or_ == NULL &&
          xor_ == NULL);
    faissx_IDSelectorRange_free(range);

    CHECK_ZERO_ERR(faissx_IDSelector_is_member(NULL, 0), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorRange_imin(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorRange_imax(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorBatch_nbits(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorBatch_mask(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorBitmap_n(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_IDSelectorBitmap_bitmap(NULL), "is NULL");

    CHECK_ERR(faissx_RangeSearchResult_new(NULL, 1), FAISSX_ERR_INVALID_ARGUMENT, "p_rsr");
    FaissRangeSearchResult *res = NULL;
    CHECK_ERR(faissx_RangeSearchResult_new(&res, -1), FAISSX_ERR_INVALID_ARGUMENT, "nq");
    CHECK_ERR(faissx_RangeSearchResult_new_with(NULL, 1, 1), FAISSX_ERR_INVALID_ARGUMENT,
              "p_rsr");
    CHECK_ERR(faissx_RangeSearchResult_do_allocation(NULL), FAISSX_ERR_INVALID_ARGUMENT, "rsr");
    CHECK_ZERO_ERR(faissx_RangeSearchResult_nq(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_RangeSearchResult_buffer_size(NULL), "is NULL");
    size_t *lims = NULL;
    idx_t *labels = NULL;
    float *distances = NULL;
    CHECK_VOID_ERR(faissx_RangeSearchResult_lims(NULL, &lims), "is NULL");
    CHECK_VOID_ERR(faissx_RangeSearchResult_labels(NULL, &labels, &distances), "is NULL");

    CHECK_ERR(faissx_BufferList_new(NULL, 4), FAISSX_ERR_INVALID_ARGUMENT, "p_bl");
    CHECK_ERR(faissx_BufferList_add(NULL, 1, 1.0f), FAISSX_ERR_INVALID_ARGUMENT, "bl");
    CHECK_ERR(faissx_BufferList_append_buffer(NULL), FAISSX_ERR_INVALID_ARGUMENT, "bl");
    CHECK_ZERO_ERR(faissx_BufferList_buffer_size(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_BufferList_wp(NULL), "is NULL");

    FaissRangeSearchPartialResult *pres = NULL;
    FaissRangeQueryResult *qr = NULL;
    CHECK_ERR(faissx_RangeSearchPartialResult_new(&pres, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "res_in");
    CHECK_ERR(faissx_RangeSearchPartialResult_new_result(NULL, 0, &qr),
              FAISSX_ERR_INVALID_ARGUMENT, "res");
    CHECK_ERR(faissx_RangeSearchPartialResult_finalize(NULL), FAISSX_ERR_INVALID_ARGUMENT, "res");
    CHECK_ERR(faissx_RangeSearchPartialResult_set_lims(NULL), FAISSX_ERR_INVALID_ARGUMENT, "res");
    CHECK_ERR(faissx_RangeQueryResult_add(NULL, 1.0f, 1), FAISSX_ERR_INVALID_ARGUMENT, "qr");
    CHECK_ZERO_ERR(faissx_RangeSearchPartialResult_res(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_RangeQueryResult_qno(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_RangeQueryResult_nres(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_RangeQueryResult_pres(NULL), "is NULL");

    /* FAISS's C API has no way to create a DistanceComputer; its functions still refuse NULL. */
    float x[4] = {0}, out = 0;
    CHECK_ERR(faissx_DistanceComputer_set_query(NULL, x), FAISSX_ERR_INVALID_ARGUMENT, "dc");
    CHECK_ERR(faissx_DistanceComputer_vector_to_query_dis(NULL, 0, &out),
              FAISSX_ERR_INVALID_ARGUMENT, "dc");
    CHECK_ERR(faissx_DistanceComputer_symmetric_dis(NULL, 0, 1, &out),
              FAISSX_ERR_INVALID_ARGUMENT, "dc");

    faissx_IDSelector_free(NULL);
    faissx_IDSelectorRange_free(NULL);
    faissx_IDSelectorBitmap_free(NULL);
    faissx_RangeSearchResult_free(NULL);
    faissx_RangeSearchPartialResult_free(NULL);
    faissx_BufferList_free(NULL);
    faissx_DistanceComputer_free(NULL);
}

int main(void) {
    test_selectors();
    test_buffer_list();
    test_partial_results();
    test_errors();
    return 0;
}
