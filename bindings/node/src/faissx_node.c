/*
 * N-API glue between index.js and libfaissx. The JavaScript side normalizes arguments
 * (number[] -> Float32Array, ids -> BigInt64Array) and shapes results; this file owns the
 * native handles, the locking and the error reporting.
 *
 * Every faissx error is turned into a JS Error whose message is read with
 * faissx_get_last_error() on the thread that made the failing call (the message is
 * thread-local), with `.code` set to the faissx code.
 */
#include <node_api.h>
#include <uv.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faissx_c.h"

/* Tags the objects this addon wraps, so a foreign object is rejected instead of unwrapped. */
static const napi_type_tag kHandleTag = {0x6661697373786e6fULL, 0x64652d68616e646cULL};

/*
 * One index. FAISS indexes are not safe for a write concurrent with anything else, and
 * searchAsync/addAsync run on the libuv pool, so every use takes `lock`: shared for reads,
 * exclusive for writes. `pending` and `freed` are only touched on the JS thread: free() while
 * async work is in flight defers the actual free to the last completion.
 */
typedef struct {
    FaissIndex *index;
    uv_rwlock_t lock;
    uint32_t pending;
    bool freed;
} Handle;

/* ---------- errors ---------- */

/*
 * libfaissx prefixes FAISS's exception text with the export that failed ("faissx_read_index_fname:
 * Error in ..."); faiss-node shows FAISS's text as it is, and programs match on its start.
 */
static const char *faiss_text(int code, const char *message) {
    static const char kFaissStart[] = ": Error in ";
    if (code != FAISSX_ERR_FAISS || strncmp(message, "faissx_", 7) != 0) return message;
    const char *p = message;
    while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) p++;
    return strncmp(p, kFaissStart, sizeof kFaissStart - 1) == 0 ? p + 2 : message;
}

static void throw_code(napi_env env, int code, const char *message) {
    napi_value msg, err, code_value;
    message = faiss_text(code, message);
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
        napi_create_error(env, NULL, msg, &err) != napi_ok ||
        napi_create_int32(env, code, &code_value) != napi_ok ||
        napi_set_named_property(env, err, "code", code_value) != napi_ok) {
        napi_throw_error(env, NULL, message);
        return;
    }
    napi_throw(env, err);
}

/* Must run right after the failing faissx call, on the same thread. */
static void throw_faissx(napi_env env, int rc) {
    const char *msg = faissx_get_last_error();
    throw_code(env, rc, msg ? msg : "faissx call failed without a message");
}

/* Turns a failed napi_* call into a TypeError unless it already left an exception. */
static void throw_napi(napi_env env) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    const char *msg = info && info->error_message ? info->error_message : "invalid argument";
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, NULL, msg);
}

#define NAPI_CALL(call)       \
    do {                      \
        if ((call) != napi_ok) { \
            throw_napi(env);  \
            return NULL;      \
        }                     \
    } while (0)

#define FAISSX_CALL(call)             \
    do {                              \
        int rc_ = (call);             \
        if (rc_ != 0) {               \
            throw_faissx(env, rc_);   \
            return NULL;              \
        }                             \
    } while (0)

/*
 * Getters cannot return a code: a failed one (a remote ntotal on a dead server, for instance)
 * returns 0 and sets the thread's last error code, which its caller clears first so that a
 * genuine 0 is not taken for a failure. Throws if the getter failed.
 */
static bool getter_failed(napi_env env) {
    int rc = faissx_get_last_error_code();
    if (rc != 0) throw_faissx(env, rc);
    return rc != 0;
}

/* ---------- arguments ---------- */

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
    size_t argc = want;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
        throw_napi(env);
        return false;
    }
    if (argc < want) {
        napi_throw_type_error(env, NULL, "faissx: missing arguments");
        return false;
    }
    return true;
}

/* The handle in `v`; with `live`, throws if it was freed. */
static Handle *get_handle(napi_env env, napi_value v, bool live) {
    bool tagged = false;
    if (napi_check_object_type_tag(env, v, &kHandleTag, &tagged) != napi_ok || !tagged) {
        napi_throw_type_error(env, NULL, "faissx: expected an index");
        return NULL;
    }
    Handle *h = NULL;
    if (napi_unwrap(env, v, (void **)&h) != napi_ok || h == NULL) {
        throw_napi(env);
        return NULL;
    }
    if (live && h->freed) {
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT,
                   "faissx: the index was freed (free()/dispose()) and cannot be used any more");
        return NULL;
    }
    return h;
}

static bool get_f32(napi_env env, napi_value v, const float **data, size_t *len) {
    napi_typedarray_type type;
    void *ptr = NULL;
    bool is_typed = false;
    if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok ||
        type != napi_float32_array) {
        napi_throw_type_error(env, NULL, "faissx: expected a Float32Array");
        return false;
    }
    *data = ptr;
    return true;
}

