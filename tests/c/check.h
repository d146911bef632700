/* Shared helpers for the C tests: assertions that report the failing expression together with
 * faissx's last error, a fixed-seed PRNG, and brute-force references to compare FAISS against.
 * A failed check ends the program at once (exit code 1): what follows usually depends on it. */
#ifndef FAISSX_TESTS_CHECK_H
#define FAISSX_TESTS_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faissx_c.h"

static inline const char *last_error(void) {
    const char *msg = faissx_get_last_error();
    return msg ? msg : "(none)";
}

static inline void check_fail(const char *file, int line, const char *expr, const char *why) {
    fprintf(stderr, "%s:%d: CHECK failed: %s%s%s\n  last error: %s\n", file, line, expr,
            why ? " -- " : "", why ? why : "", last_error());
    fflush(stderr);
    /* _Exit: skip LeakSanitizer's exit-time report, which would only list the objects the
     * aborted test still held. */
    _Exit(1);
}

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) check_fail(__FILE__, __LINE__, #cond, NULL);                       \
    } while (0)

#define CHECK_OK(call)                                                                  \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != 0) {                                                                 \
            char why_[64];                                                              \
            snprintf(why_, sizeof why_, "returned %d, expected 0", rc_);                \
            check_fail(__FILE__, __LINE__, #call, why_);                                \
        }                                                                               \
    } while (0)

/* The last error must name the function called in `expr` (the identifier it starts with) and
 * contain `needle` (the argument at fault, or a word of FAISS's message). */
static inline void check_msg(const char *file, int line, const char *expr, const char *needle) {
    char fn[128];
    size_t len = strcspn(expr, "( ");
    if (len >= sizeof fn) len = sizeof fn - 1;
    memcpy(fn, expr, len);
    fn[len] = '\0';
    const char *msg = faissx_get_last_error();
    if (!msg) check_fail(file, line, expr, "no last error was set");
    if (!strstr(msg, fn)) check_fail(file, line, expr, "last error does not name the function");
    if (needle && !strstr(msg, needle)) {
        char why[160];
        snprintf(why, sizeof why, "last error does not mention \"%s\"", needle);
        check_fail(file, line, expr, why);
    }
}

/* A fallible call must return `code` and leave a message naming the function and `needle`. */
#define CHECK_ERR(call, code, needle)                                                   \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != (code)) {                                                            \
            char why_[64];                                                              \
            snprintf(why_, sizeof why_, "returned %d, expected %d", rc_, (int)(code));  \
            check_fail(__FILE__, __LINE__, #call, why_);                                \
        }                                                                               \
        check_msg(__FILE__, __LINE__, #call, needle);                                   \
    } while (0)

/* Any non-zero code, for failures whose exact code is FAISS's business (corrupt files). */
#define CHECK_FAILS(call, needle)                                                       \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ == 0) check_fail(__FILE__, __LINE__, #call, "succeeded, expected an error"); \
        check_msg(__FILE__, __LINE__, #call, needle);                                   \
    } while (0)

/* Overwrites the last error with one naming another function, so that the next check proves
 * the message came from the call under test (for getters and void functions, which return no
 * code). The sentinel is a fallible function, which no getter check ever names. */
static inline void reset_error(void) { (void)faissx_RangeSearchResult_new(NULL, 0); }

