/* Remote quick start: the quick start's IndexFlatL2, living on a faissx-server.
 *
 *   faissx-server --port 45678 &
 *   remote_quickstart tcp://127.0.0.1:45678 [api_key [tenant]]
 *
 * Without arguments the server, API key and tenant come from FAISSX_SERVER, FAISSX_API_KEY and
 * FAISSX_TENANT_ID. After faissx_configure, every constructor creates its index on the server;
 * every other call is the same as in examples/quickstart.c, and so are the results. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "faissx_c.h"

enum { D = 128, NB = 100, NQ = 5, K = 5 };

/* The same fixed-seed generator as the local quick start: the same vectors, the same results. */
static float next_uniform(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(*state >> 40) / (float)(1 << 24); /* [0, 1) */
}

int main(int argc, char **argv) {
    const char *server = argc > 1 ? argv[1] : getenv("FAISSX_SERVER");
    const char *api_key = argc > 2 ? argv[2] : getenv("FAISSX_API_KEY");
    const char *tenant = argc > 3 ? argv[3] : getenv("FAISSX_TENANT_ID");
    if (server == NULL || server[0] == '\0') {
        fprintf(stderr, "usage: %s tcp://HOST:PORT [api_key [tenant]] (or set FAISSX_SERVER)\n",
                argv[0]);
        return 2;
    }

    static float xb[NB * D];
    uint64_t state = 42;
    for (int i = 0; i < NB * D; i++) xb[i] = next_uniform(&state);

    FaissIndex *index = NULL;
    float distances[NQ * K];
    idx_t labels[NQ * K];

    /* Nothing is sent yet: a wrong address or key shows at the first call that needs the server. */
    int rc = faissx_configure(server, api_key, tenant);
    if (rc == 0) rc = faissx_ping();
    if (rc == 0) rc = faissx_IndexFlatL2_new_with(&index, D);
    if (rc == 0) rc = faissx_Index_add(index, NB, xb);
    /* The first NQ database vectors are the queries: each should find itself first. */
    if (rc == 0) rc = faissx_Index_search(index, NQ, xb, K, distances, labels);
    if (rc != 0) {
        /* FAISSX_ERR_TRANSPORT: no server there; FAISSX_ERR_AUTH: the key was refused. */
        fprintf(stderr, "faissx error %d: %s\n", rc, faissx_get_last_error());
        faissx_Index_free(index);
        return 1;
    }

    printf("%s\nindex '%s' on %s (remote: %s)\n", faissx_version(), faissx_remote_name(index),
           server, faissx_is_remote(index) == 1 ? "yes" : "no");
    printf("%lld vectors of dimension %d; %d nearest neighbours (label: squared L2)\n\n",
           (long long)faissx_Index_ntotal(index), faissx_Index_d(index), K);
    printf("query |");
    for (int j = 0; j < K; j++) printf("         rank %d", j + 1);
    printf("\n");
    int ok = faissx_is_remote(index) == 1;
    for (int i = 0; i < NQ; i++) {
        printf("%5d |", i);
        for (int j = 0; j < K; j++)
            printf(" %4lld: %8.4f", (long long)labels[i * K + j], distances[i * K + j]);
        printf("\n");
        ok = ok && labels[i * K] == i && distances[i * K] == 0.0f;
    }

    /* Freeing the handle deletes the index on the server (faissx_remote_open handles do not). */
    faissx_Index_free(index);
    if (!ok) {
        fprintf(stderr, "expected a remote index where every query finds itself first\n");
        return 1;
    }
    return 0;
}