/* A malloc'd UTF-8 copy of a JS string, or NULL for null/undefined when `nullable`. */
static bool get_string(napi_env env, napi_value v, bool nullable, char **out) {
    napi_valuetype t;
    *out = NULL;
    if (napi_typeof(env, v, &t) != napi_ok) {
        throw_napi(env);
        return false;
    }
    if (nullable && (t == napi_null || t == napi_undefined)) return true;
    if (t != napi_string) {
        napi_throw_type_error(env, NULL, "faissx: expected a string");
        return false;
    }
    size_t len = 0;
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
        throw_napi(env);
        return false;
    }
    *out = malloc(len + 1);
    if (*out == NULL) {
        napi_throw_error(env, NULL, "faissx: out of memory");
        return false;
    }
    napi_get_value_string_utf8(env, v, *out, len + 1, &len);
    return true;
}

static bool get_int64(napi_env env, napi_value v, int64_t *out) {
    double d;
    /* The range check comes first: converting a NaN or out-of-range double is undefined. */
    if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= -9.2e18 && d <= 9.2e18) ||
        d != (double)(int64_t)d) {
        napi_throw_type_error(env, NULL, "faissx: expected an integer");
        return false;
    }
    *out = (int64_t)d;
    return true;
}

/* Number of vectors in `len` floats for an index of dimension `d`, or throws. */
static bool vector_count(napi_env env, Handle *h, size_t len, idx_t *n) {
    faissx_clear_last_error();
    int d = faissx_Index_d(h->index);
    if (getter_failed(env)) return false;
    if (d <= 0 || len % (size_t)d != 0) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "faissx: %zu floats are not a whole number of vectors of dimension %d", len, d);
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT, msg);
        return false;
    }
    *n = (idx_t)(len / (size_t)d);
    return true;
}

/* ---------- handles ---------- */

static void finalize_handle(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    Handle *h = data;
    /* In-flight work holds a strong reference, so pending > 0 only at environment teardown:
     * a worker may still be inside FAISS, and leaking beats freeing under it. */
    if (h->pending > 0) return;
    faissx_Index_free(h->index);
    uv_rwlock_destroy(&h->lock);
    free(h);
}

/* Wraps an owned index into a new handle object; frees the index if that fails. */
static napi_value wrap_index(napi_env env, FaissIndex *index) {
    napi_value obj;
    Handle *h = calloc(1, sizeof *h);
    if (h == NULL || uv_rwlock_init(&h->lock) != 0) {
        free(h);
        faissx_Index_free(index);
        napi_throw_error(env, NULL, "faissx: out of memory");
        return NULL;
    }
    h->index = index;
    if (napi_create_object(env, &obj) != napi_ok || napi_type_tag_object(env, obj, &kHandleTag) != napi_ok ||
        napi_wrap(env, obj, h, finalize_handle, NULL, NULL) != napi_ok) {
        finalize_handle(env, h, NULL);
        throw_napi(env);
        return NULL;
    }
    return obj;
}

static void release_index(Handle *h) {
    faissx_Index_free(h->index);
    h->index = NULL;
}

static napi_value js_is_handle(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    if (!get_args(env, info, 1, argv)) return NULL;
    bool tagged = false;
    napi_valuetype t;
    NAPI_CALL(napi_typeof(env, argv[0], &t));
    if (t == napi_object) NAPI_CALL(napi_check_object_type_tag(env, argv[0], &kHandleTag, &tagged));
    NAPI_CALL(napi_get_boolean(env, tagged, &result));
    return result;
}

static napi_value js_free(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (!get_args(env, info, 1, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], false);
    if (h == NULL) return NULL;
    if (!h->freed) {
        h->freed = true;
        if (h->pending == 0) release_index(h);
    }
    return NULL;
}

/* ---------- constructors ---------- */

static napi_value js_new_flat(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    int64_t d, metric;
    if (!get_args(env, info, 2, argv) || !get_int64(env, argv[0], &d) || !get_int64(env, argv[1], &metric))
        return NULL;
    FaissIndex *index = NULL;
    if (metric == METRIC_INNER_PRODUCT)
        FAISSX_CALL(faissx_IndexFlatIP_new_with(&index, d));
    else
        FAISSX_CALL(faissx_IndexFlatL2_new_with(&index, d));
    return wrap_index(env, index);
}

static napi_value js_factory(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    int64_t d, metric;
    char *desc = NULL;
    if (!get_args(env, info, 3, argv) || !get_int64(env, argv[0], &d) || !get_int64(env, argv[2], &metric) ||
        !get_string(env, argv[1], false, &desc))
        return NULL;
    if (d < INT32_MIN || d > INT32_MAX) d = -1; /* out of int range: let faissx reject it */
    FaissIndex *index = NULL;
    int rc = faissx_index_factory(&index, (int)d, desc, (FaissMetricType)metric);
    free(desc);
    FAISSX_CALL(rc);
    return wrap_index(env, index);
}