/* A getter or cast given a bad handle must return 0 / NULL and set a message. */
#define CHECK_ZERO_ERR(call, needle)                                                    \
    do {                                                                                \
        reset_error();                                                                  \
        if ((call) != 0) check_fail(__FILE__, __LINE__, #call, "expected 0 / NULL");    \
        check_msg(__FILE__, __LINE__, #call, needle);                                   \
    } while (0)

/* A void call given a bad argument must do nothing but set a message. */
#define CHECK_VOID_ERR(call, needle)                                                    \
    do {                                                                                \
        reset_error();                                                                  \
        call;                                                                           \
        check_msg(__FILE__, __LINE__, #call, needle);                                   \
    } while (0)

static inline int close_to(double a, double b, double tol) {
    return fabs(a - b) <= tol * (1.0 + fabs(b));
}

#define CHECK_NEAR(a, b, tol)                                                           \
    do {                                                                                \
        double a_ = (a), b_ = (b);                                                      \
        if (!close_to(a_, b_, (tol))) {                                                 \
            char why_[96];                                                              \
            snprintf(why_, sizeof why_, "%.7g vs %.7g", a_, b_);                        \
            check_fail(__FILE__, __LINE__, #a " ~ " #b, why_);                          \
        }                                                                               \
    } while (0)

/* splitmix64: fixed-seed, platform-independent, unlike rand(). */
typedef struct {
    uint64_t state;
} rng_t;

static inline uint64_t rng_next(rng_t *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline float rng_float(rng_t *r) { return (float)(rng_next(r) >> 40) / (float)(1 << 24); }

static inline float *random_vectors(size_t n, size_t d, uint64_t seed) {
    rng_t r = {seed};
    float *x = malloc(n * d * sizeof *x);
    if (!x) abort();
    for (size_t i = 0; i < n * d; i++) x[i] = rng_float(&r);
    return x;
}

static inline uint8_t *random_bytes(size_t n, uint64_t seed) {
    rng_t r = {seed};
    uint8_t *x = malloc(n ? n : 1);
    if (!x) abort();
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)rng_next(&r);
    return x;
}

static inline float ref_l2(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t j = 0; j < d; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return (float)s;
}

static inline float ref_ip(const float *a, const float *b, size_t d) {
    double s = 0;
    for (size_t j = 0; j < d; j++) s += (double)a[j] * b[j];
    return (float)s;
}

static inline int ref_hamming(const uint8_t *a, const uint8_t *b, size_t nbytes) {
    int s = 0;
    for (size_t j = 0; j < nbytes; j++) s += __builtin_popcount((unsigned)(a[j] ^ b[j]));
    return s;
}

/* The k nearest of `nb` database vectors to query `q` (L2, or largest inner product when
 * `ip`), by exhaustive search: the reference FAISS's results are compared with. */
static inline void ref_knn(const float *q, const float *xb, size_t nb, size_t d, size_t k, int ip,
                           float *dis, idx_t *lab) {
    for (size_t i = 0; i < k; i++) {
        dis[i] = ip ? -INFINITY : INFINITY;
        lab[i] = -1;
    }
    for (size_t b = 0; b < nb; b++) {
        float v = ip ? ref_ip(q, xb + b * d, d) : ref_l2(q, xb + b * d, d);
        size_t pos = k;
        while (pos > 0 && (ip ? v > dis[pos - 1] : v < dis[pos - 1])) pos--;
        if (pos == k) continue;
        memmove(dis + pos + 1, dis + pos, (k - pos - 1) * sizeof *dis);
        memmove(lab + pos + 1, lab + pos, (k - pos - 1) * sizeof *lab);
        dis[pos] = v;
        lab[pos] = (idx_t)b;
    }
}

/* Compares FAISS's k-NN results with the brute-force reference for every query. */
static inline void check_knn(const char *file, int line, const float *xq, size_t nq,
                             const float *xb, size_t nb, size_t d, size_t k, int ip,
                             const float *dis, const idx_t *lab) {
    float *rd = malloc(k * sizeof *rd);
    idx_t *rl = malloc(k * sizeof *rl);
    for (size_t q = 0; q < nq; q++) {
        ref_knn(xq + q * d, xb, nb, d, k, ip, rd, rl);
        for (size_t i = 0; i < k; i++) {
            char why[128];
            if (!close_to(dis[q * k + i], rd[i], 1e-4)) {
                snprintf(why, sizeof why, "query %zu rank %zu: distance %g, brute force %g", q, i,
                         dis[q * k + i], rd[i]);
                check_fail(file, line, "search == brute force", why);
            }
            /* Near-ties may swap; the label is right when its true distance is the one found. */
            float got = lab[q * k + i] < 0 ? NAN
                        : ip ? ref_ip(xq + q * d, xb + lab[q * k + i] * d, d)
                             : ref_l2(xq + q * d, xb + lab[q * k + i] * d, d);
            if (!close_to(got, rd[i], 1e-4)) {
                snprintf(why, sizeof why, "query %zu rank %zu: label %lld, brute force %lld", q,
                         i, (long long)lab[q * k + i], (long long)rl[i]);
                check_fail(file, line, "search == brute force", why);
            }
        }
    }
    free(rd);
    free(rl);
}

#define CHECK_KNN(xq, nq, xb, nb, d, k, ip, dis, lab)                                   \
    check_knn(__FILE__, __LINE__, xq, nq, xb, nb, d, k, ip, dis, lab)

#endif
