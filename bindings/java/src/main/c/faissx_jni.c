/*
 * JNI glue between io.faissx.Native and libfaissx.
 *
 * Every function makes its libfaissx call(s) and, on failure, builds the FaissxException from
 * faissx_get_last_error() before returning to Java: the message is per OS thread, and once
 * back in the JVM this thread may run other native code that overwrites it.
 *
 * The Java side has already checked handles (open, non-zero), array lengths and k, so this file
 * only translates. Strings arrive as NUL-terminated UTF-8 byte arrays (see Native.cstr), because
 * JNI's own string functions speak "modified UTF-8".
 */
#include <jni.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "faissx_c.h"
#include "io_faissx_Native.h"

static jclass exception_class;  /* io.faissx.FaissxException */
static jmethodID exception_ctor; /* (I[B)V */
static jclass range_class;      /* io.faissx.RangeSearchResult */
static jmethodID range_ctor;     /* ([J[J[F)V */

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_10) != JNI_OK) return JNI_ERR;
    jclass c = (*env)->FindClass(env, "io/faissx/FaissxException");
    if (!c) return JNI_ERR;
    exception_class = (*env)->NewGlobalRef(env, c);
    exception_ctor = (*env)->GetMethodID(env, c, "<init>", "(I[B)V");
    c = (*env)->FindClass(env, "io/faissx/RangeSearchResult");
    if (!c) return JNI_ERR;
    range_class = (*env)->NewGlobalRef(env, c);
    range_ctor = (*env)->GetMethodID(env, c, "<init>", "([J[J[F)V");
    if (!exception_ctor || !range_ctor) return JNI_ERR;
    return JNI_VERSION_10;
}

static void throw_faissx(JNIEnv *env, int code) {
    const char *msg = faissx_get_last_error();
    if (!msg) msg = "faissx reported an error without a message";
    jsize len = (jsize)strlen(msg);
    jbyteArray bytes = (*env)->NewByteArray(env, len);
    if (!bytes) return; /* OutOfMemoryError is pending */
    (*env)->SetByteArrayRegion(env, bytes, 0, len, (const jbyte *)msg);
    jobject ex = (*env)->NewObject(env, exception_class, exception_ctor, (jint)code, bytes);
    if (ex) (*env)->Throw(env, ex);
}

static void throw_java(JNIEnv *env, const char *class_name, const char *msg) {
    jclass c = (*env)->FindClass(env, class_name);
    if (c) (*env)->ThrowNew(env, c, msg);
}

/* True when `rc` is success; otherwise throws and returns false. */
static int ok(JNIEnv *env, int rc) {
    if (rc == 0) return 1;
    throw_faissx(env, rc);
    return 0;
}

/*
 * After a getter or setter: true if it succeeded, otherwise throws. They cannot return a code,
 * and a remote one fails with the server (dead, or refusing the credentials): the thread's
 * last error code, cleared before the call, tells a failure from a genuine 0 without asking
 * the server again.
 */
static int unfailed(JNIEnv *env) {
    return ok(env, faissx_get_last_error_code());
}

#define IDX(h) ((FaissIndex *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))

/* Input arrays are read through Get<Type>ArrayElements (a copy on HotSpot) and released
 * without write-back; never "critical" access, which would stall the GC for a network call. */
#define DROP_FLOATS(name, array) (*env)->ReleaseFloatArrayElements(env, array, name, JNI_ABORT)

static const char *cstr(JNIEnv *env, jbyteArray bytes) {
    return bytes ? (const char *)(*env)->GetByteArrayElements(env, bytes, NULL) : NULL;
}

static void drop_cstr(JNIEnv *env, jbyteArray bytes, const char *s) {
    if (bytes && s) (*env)->ReleaseByteArrayElements(env, bytes, (jbyte *)s, JNI_ABORT);
}

/* ---- library ---- */

JNIEXPORT jstring JNICALL Java_io_faissx_Native_version(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, faissx_version());
}

