/* error_c.h: the last error is per thread, set by every failure, kept across successes, and its
 * codes line up with FAISS's FaissErrorCode. */
#include <threads.h>

#include "check.h"

static int other_thread(void *arg) {
    (void)arg;
    /* A new thread starts with no message, whatever other threads did. */
    if (faissx_get_last_error() != NULL) return 1;
    if (faissx_Index_add(NULL, 1, NULL) != FAISSX_ERR_INVALID_ARGUMENT) return 2;
    const char *msg = faissx_get_last_error();
    if (!msg || !strstr(msg, "faissx_Index_add")) return 3;
    return 0;
}

int main(void) {
    /* Nothing has failed yet. */
    CHECK(faissx_get_last_error() == NULL);

    /* The codes are FAISS's where FAISS has them. */
    CHECK(FAISSX_OK == OK);
    CHECK(FAISSX_ERR_UNKNOWN == UNKNOWN_EXCEPT);
    CHECK(FAISSX_ERR_FAISS == FAISS_EXCEPT);
    CHECK(FAISSX_ERR_STD == STD_EXCEPT);
    CHECK(FAISSX_ERR_INVALID_ARGUMENT < 0 && FAISSX_ERR_UNSUPPORTED < 0 && FAISSX_ERR_IO < 0);

    /* faissx's own check: the function and the argument. */
    FaissIndex *index = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&index, 4));
    float dis[1];
    idx_t lab[1];
    CHECK_ERR(faissx_Index_search(index, 1, NULL, 1, dis, lab), FAISSX_ERR_INVALID_ARGUMENT,
              "x is NULL");
    /* FAISS's own failure carries FAISS's text. */
    CHECK_ERR(faissx_index_factory(&index, 4, "Bogus", METRIC_L2), FAISSX_ERR_FAISS, "Bogus");
    const char *kept = faissx_get_last_error();
    char copy[512];
    snprintf(copy, sizeof copy, "%s", kept);

    /* Successful calls leave the message alone. */
    CHECK_OK(faissx_Index_add(index, 0, NULL));
    CHECK(faissx_Index_d(index) == 4);
    CHECK(strcmp(faissx_get_last_error(), copy) == 0);

    /* Another thread's failure is not this thread's. */
    thrd_t thread;
    CHECK(thrd_create(&thread, other_thread, NULL) == thrd_success);
    int result = -1;
    CHECK(thrd_join(thread, &result) == thrd_success);
    CHECK(result == 0);
    CHECK(strcmp(faissx_get_last_error(), copy) == 0);

    /* The next failure replaces it. */
    CHECK_ERR(faissx_Index_add(index, -1, NULL), FAISSX_ERR_INVALID_ARGUMENT, "n");
    CHECK(strcmp(faissx_get_last_error(), copy) != 0);
    faissx_Index_free(index);
    return 0;
}