static napi_value js_read(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    char *fname = NULL;
    if (!get_args(env, info, 1, argv) || !get_string(env, argv[0], false, &fname)) return NULL;
    FaissIndex *index = NULL;
    int rc = faissx_read_index_fname(fname, 0, &index);
    free(fname);
    FAISSX_CALL(rc);
    return wrap_index(env, index);
}

static napi_value js_from_buffer(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (!get_args(env, info, 1, argv)) return NULL;
    napi_typedarray_type type;
    size_t len = 0;
    void *data = NULL;
    bool is_typed = false;
    NAPI_CALL(napi_is_typedarray(env, argv[0], &is_typed));
    if (!is_typed || napi_get_typedarray_info(env, argv[0], &type, &len, &data, NULL, NULL) != napi_ok ||
        type != napi_uint8_array) {
        napi_throw_type_error(env, NULL, "faissx: expected a Buffer or Uint8Array");
        return NULL;
    }
    FaissIndex *index = NULL;
    FAISSX_CALL(faissx_read_index_buf(data, len, 0, &index));
    return wrap_index(env, index);
}

/* ---------- getters ---------- */

static napi_value js_ntotal(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    if (!get_args(env, info, 1, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL) return NULL;
    uv_rwlock_rdlock(&h->lock);
    faissx_clear_last_error();
    idx_t n = faissx_Index_ntotal(h->index);
    bool failed = getter_failed(env);
    uv_rwlock_rdunlock(&h->lock);
    if (failed) return NULL;
    NAPI_CALL(napi_create_double(env, (double)n, &result));
    return result;
}

/* Which of the int-valued properties js_int_property returns. */
enum { PROP_D, PROP_IS_TRAINED, PROP_METRIC, PROP_IS_REMOTE, PROP_FLAT_METRIC };

static napi_value int_property(napi_env env, napi_callback_info info, int which) {
    napi_value argv[1], result;
    if (!get_args(env, info, 1, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL) return NULL;
    int64_t v = 0;
    uv_rwlock_rdlock(&h->lock);
    faissx_clear_last_error();
    switch (which) {
    case PROP_D:
        v = faissx_Index_d(h->index);
        break;
    case PROP_IS_TRAINED:
        v = faissx_Index_is_trained(h->index);
        break;
    case PROP_METRIC:
        v = faissx_Index_metric_type(h->index);
        break;
    case PROP_IS_REMOTE:
        v = faissx_is_remote(h->index);
        break;
    case PROP_FLAT_METRIC: /* METRIC_* of an IndexFlatL2/IndexFlatIP, -1 for other types */
        v = faissx_IndexFlatL2_cast(h->index) ? METRIC_L2 : faissx_IndexFlatIP_cast(h->index) ? METRIC_INNER_PRODUCT : -1;
        break;
    }
    bool failed = getter_failed(env);
    uv_rwlock_rdunlock(&h->lock);
    if (failed) return NULL;
    if (which == PROP_IS_TRAINED || which == PROP_IS_REMOTE)
        NAPI_CALL(napi_get_boolean(env, v != 0, &result));
    else
        NAPI_CALL(napi_create_int64(env, v, &result));
    return result;
}

static napi_value js_dimension(napi_env env, napi_callback_info info) { return int_property(env, info, PROP_D); }
static napi_value js_is_trained(napi_env env, napi_callback_info info) { return int_property(env, info, PROP_IS_TRAINED); }
static napi_value js_metric_type(napi_env env, napi_callback_info info) { return int_property(env, info, PROP_METRIC); }
static napi_value js_is_remote(napi_env env, napi_callback_info info) { return int_property(env, info, PROP_IS_REMOTE); }
static napi_value js_flat_metric(napi_env env, napi_callback_info info) { return int_property(env, info, PROP_FLAT_METRIC); }

/* ---------- vectors in ---------- */

static napi_value add_or_train(napi_env env, napi_callback_info info, bool train) {
    napi_value argv[2];
    if (!get_args(env, info, 2, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    const float *x;
    size_t len;
    idx_t n;
    if (h == NULL || !get_f32(env, argv[1], &x, &len)) return NULL;
    uv_rwlock_wrlock(&h->lock);
    int rc = vector_count(env, h, len, &n) ? (train ? faissx_Index_train : faissx_Index_add)(h->index, n, x) : 0;
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_wrunlock(&h->lock);
    return NULL;
}

static napi_value js_add(napi_env env, napi_callback_info info) { return add_or_train(env, info, false); }
static napi_value js_train(napi_env env, napi_callback_info info) { return add_or_train(env, info, true); }

/* ---------- search ---------- */

/* Converts labels in place to doubles (same width), for callers that want plain numbers. */
static void labels_to_doubles(idx_t *labels, size_t count) {
    for (size_t i = 0; i < count; i++) {
        double v = (double)labels[i];
        memcpy(&labels[i], &v, sizeof v);
    }
}

/* JavaScript typed arrays hold at most 2^32 elements (V8 on 64-bit). */
#define MAX_RESULTS ((uint64_t)1 << 32)

/* n*k results, if a typed array can hold them; throws otherwise. */
static bool result_size(napi_env env, idx_t n, idx_t k, size_t *count) {
    if (k > 0 && n > 0 && ((uint64_t)k > MAX_RESULTS || (uint64_t)n * (uint64_t)k > MAX_RESULTS)) {
        char msg[160];
        snprintf(msg, sizeof msg, "faissx: %lld queries with k = %lld give more results than a typed array holds (2^32)",
                 (long long)n, (long long)k);
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT, msg);
        return false;
    }
    *count = k > 0 ? (size_t)n * (size_t)k : 0;
    return true;
}

/* Output buffers, malloc'd so that a size too large fails here rather than abort in V8. */
static bool alloc_results(napi_env env, size_t count, float **distances, idx_t **labels) {
    *distances = malloc(count * sizeof(float) + 1);
    *labels = malloc(count * sizeof(idx_t) + 1);
    if (*distances == NULL || *labels == NULL) {
        free(*distances);
        free(*labels);
        *distances = NULL;
        *labels = NULL;
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT, "faissx: not enough memory for the search results");
        return false;
    }
    return true;
}

static void free_external(napi_env env, void *data, void *hint) {
    (void)env;
    (void)hint;
    free(data);
}

/* An ArrayBuffer taking ownership of `data` (malloc'd, `bytes` long), without a copy where the
 * runtime allows external buffers. `data` is freed on failure too. */
static bool take_arraybuffer(napi_env env, void *data, size_t bytes, napi_value *out) {
    if (bytes > 0 && napi_create_external_arraybuffer(env, data, bytes, free_external, NULL, out) == napi_ok)
        return true;
    void *copy = NULL;
    bool ok = napi_create_arraybuffer(env, bytes, &copy, out) == napi_ok;
    if (ok && bytes > 0) memcpy(copy, data, bytes);
    free(data);
    return ok;
}

/* {distances: Float32Array, labels: BigInt64Array | Float64Array}, owning both buffers. */
static napi_value search_result(napi_env env, float *dist, idx_t *labels, size_t count, bool bigint) {
    napi_value result, dist_ab, label_ab, distances, label_array;
    if (!bigint) labels_to_doubles(labels, count);
    if (!take_arraybuffer(env, dist, count * sizeof(float), &dist_ab)) {
        free(labels);
        throw_napi(env);
        return NULL;
    }
    if (!take_arraybuffer(env, labels, count * sizeof(idx_t), &label_ab)) {
        throw_napi(env);
        return NULL;
    }
    NAPI_CALL(napi_create_typedarray(env, napi_float32_array, count, dist_ab, 0, &distances));
    NAPI_CALL(napi_create_typedarray(env, bigint ? napi_bigint64_array : napi_float64_array, count, label_ab, 0,
                                     &label_array));
    NAPI_CALL(napi_create_object(env, &result));
    NAPI_CALL(napi_set_named_property(env, result, "distances", distances));
    NAPI_CALL(napi_set_named_property(env, result, "labels", label_array));
    return result;
}

static napi_value js_search(napi_env env, napi_callback_info info) {
    napi_value argv[4];
    if (!get_args(env, info, 4, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    const float *x;
    size_t len, count = 0;
    int64_t k;
    bool bigint;
    idx_t n;
    if (h == NULL || !get_f32(env, argv[1], &x, &len) || !get_int64(env, argv[2], &k)) return NULL;
    NAPI_CALL(napi_get_value_bool(env, argv[3], &bigint));
    float *dist = NULL;
    idx_t *labels = NULL;
    bool ok = false;
    uv_rwlock_rdlock(&h->lock);
    if (vector_count(env, h, len, &n) && result_size(env, n, k, &count) && alloc_results(env, count, &dist, &labels)) {
        /* k <= 0 passes through so that faissx reports it like any other bad argument. */
        int rc = faissx_Index_search(h->index, n, x, k, dist, labels);
        if (rc != 0) throw_faissx(env, rc);
        ok = rc == 0;
    }
    uv_rwlock_rdunlock(&h->lock);
    if (!ok) {
        free(dist);
        free(labels);
        return NULL;
    }
    return search_result(env, dist, labels, count, bigint);
}

/* ---------- async work ---------- */

typedef enum { WORK_SEARCH, WORK_ADD } WorkKind;

typedef struct {
    napi_async_work work;
    napi_deferred deferred;
    napi_ref handle_ref; /* keeps the handle (and so the index) from the GC meanwhile */
    Handle *h;
    WorkKind kind;
    float *x; /* a private copy: the caller's array may change or be detached meanwhile */
    idx_t n, k;
    bool bigint;
    float *distances;
    idx_t *labels;
    size_t count;
    int rc;
    char *message;
} Work;

static void work_execute(napi_env env, void *data) {
    (void)env;
    Work *w = data;
    if (w->kind == WORK_SEARCH) {
        uv_rwlock_rdlock(&w->h->lock);
        w->rc = faissx_Index_search(w->h->index, w->n, w->x, w->k, w->distances, w->labels);
        uv_rwlock_rdunlock(&w->h->lock);
    } else {
        uv_rwlock_wrlock(&w->h->lock);
        w->rc = faissx_Index_add(w->h->index, w->n, w->x);
        uv_rwlock_wrunlock(&w->h->lock);
    }
    if (w->rc != 0) {
        const char *msg = faissx_get_last_error();
        w->message = strdup(msg ? msg : "faissx call failed without a message");
    }
}

static void work_free(napi_env env, Work *w) {
    if (w->work) napi_delete_async_work(env, w->work);
    if (w->handle_ref) napi_delete_reference(env, w->handle_ref);
    free(w->x);
    free(w->distances);
    free(w->labels);
    free(w->message);
    free(w);
}

/* The rejection value: an Error with `.code`, built the same way as synchronous throws. */
static napi_value work_error(napi_env env, int code, const char *message) {
    napi_value err = NULL;
    throw_code(env, code, message ? message : "faissx: out of memory");
    napi_get_and_clear_last_exception(env, &err);
    return err;
}

static void work_complete(napi_env env, napi_status status, void *data) {
    Work *w = data;
    Handle *h = w->h;
    if (--h->pending == 0 && h->freed) release_index(h);

    napi_value value = NULL;
    bool ok = status == napi_ok && w->rc == 0;
    if (status != napi_ok) {
        value = work_error(env, FAISSX_ERR_UNKNOWN, "faissx: the asynchronous call was cancelled");
    } else if (w->rc != 0) {
        value = work_error(env, w->rc, w->message);
    } else if (w->kind == WORK_SEARCH) {
        value = search_result(env, w->distances, w->labels, w->count, w->bigint);
        w->distances = NULL; /* owned by the result now, or freed */
        w->labels = NULL;
        if (value == NULL) {
            napi_get_and_clear_last_exception(env, &value);
            ok = false;
        }
    } else {
        napi_get_undefined(env, &value);
    }
    if (ok)
        napi_resolve_deferred(env, w->deferred, value);
    else
        napi_reject_deferred(env, w->deferred, value);
    work_free(env, w);
}

static napi_value start_work(napi_env env, napi_callback_info info, WorkKind kind) {
    napi_value argv[4], promise, name;
    size_t want = kind == WORK_SEARCH ? 4 : 2;
    if (!get_args(env, info, want, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    const float *x;
    size_t len;
    if (h == NULL || !get_f32(env, argv[1], &x, &len)) return NULL;

    Work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        napi_throw_error(env, NULL, "faissx: out of memory");
        return NULL;
    }
    w->h = h;
    w->kind = kind;
    /* Validated here, not on the worker, so argument errors throw synchronously like search(). */
    int64_t k = 1;
    if (kind == WORK_SEARCH &&
        (!get_int64(env, argv[2], &k) || napi_get_value_bool(env, argv[3], &w->bigint) != napi_ok))
        goto fail;
    /* No lock: `d` never changes after construction, and faissx rejects k <= 0 before it
     * looks at the index. Waiting here for a running addAsync would stall the event loop. */
    bool valid = vector_count(env, h, len, &w->n);
    if (valid && k <= 0) { /* faissx's own message for it */
        throw_faissx(env, faissx_Index_search(h->index, w->n, x, k, NULL, NULL));
        valid = false;
    }
    if (!valid) goto fail;
    if (kind == WORK_SEARCH) {
        w->k = k;
        if (!result_size(env, w->n, k, &w->count) || !alloc_results(env, w->count, &w->distances, &w->labels))
            goto fail;
    }
    w->x = malloc(len * sizeof(float) + 1);
    if (w->x == NULL) {
        napi_throw_error(env, NULL, "faissx: out of memory");
        goto fail;
    }
    if (len) memcpy(w->x, x, len * sizeof(float));

    if (napi_create_reference(env, argv[0], 1, &w->handle_ref) != napi_ok ||
        napi_create_string_utf8(env, kind == WORK_SEARCH ? "faissx.search" : "faissx.add", NAPI_AUTO_LENGTH,
                                &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, work_execute, work_complete, w, &w->work) != napi_ok ||
        napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
        throw_napi(env);
        goto fail;
    }
    if (napi_queue_async_work(env, w->work) != napi_ok) {
        /* The deferred stays unsettled; its promise is never returned, so nobody waits on it. */
        throw_napi(env);
        goto fail;
    }
    h->pending++;
    return promise;

fail:
    work_free(env, w);
    return NULL;
}

static napi_value js_search_async(napi_env env, napi_callback_info info) { return start_work(env, info, WORK_SEARCH); }
static napi_value js_add_async(napi_env env, napi_callback_info info) { return start_work(env, info, WORK_ADD); }

/* ---------- other operations ---------- */

static napi_value js_reset(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (!get_args(env, info, 1, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL) return NULL;
    uv_rwlock_wrlock(&h->lock);
    int rc = faissx_Index_reset(h->index);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_wrunlock(&h->lock);
    return NULL;
}

static napi_value js_merge_from(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    if (!get_args(env, info, 2, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    Handle *other = h ? get_handle(env, argv[1], true) : NULL;
    if (other == NULL) return NULL;
    if (other == h) { /* would also self-deadlock on the lock */
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT, "faissx: mergeFrom: cannot merge an index into itself");
        return NULL;
    }
    uv_rwlock_wrlock(&h->lock);
    uv_rwlock_wrlock(&other->lock);
    /* add_id 0 keeps the other index's ids, as FAISS's merge_from(other) does. */
    int rc = faissx_Index_merge_from(h->index, other->index, 0);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_wrunlock(&other->lock);
    uv_rwlock_wrunlock(&h->lock);
    return NULL;
}

/* Locks or unlocks each distinct handle of `handles` once (one may come twice), for reading.
 * Only the JS thread takes more than one lock at a time, so the order does not matter. */
static void read_lock_all(Handle **handles, uint32_t n, bool lock) {
    for (uint32_t i = 0; i < n; i++) {
        uint32_t first = 0;
        while (handles[first] != handles[i]) first++;
        if (first < i) continue;
        if (lock)
            uv_rwlock_rdlock(&handles[i]->lock);
        else
            uv_rwlock_rdunlock(&handles[i]->lock);
    }
}

static napi_value js_merge(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (!get_args(env, info, 1, argv)) return NULL;
    bool is_array = false;
    uint32_t n = 0;
    NAPI_CALL(napi_is_array(env, argv[0], &is_array));
    if (!is_array) {
        napi_throw_type_error(env, NULL, "faissx: expected an array of indexes");
        return NULL;
    }
    NAPI_CALL(napi_get_array_length(env, argv[0], &n));
    /* One more than n: faissx wants an array even for no index, and rejects n = 0 itself. */
    Handle **handles = calloc((size_t)n + 1, sizeof *handles);
    const FaissIndex **indexes = calloc((size_t)n + 1, sizeof *indexes);
    bool valid = handles != NULL && indexes != NULL;
    if (!valid) napi_throw_error(env, NULL, "faissx: out of memory");
    for (uint32_t i = 0; valid && i < n; i++) {
        napi_value element;
        if (napi_get_element(env, argv[0], i, &element) != napi_ok) {
            throw_napi(env);
            valid = false;
        } else {
            handles[i] = get_handle(env, element, true);
            valid = handles[i] != NULL;
        }
    }
    FaissIndex *merged = NULL;
    int rc = 0;
    if (valid) {
        read_lock_all(handles, n, true);
        for (uint32_t i = 0; i < n; i++) indexes[i] = handles[i]->index;
        rc = faissx_merge_indices(indexes, n, &merged);
        if (rc != 0) throw_faissx(env, rc);
        read_lock_all(handles, n, false);
    }
    free(handles);
    free(indexes);
    if (!valid || rc != 0) return NULL;
    return wrap_index(env, merged);
}

static napi_value js_split(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    int64_t parts;
    if (!get_args(env, info, 2, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL || !get_int64(env, argv[1], &parts)) return NULL;
    if (parts < 1 || parts > UINT32_MAX) {
        char msg[160];
        snprintf(msg, sizeof msg, "faissx: parts must be at least 1 and fit in an array (got %lld)", (long long)parts);
        throw_code(env, FAISSX_ERR_INVALID_ARGUMENT, msg);
        return NULL;
    }
    FaissIndex **out = calloc((size_t)parts, sizeof *out);
    if (out == NULL) {
        napi_throw_error(env, NULL, "faissx: out of memory");
        return NULL;
    }
    if (napi_create_array_with_length(env, (size_t)parts, &result) != napi_ok) {
        free(out);
        throw_napi(env);
        return NULL;
    }
    uv_rwlock_rdlock(&h->lock);
    int rc = faissx_split_index(h->index, (size_t)parts, out);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_rdunlock(&h->lock);
    bool ok = rc == 0;
    for (uint32_t k = 0; ok && k < parts; k++) {
        napi_value part = wrap_index(env, out[k]); /* which frees out[k] if it fails */
        out[k] = NULL;
        ok = part != NULL;
        if (ok && napi_set_element(env, result, k, part) != napi_ok) {
            throw_napi(env);
            ok = false;
        }
    }
    /* On failure, the parts not wrapped yet (NULL once wrapped: freed with their objects). */
    for (uint32_t k = 0; !ok && k < parts; k++) faissx_Index_free(out[k]);
    free(out);
    return ok ? result : NULL;
}

static napi_value js_remove_ids(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    if (!get_args(env, info, 2, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL) return NULL;
    napi_typedarray_type type;
    size_t len = 0;
    void *ids = NULL;
    bool is_typed = false;
    NAPI_CALL(napi_is_typedarray(env, argv[1], &is_typed));
    if (!is_typed || napi_get_typedarray_info(env, argv[1], &type, &len, &ids, NULL, NULL) != napi_ok ||
        type != napi_bigint64_array) {
        napi_throw_type_error(env, NULL, "faissx: expected a BigInt64Array of ids");
        return NULL;
    }
    /* An empty typed array may have no storage; faissx wants a pointer even for 0 ids. */
    static const idx_t no_ids[1];
    FaissIDSelectorBatch *sel = NULL;
    FAISSX_CALL(faissx_IDSelectorBatch_new(&sel, len, len ? ids : no_ids));
    size_t removed = 0;
    uv_rwlock_wrlock(&h->lock);
    int rc = faissx_Index_remove_ids(h->index, (FaissIDSelector *)sel, &removed);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_wrunlock(&h->lock);
    faissx_IDSelector_free((FaissIDSelector *)sel);
    if (rc != 0) return NULL;
    NAPI_CALL(napi_create_double(env, (double)removed, &result));
    return result;
}

static napi_value js_write(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    char *fname = NULL;
    if (!get_args(env, info, 2, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL || !get_string(env, argv[1], false, &fname)) return NULL;
    uv_rwlock_rdlock(&h->lock);
    int rc = faissx_write_index_fname(h->index, fname);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_rdunlock(&h->lock);
    free(fname);
    return NULL;
}

static napi_value js_to_buffer(napi_env env, napi_callback_info info) {
    napi_value argv[1], result = NULL;
    if (!get_args(env, info, 1, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL) return NULL;
    size_t size = 0;
    uint8_t *buf = NULL;
    uv_rwlock_rdlock(&h->lock);
    int rc = faissx_write_index_buf(h->index, &size, &buf);
    if (rc != 0) throw_faissx(env, rc);
    uv_rwlock_rdunlock(&h->lock);
    if (rc != 0) return NULL;
    if (napi_create_buffer_copy(env, size, buf, NULL, &result) != napi_ok) throw_napi(env);
    faissx_free_buf(&buf);
    return result;
}

/* Sets a named search/build parameter ("nprobe", "efSearch", ...) through a ParameterSpace,
 * which also reaches through wrappers such as IndexPreTransform. */
static napi_value js_set_parameter(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    char *name = NULL;
    double value;
    if (!get_args(env, info, 3, argv)) return NULL;
    Handle *h = get_handle(env, argv[0], true);
    if (h == NULL || !get_string(env, argv[1], false, &name)) return NULL;
    if (napi_get_value_double(env, argv[2], &value) != napi_ok) {
        free(name);
        napi_throw_type_error(env, NULL, "faissx: expected a number");
        return NULL;
    }
    FaissParameterSpace *space = NULL;
    int rc = faissx_ParameterSpace_new(&space);
    if (rc == 0) {
        uv_rwlock_wrlock(&h->lock);
        rc = faissx_ParameterSpace_set_index_parameter(space, h->index, name, value);
        if (rc != 0) throw_faissx(env, rc);
        uv_rwlock_wrunlock(&h->lock);
        faissx_ParameterSpace_free(space);
    } else {
        throw_faissx(env, rc);
    }
    free(name);
    return NULL;
}

/* ---------- module-level functions ---------- */

static napi_value js_configure(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    char *server = NULL, *key = NULL, *tenant = NULL;
    if (!get_args(env, info, 3, argv)) return NULL;
    if (get_string(env, argv[0], true, &server) && get_string(env, argv[1], true, &key) &&
        get_string(env, argv[2], true, &tenant)) {
        int rc = faissx_configure(server, key, tenant);
        if (rc != 0) throw_faissx(env, rc);
    }
    free(server);
    free(key);
    free(tenant);
    return NULL;
}

static napi_value js_set_option(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    char *name = NULL, *value = NULL;
    if (!get_args(env, info, 2, argv)) return NULL;
    if (get_string(env, argv[0], false, &name) && get_string(env, argv[1], false, &value)) {
        int rc = faissx_set_option(name, value);
        if (rc != 0) throw_faissx(env, rc);
    }
    free(name);
    free(value);
    return NULL;
}

static napi_value js_configure_recovery(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    int64_t retries;
    double backoff, factor;
    if (!get_args(env, info, 3, argv) || !get_int64(env, argv[0], &retries)) return NULL;
    if (retries < INT32_MIN || retries > INT32_MAX) retries = -1; /* let faissx reject it */
    NAPI_CALL(napi_get_value_double(env, argv[1], &backoff));
    NAPI_CALL(napi_get_value_double(env, argv[2], &factor));
    FAISSX_CALL(faissx_configure_recovery((int)retries, backoff, factor));
    return NULL;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value result;
    NAPI_CALL(napi_create_string_utf8(env, faissx_version(), NAPI_AUTO_LENGTH, &result));
    return result;
}

/* ---------- module ---------- */

static bool set_int(napi_env env, napi_value obj, const char *name, int64_t v) {
    napi_value value;
    return napi_create_int64(env, v, &value) == napi_ok && napi_set_named_property(env, obj, name, value) == napi_ok;
}

NAPI_MODULE_INIT() {
    static const struct {
        const char *name;
        napi_callback fn;
    } fns[] = {
        {"isHandle", js_is_handle},
        {"free", js_free},
        {"newFlat", js_new_flat},
        {"factory", js_factory},
        {"read", js_read},
        {"fromBuffer", js_from_buffer},
        {"ntotal", js_ntotal},
        {"dimension", js_dimension},
        {"isTrained", js_is_trained},
        {"metricType", js_metric_type},
        {"isRemote", js_is_remote},
        {"flatMetric", js_flat_metric},
        {"add", js_add},
        {"train", js_train},
        {"search", js_search},
        {"searchAsync", js_search_async},
        {"addAsync", js_add_async},
        {"reset", js_reset},
        {"mergeFrom", js_merge_from},
        {"merge", js_merge},
        {"split", js_split},
        {"removeIds", js_remove_ids},
        {"write", js_write},
        {"toBuffer", js_to_buffer},
        {"setParameter", js_set_parameter},
        {"configure", js_configure},
        {"setOption", js_set_option},
        {"configureRecovery", js_configure_recovery},
        {"version", js_version},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        napi_value fn;
        NAPI_CALL(napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn));
        NAPI_CALL(napi_set_named_property(env, exports, fns[i].name, fn));
    }

    /* Codes straight from faissx_c.h, so JavaScript never restates them. */
    napi_value codes;
    NAPI_CALL(napi_create_object(env, &codes));
    if (!set_int(env, codes, "UNKNOWN", FAISSX_ERR_UNKNOWN) || !set_int(env, codes, "FAISS", FAISSX_ERR_FAISS) ||
        !set_int(env, codes, "STD", FAISSX_ERR_STD) ||
        !set_int(env, codes, "INVALID_ARGUMENT", FAISSX_ERR_INVALID_ARGUMENT) ||
        !set_int(env, codes, "UNSUPPORTED", FAISSX_ERR_UNSUPPORTED) || !set_int(env, codes, "IO", FAISSX_ERR_IO) ||
        !set_int(env, codes, "TRANSPORT", FAISSX_ERR_TRANSPORT) || !set_int(env, codes, "AUTH", FAISSX_ERR_AUTH) ||
        !set_int(env, codes, "NOT_FOUND", FAISSX_ERR_NOT_FOUND) ||
        !set_int(env, codes, "PROTOCOL", FAISSX_ERR_PROTOCOL) || !set_int(env, codes, "SERVER", FAISSX_ERR_SERVER)) {
        throw_napi(env);
        return NULL;
    }
    NAPI_CALL(napi_set_named_property(env, exports, "ErrorCode", codes));

    napi_value metrics;
    NAPI_CALL(napi_create_object(env, &metrics));
    if (!set_int(env, metrics, "METRIC_INNER_PRODUCT", METRIC_INNER_PRODUCT) ||
        !set_int(env, metrics, "METRIC_L2", METRIC_L2) || !set_int(env, metrics, "METRIC_L1", METRIC_L1) ||
        !set_int(env, metrics, "METRIC_Linf", METRIC_Linf) || !set_int(env, metrics, "METRIC_Lp", METRIC_Lp) ||
        !set_int(env, metrics, "METRIC_Canberra", METRIC_Canberra) ||
        !set_int(env, metrics, "METRIC_BrayCurtis", METRIC_BrayCurtis) ||
        !set_int(env, metrics, "METRIC_JensenShannon", METRIC_JensenShannon)) {
        throw_napi(env);
        return NULL;
    }
    NAPI_CALL(napi_set_named_property(env, exports, "MetricType", metrics));
    return exports;
}