JNIEXPORT void JNICALL Java_io_faissx_Native_configure(JNIEnv *env, jclass cls, jbyteArray server,
                                                       jbyteArray key, jbyteArray tenant) {
    (void)cls;
    const char *s = cstr(env, server), *k = cstr(env, key), *t = cstr(env, tenant);
    if ((server && !s) || (key && !k) || (tenant && !t)) {
        drop_cstr(env, server, s);
        drop_cstr(env, key, k);
        drop_cstr(env, tenant, t);
        return;
    }
    ok(env, faissx_configure(s, k, t));
    drop_cstr(env, server, s);
    drop_cstr(env, key, k);
    drop_cstr(env, tenant, t);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_setOption(JNIEnv *env, jclass cls, jbyteArray name,
                                                       jbyteArray value) {
    (void)cls;
    const char *n = cstr(env, name), *v = cstr(env, value);
    if (n && v) ok(env, faissx_set_option(n, v));
    drop_cstr(env, name, n);
    drop_cstr(env, value, v);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_configureRecovery(JNIEnv *env, jclass cls,
                                                               jint retries, jdouble backoff,
                                                               jdouble factor) {
    (void)cls;
    ok(env, faissx_configure_recovery(retries, backoff, factor));
}

JNIEXPORT void JNICALL Java_io_faissx_Native_ping(JNIEnv *env, jclass cls) {
    (void)cls;
    ok(env, faissx_ping());
}

/* ---- constructors: each returns the new handle, or 0 with an exception pending ---- */

#define CREATE(call)                     \
    FaissIndex *idx = NULL;              \
    if (!ok(env, (call))) return 0;      \
    return HANDLE(idx);

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newFlat(JNIEnv *env, jclass cls, jint d,
                                                      jint metric) {
    (void)cls;
    CREATE(faissx_IndexFlat_new_with(&idx, d, (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newFlatL2(JNIEnv *env, jclass cls, jint d) {
    (void)cls;
    CREATE(faissx_IndexFlatL2_new_with(&idx, d));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newFlatIP(JNIEnv *env, jclass cls, jint d) {
    (void)cls;
    CREATE(faissx_IndexFlatIP_new_with(&idx, d));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newIVFFlat(JNIEnv *env, jclass cls, jlong quantizer,
                                                         jint d, jlong nlist, jint metric) {
    (void)cls;
    CREATE(faissx_IndexIVFFlat_new_with_metric(&idx, IDX(quantizer), (size_t)d, (size_t)nlist,
                                               (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newIVFPQ(JNIEnv *env, jclass cls, jlong quantizer,
                                                       jint d, jlong nlist, jlong m, jlong nbits,
                                                       jint metric) {
    (void)cls;
    CREATE(faissx_IndexIVFPQ_new_with_metric(&idx, IDX(quantizer), (size_t)d, (size_t)nlist,
                                             (size_t)m, (size_t)nbits, (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newPQ(JNIEnv *env, jclass cls, jint d, jlong m,
                                                    jlong nbits, jint metric) {
    (void)cls;
    CREATE(faissx_IndexPQ_new_with(&idx, d, (size_t)m, (size_t)nbits, (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newHNSWFlat(JNIEnv *env, jclass cls, jint d, jint m,
                                                          jint metric) {
    (void)cls;
    CREATE(faissx_IndexHNSWFlat_new_with_metric(&idx, d, m, (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newScalarQuantizer(JNIEnv *env, jclass cls, jint d,
                                                                 jint qt, jint metric) {
    (void)cls;
    CREATE(faissx_IndexScalarQuantizer_new_with(&idx, d, (FaissQuantizerType)qt,
                                                (FaissMetricType)metric));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_newIDMap(JNIEnv *env, jclass cls, jlong sub) {
    (void)cls;
    CREATE(faissx_IndexIDMap_new(&idx, IDX(sub)));
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_factory(JNIEnv *env, jclass cls, jint d,
                                                      jbyteArray description, jint metric) {
    (void)cls;
    const char *desc = cstr(env, description);
    if (!desc) return 0;
    FaissIndex *idx = NULL;
    int rc = faissx_index_factory(&idx, d, desc, (FaissMetricType)metric);
    drop_cstr(env, description, desc);
    return ok(env, rc) ? HANDLE(idx) : 0;
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_readFile(JNIEnv *env, jclass cls, jbyteArray path) {
    (void)cls;
    const char *p = cstr(env, path);
    if (!p) return 0;
    FaissIndex *idx = NULL;
    int rc = faissx_read_index_fname(p, 0, &idx);
    drop_cstr(env, path, p);
    return ok(env, rc) ? HANDLE(idx) : 0;
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_fromBytes(JNIEnv *env, jclass cls, jbyteArray data) {
    (void)cls;
    jsize len = (*env)->GetArrayLength(env, data);
    jbyte *buf = (*env)->GetByteArrayElements(env, data, NULL);
    if (!buf) return 0;
    FaissIndex *idx = NULL;
    int rc = faissx_read_index_buf((const uint8_t *)buf, (size_t)len, 0, &idx);
    (*env)->ReleaseByteArrayElements(env, data, buf, JNI_ABORT);
    return ok(env, rc) ? HANDLE(idx) : 0;
}

JNIEXPORT void JNICALL Java_io_faissx_Native_free(JNIEnv *env, jclass cls, jlong h) {
    (void)env;
    (void)cls;
    faissx_Index_free(IDX(h));
}

/* ---- properties ---- */

/* Which Java class wraps a handle (constants in Native.java), most derived first. */
JNIEXPORT jint JNICALL Java_io_faissx_Native_kind(JNIEnv *env, jclass cls, jlong h) {
    (void)env;
    (void)cls;
    FaissIndex *idx = IDX(h);
    if (faissx_IndexIDMap_cast(idx)) return io_faissx_Native_KIND_IDMAP;
    if (faissx_IndexIVFPQ_cast(idx)) return io_faissx_Native_KIND_IVFPQ;
    if (faissx_IndexIVFFlat_cast(idx)) return io_faissx_Native_KIND_IVFFLAT;
    if (faissx_IndexIVF_cast(idx)) return io_faissx_Native_KIND_IVF;
    if (faissx_IndexHNSWFlat_cast(idx)) return io_faissx_Native_KIND_HNSWFLAT;
    if (faissx_IndexPQ_cast(idx)) return io_faissx_Native_KIND_PQ;
    if (faissx_IndexScalarQuantizer_cast(idx)) return io_faissx_Native_KIND_SQ;
    if (faissx_IndexFlatL2_cast(idx)) return io_faissx_Native_KIND_FLATL2;
    if (faissx_IndexFlatIP_cast(idx)) return io_faissx_Native_KIND_FLATIP;
    if (faissx_IndexFlat_cast(idx)) return io_faissx_Native_KIND_FLAT;
    return io_faissx_Native_KIND_OTHER;
}

JNIEXPORT jint JNICALL Java_io_faissx_Native_dimension(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    int d = faissx_Index_d(IDX(h));
    return unfailed(env) ? d : 0;
}

JNIEXPORT jint JNICALL Java_io_faissx_Native_metric(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    FaissMetricType m = faissx_Index_metric_type(IDX(h));
    return unfailed(env) ? (jint)m : 0;
}

JNIEXPORT jboolean JNICALL Java_io_faissx_Native_isRemote(JNIEnv *env, jclass cls, jlong h) {
    (void)env;
    (void)cls;
    return faissx_is_remote(IDX(h)) == 1;
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_ntotal(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    idx_t n = faissx_Index_ntotal(IDX(h));
    return unfailed(env) ? n : 0;
}

JNIEXPORT jboolean JNICALL Java_io_faissx_Native_isTrained(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    int t = faissx_Index_is_trained(IDX(h));
    return unfailed(env) && t != 0;
}

/* ---- vectors in ---- */

JNIEXPORT void JNICALL Java_io_faissx_Native_train(JNIEnv *env, jclass cls, jlong h,
                                                   jfloatArray x, jlong n) {
    (void)cls;
    jfloat *v = (*env)->GetFloatArrayElements(env, x, NULL);
    if (!v) return;
    int rc = faissx_Index_train(IDX(h), n, v);
    DROP_FLOATS(v, x);
    ok(env, rc);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_add(JNIEnv *env, jclass cls, jlong h, jfloatArray x,
                                                 jlong n) {
    (void)cls;
    jfloat *v = (*env)->GetFloatArrayElements(env, x, NULL);
    if (!v) return;
    int rc = faissx_Index_add(IDX(h), n, v);
    DROP_FLOATS(v, x);
    ok(env, rc);
}

static const float *direct_floats(JNIEnv *env, jobject buffer, jlong offset) {
    char *base = (*env)->GetDirectBufferAddress(env, buffer);
    if (!base) {
        throw_java(env, "java/lang/IllegalArgumentException", "not a direct buffer");
        return NULL;
    }
    return (const float *)(base + offset * (jlong)sizeof(float));
}

JNIEXPORT void JNICALL Java_io_faissx_Native_addBuffer(JNIEnv *env, jclass cls, jlong h,
                                                       jobject buffer, jlong offset, jlong n) {
    (void)cls;
    const float *v = direct_floats(env, buffer, offset);
    if (v) ok(env, faissx_Index_add(IDX(h), n, v));
}

JNIEXPORT void JNICALL Java_io_faissx_Native_addWithIds(JNIEnv *env, jclass cls, jlong h,
                                                        jfloatArray x, jlong n, jlongArray ids) {
    (void)cls;
    jfloat *v = (*env)->GetFloatArrayElements(env, x, NULL);
    if (!v) return;
    jlong *id = (*env)->GetLongArrayElements(env, ids, NULL);
    if (!id) {
        DROP_FLOATS(v, x);
        return;
    }
    int rc = faissx_Index_add_with_ids(IDX(h), n, v, (const idx_t *)id);
    (*env)->ReleaseLongArrayElements(env, ids, id, JNI_ABORT);
    DROP_FLOATS(v, x);
    ok(env, rc);
}

/* ---- searches ---- */

/* Runs the search into C buffers, then copies them into the Java result arrays. */
static void search_into(JNIEnv *env, jlong h, const float *x, jlong n, jint k,
                        jfloatArray distances, jlongArray labels) {
    size_t count = (size_t)n * (size_t)k;
    float *dist = malloc(count * sizeof(float) + 1);
    idx_t *lab = malloc(count * sizeof(idx_t) + 1);
    if (!dist || !lab) {
        free(dist);
        free(lab);
        throw_java(env, "java/lang/OutOfMemoryError", "search result buffers");
        return;
    }
    if (ok(env, faissx_Index_search(IDX(h), n, x, k, dist, lab))) {
        (*env)->SetFloatArrayRegion(env, distances, 0, (jsize)count, dist);
        (*env)->SetLongArrayRegion(env, labels, 0, (jsize)count, (const jlong *)lab);
    }
    free(dist);
    free(lab);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_search(JNIEnv *env, jclass cls, jlong h,
                                                    jfloatArray x, jlong n, jint k,
                                                    jfloatArray distances, jlongArray labels) {
    (void)cls;
    jfloat *v = (*env)->GetFloatArrayElements(env, x, NULL);
    if (!v) return;
    search_into(env, h, v, n, k, distances, labels);
    DROP_FLOATS(v, x);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_searchBuffer(JNIEnv *env, jclass cls, jlong h,
                                                          jobject buffer, jlong offset, jlong n,
                                                          jint k, jfloatArray distances,
                                                          jlongArray labels) {
    (void)cls;
    const float *v = direct_floats(env, buffer, offset);
    if (v) search_into(env, h, v, n, k, distances, labels);
}

JNIEXPORT jobject JNICALL Java_io_faissx_Native_rangeSearch(JNIEnv *env, jclass cls, jlong h,
                                                            jfloatArray x, jlong n,
                                                            jfloat radius) {
    (void)cls;
    FaissRangeSearchResult *res = NULL;
    if (!ok(env, faissx_RangeSearchResult_new(&res, n))) return NULL;
    jobject result = NULL;
    jfloat *v = (*env)->GetFloatArrayElements(env, x, NULL);
    if (!v) goto done;
    int rc = faissx_Index_range_search(IDX(h), n, v, radius, res);
    DROP_FLOATS(v, x);
    if (!ok(env, rc)) goto done;

    size_t *lims = NULL;
    idx_t *lab = NULL;
    float *dist = NULL;
    faissx_RangeSearchResult_lims(res, &lims);
    faissx_RangeSearchResult_labels(res, &lab, &dist);
    size_t total = lims[n];
    if (total > INT_MAX - 8) {
        throw_java(env, "java/lang/OutOfMemoryError", "range search result exceeds a Java array");
        goto done;
    }
    jlongArray jlims = (*env)->NewLongArray(env, (jsize)(n + 1));
    jlongArray jlab = (*env)->NewLongArray(env, (jsize)total);
    jfloatArray jdist = (*env)->NewFloatArray(env, (jsize)total);
    if (!jlims || !jlab || !jdist) goto done;
    for (jlong i = 0; i <= n; i++) {
        jlong l = (jlong)lims[i];
        (*env)->SetLongArrayRegion(env, jlims, (jsize)i, 1, &l);
    }
    (*env)->SetLongArrayRegion(env, jlab, 0, (jsize)total, (const jlong *)lab);
    (*env)->SetFloatArrayRegion(env, jdist, 0, (jsize)total, dist);
    result = (*env)->NewObject(env, range_class, range_ctor, jlims, jlab, jdist);
done:
    faissx_RangeSearchResult_free(res);
    return result;
}

/* ---- modification ---- */

static jlong remove_with(JNIEnv *env, jlong h, FaissIDSelector *sel) {
    size_t removed = 0;
    int rc = faissx_Index_remove_ids(IDX(h), sel, &removed);
    faissx_IDSelector_free(sel);
    return ok(env, rc) ? (jlong)removed : 0;
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_removeIds(JNIEnv *env, jclass cls, jlong h,
                                                        jlongArray ids) {
    (void)cls;
    jsize n = (*env)->GetArrayLength(env, ids);
    jlong *id = (*env)->GetLongArrayElements(env, ids, NULL);
    if (!id) return 0;
    FaissIDSelectorBatch *sel = NULL;
    int rc = faissx_IDSelectorBatch_new(&sel, (size_t)n, (const idx_t *)id);
    (*env)->ReleaseLongArrayElements(env, ids, id, JNI_ABORT);
    if (!ok(env, rc)) return 0;
    return remove_with(env, h, (FaissIDSelector *)sel);
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_removeRange(JNIEnv *env, jclass cls, jlong h,
                                                          jlong min, jlong max) {
    (void)cls;
    FaissIDSelectorRange *sel = NULL;
    if (!ok(env, faissx_IDSelectorRange_new(&sel, min, max))) return 0;
    return remove_with(env, h, (FaissIDSelector *)sel);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_reconstruct(JNIEnv *env, jclass cls, jlong h,
                                                         jlong id, jfloatArray out) {
    (void)cls;
    jsize d = (*env)->GetArrayLength(env, out);
    float *v = malloc((size_t)d * sizeof(float) + 1);
    if (!v) {
        throw_java(env, "java/lang/OutOfMemoryError", "reconstruct buffer");
        return;
    }
    if (ok(env, faissx_Index_reconstruct(IDX(h), id, v)))
        (*env)->SetFloatArrayRegion(env, out, 0, d, v);
    free(v);
}

JNIEXPORT void JNICALL Java_io_faissx_Native_reset(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    ok(env, faissx_Index_reset(IDX(h)));
}

/* ---- merging and splitting ---- */

JNIEXPORT jlong JNICALL Java_io_faissx_Native_merge(JNIEnv *env, jclass cls, jlongArray handles) {
    (void)cls;
    jsize n = (*env)->GetArrayLength(env, handles);
    const FaissIndex **indexes = malloc((size_t)n * sizeof *indexes + 1);
    if (!indexes) {
        throw_java(env, "java/lang/OutOfMemoryError", "merge handles");
        return 0;
    }
    jlong *h = (*env)->GetLongArrayElements(env, handles, NULL);
    if (!h) {
        free(indexes);
        return 0;
    }
    for (jsize i = 0; i < n; i++) indexes[i] = IDX(h[i]);
    (*env)->ReleaseLongArrayElements(env, handles, h, JNI_ABORT);
    FaissIndex *idx = NULL;
    int rc = faissx_merge_indices(indexes, (size_t)n, &idx);
    free(indexes);
    return ok(env, rc) ? HANDLE(idx) : 0;
}

JNIEXPORT jlongArray JNICALL Java_io_faissx_Native_split(JNIEnv *env, jclass cls, jlong h,
                                                         jint parts) {
    (void)cls;
    /* Allocated first: once faissx has made the parts, nothing may fail before Java owns them. */
    jlongArray result = (*env)->NewLongArray(env, parts);
    FaissIndex **out = calloc((size_t)parts, sizeof *out);
    if (!result || !out) {
        free(out);
        if (result) throw_java(env, "java/lang/OutOfMemoryError", "split handles");
        return NULL;
    }
    if (ok(env, faissx_split_index(IDX(h), (size_t)parts, out))) {
        for (jint k = 0; k < parts; k++) {
            jlong part = HANDLE(out[k]);
            (*env)->SetLongArrayRegion(env, result, k, 1, &part);
        }
    } else {
        result = NULL;
    }
    free(out);
    return result;
}

/* ---- serialization ---- */

JNIEXPORT void JNICALL Java_io_faissx_Native_writeFile(JNIEnv *env, jclass cls, jlong h,
                                                       jbyteArray path) {
    (void)cls;
    const char *p = cstr(env, path);
    if (!p) return;
    int rc = faissx_write_index_fname(IDX(h), p);
    drop_cstr(env, path, p);
    ok(env, rc);
}

JNIEXPORT jbyteArray JNICALL Java_io_faissx_Native_toBytes(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    size_t size = 0;
    uint8_t *buf = NULL;
    if (!ok(env, faissx_write_index_buf(IDX(h), &size, &buf))) return NULL;
    jbyteArray out = NULL;
    if (size > INT_MAX - 8)
        throw_java(env, "java/lang/OutOfMemoryError", "serialized index exceeds a Java array");
    else if ((out = (*env)->NewByteArray(env, (jsize)size)))
        (*env)->SetByteArrayRegion(env, out, 0, (jsize)size, (const jbyte *)buf);
    faissx_free_buf(&buf);
    return out;
}

/* ---- family parameters ---- */

JNIEXPORT void JNICALL Java_io_faissx_Native_ivfSetNprobe(JNIEnv *env, jclass cls, jlong h,
                                                          jlong nprobe) {
    (void)cls;
    faissx_clear_last_error();
    faissx_IndexIVF_set_nprobe(IDX(h), (size_t)nprobe);
    unfailed(env);
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_ivfNprobe(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    size_t v = faissx_IndexIVF_nprobe(IDX(h));
    return unfailed(env) ? (jlong)v : 0;
}

JNIEXPORT jlong JNICALL Java_io_faissx_Native_ivfNlist(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    size_t v = faissx_IndexIVF_nlist(IDX(h));
    return unfailed(env) ? (jlong)v : 0;
}

JNIEXPORT void JNICALL Java_io_faissx_Native_hnswSetEfSearch(JNIEnv *env, jclass cls, jlong h,
                                                             jint ef) {
    (void)cls;
    faissx_clear_last_error();
    faissx_IndexHNSW_set_efSearch(IDX(h), ef);
    unfailed(env);
}

JNIEXPORT jint JNICALL Java_io_faissx_Native_hnswEfSearch(JNIEnv *env, jclass cls, jlong h) {
    (void)cls;
    faissx_clear_last_error();
    int v = faissx_IndexHNSW_efSearch(IDX(h));
    return unfailed(env) ? v : 0;
}

JNIEXPORT void JNICALL Java_io_faissx_Native_hnswSetEfConstruction(JNIEnv *env, jclass cls,
                                                                   jlong h, jint ef) {
    (void)cls;
    faissx_clear_last_error();
    faissx_IndexHNSW_set_efConstruction(IDX(h), ef);
    unfailed(env);
}

JNIEXPORT jint JNICALL Java_io_faissx_Native_hnswEfConstruction(JNIEnv *env, jclass cls,
                                                                jlong h) {
    (void)cls;
    faissx_clear_last_error();
    int v = faissx_IndexHNSW_efConstruction(IDX(h));
    return unfailed(env) ? v : 0;
}
