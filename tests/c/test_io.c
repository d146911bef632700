/* impl/io_c.h: custom readers and writers, whose callbacks (fread/fwrite-shaped, with no user
 * pointer) move the bytes; used through index_io's *_custom functions. */
#include "check.h"

enum { D = 12, NB = 300, NQ = 8, K = 4, BD = 32, BCS = BD / 8 };

/* The callbacks take no context pointer: they share this one in-memory stream. */
static struct {
    uint8_t *data;
    size_t size, cap, pos;
    size_t fail_after; /* writes or reads beyond this many bytes come up short */
} stream;

static void stream_reset(void) {
    free(stream.data);
    memset(&stream, 0, sizeof stream);
    stream.fail_after = SIZE_MAX;
}

static size_t write_cb(const void *ptr, size_t size, size_t nitems) {
    size_t bytes = size * nitems;
    if (bytes == 0) return nitems; /* FAISS writes empty arrays from NULL */
    if (stream.size + bytes > stream.fail_after) return 0;
    if (stream.size + bytes > stream.cap) {
        stream.cap = 2 * (stream.size + bytes);
        stream.data = realloc(stream.data, stream.cap);
    }
    memcpy(stream.data + stream.size, ptr, bytes);
    stream.size += bytes;
    return nitems;
}

static size_t read_cb(void *ptr, size_t size, size_t nitems) {
    size_t limit = stream.size < stream.fail_after ? stream.size : stream.fail_after;
    size_t avail = size ? (limit - stream.pos) / size : 0;
    size_t n = nitems < avail ? nitems : avail;
    if (n == 0) return size ? 0 : nitems;
    memcpy(ptr, stream.data + stream.pos, n * size);
    stream.pos += n * size;
    return n;
}

static void test_float_round_trip(const float *xb, const float *xq) {
    FaissIndex *index = NULL;
    CHECK_OK(faissx_index_factory(&index, D, "IVF4,Flat", METRIC_L2));
    CHECK_OK(faissx_Index_train(index, NB, xb));
    CHECK_OK(faissx_Index_add(index, NB, xb));

    stream_reset();
    FaissCustomIOWriter *writer = NULL;
    CHECK_OK(faissx_CustomIOWriter_new(&writer, write_cb));
    CHECK_OK(faissx_write_index_custom(index, (FaissIOWriter *)writer, 0));
    faissx_CustomIOWriter_free(writer);
    CHECK(stream.size > (size_t)NB * D * sizeof(float));

    /* The stream holds exactly what the file writer produces. */
    CHECK_OK(faissx_write_index_fname(index, "same.faiss"));
    FILE *f = fopen("same.faiss", "rb");
    uint8_t *file_bytes = malloc(stream.size + 1);
    CHECK(fread(file_bytes, 1, stream.size + 1, f) == stream.size);
    fclose(f);
    CHECK(memcmp(file_bytes, stream.data, stream.size) == 0);
    free(file_bytes);

    FaissCustomIOReader *reader = NULL;
    CHECK_OK(faissx_CustomIOReader_new(&reader, read_cb));
    FaissIndex *copy = NULL;
    CHECK_OK(faissx_read_index_custom((FaissIOReader *)reader, 0, &copy));
    CHECK(stream.pos == stream.size);
    faissx_CustomIOReader_free(reader);

    faissx_IndexIVF_set_nprobe(index, 4);
    faissx_IndexIVF_set_nprobe(copy, 4);
    float d1[NQ * K], d2[NQ * K];
    idx_t l1[NQ * K], l2[NQ * K];
    CHECK_OK(faissx_Index_search(index, NQ, xq, K, d1, l1));
    CHECK_OK(faissx_Index_search(copy, NQ, xq, K, d2, l2));
    CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(d1, d2, sizeof d1) == 0);
    faissx_Index_free(copy);

    /* A writer that runs out of room and a reader that runs dry: FAISS's errors. */
    stream_reset();
    stream.fail_after = 100;
    CHECK_OK(faissx_CustomIOWriter_new(&writer, write_cb));
    CHECK_FAILS(faissx_write_index_custom(index, (FaissIOWriter *)writer, 0), NULL);
    /* A custom writer is an IOWriter: either free function releases it. */
    faissx_IOWriter_free((FaissIOWriter *)writer);
    faissx_Index_free(index);

    stream.fail_after = 0;
    CHECK_OK(faissx_CustomIOReader_new(&reader, read_cb));
    CHECK_FAILS(faissx_read_index_custom((FaissIOReader *)reader, 0, &copy), NULL);
    faissx_IOReader_free((FaissIOReader *)reader);
    stream_reset();
}

static void test_binary_round_trip(void) {
    uint8_t *xb = random_bytes(NB * BCS, 161);
    FaissIndexBinary *index = NULL, *copy = NULL;
    CHECK_OK(faissx_index_binary_factory(&index, BD, "BFlat"));
    CHECK_OK(faissx_IndexBinary_add(index, NB, xb));

    stream_reset();
    FaissCustomIOWriter *writer = NULL;
    CHECK_OK(faissx_CustomIOWriter_new(&writer, write_cb));
    CHECK_OK(faissx_write_index_binary_custom(index, (FaissIOWriter *)writer));
    faissx_CustomIOWriter_free(writer);
    FaissCustomIOReader *reader = NULL;
    CHECK_OK(faissx_CustomIOReader_new(&reader, read_cb));
    CHECK_OK(faissx_read_index_binary_custom((FaissIOReader *)reader, 0, &copy));
    faissx_CustomIOReader_free(reader);

    CHECK(faissx_IndexBinary_ntotal(copy) == NB);
    uint8_t codes[NB * BCS];
    CHECK_OK(faissx_IndexBinary_reconstruct_n(copy, 0, NB, codes));
    CHECK(memcmp(codes, xb, sizeof codes) == 0);
    faissx_IndexBinary_free(copy);
    faissx_IndexBinary_free(index);
    free(xb);
    stream_reset();
}

static void test_errors(void) {
    FaissCustomIOReader *reader = NULL;
    FaissCustomIOWriter *writer = NULL;
    CHECK_ERR(faissx_CustomIOReader_new(NULL, read_cb), FAISSX_ERR_INVALID_ARGUMENT, "p_out");
    CHECK_ERR(faissx_CustomIOReader_new(&reader, NULL), FAISSX_ERR_INVALID_ARGUMENT, "func_in");
    CHECK_ERR(faissx_CustomIOWriter_new(NULL, write_cb), FAISSX_ERR_INVALID_ARGUMENT, "p_out");
    CHECK_ERR(faissx_CustomIOWriter_new(&writer, NULL), FAISSX_ERR_INVALID_ARGUMENT, "func_in");
    CHECK(reader == NULL && writer == NULL);
    faissx_IOReader_free(NULL);
    faissx_IOWriter_free(NULL);
    faissx_CustomIOReader_free(NULL);
    faissx_CustomIOWriter_free(NULL);
}

int main(void) {
    float *xb = random_vectors(NB, D, 162);
    float *xq = random_vectors(NQ, D, 163);
    test_float_round_trip(xb, xq);
    test_binary_round_trip();
    test_errors();
    free(xb);
    free(xq);
    return 0;
}
