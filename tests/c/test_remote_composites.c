/* FAISS's composites over remote indexes, under AddressSanitizer and LeakSanitizer: a shard set
 * keeps the remote handles it was given alive after the caller frees them (no use after free),
 * and frees them when it goes (no leak); so do an IDMap and an IVF built here over a remote
 * index. Starts its own faissx-server processes (the build's,
 * next to libfaissx.so) on loopback ports. */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

enum { D = 8, NB = 600, NQ = 10, K = 5 };

typedef struct {
    pid_t pid;
    char endpoint[256];
} server;

/* Runs target/release/faissx-server (this program is target/ctests/NAME) and reads the
 * endpoint it prints once it listens. */
static server start_server(void) {
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(len > 0);
    self[len] = '\0';
    char binary[PATH_MAX + 64];
    snprintf(binary, sizeof binary, "%s/../release/faissx-server", dirname(self));
    int out[2];
    CHECK(pipe(out) == 0);
    server s = {0};
    s.pid = fork();
    CHECK(s.pid >= 0);
    if (s.pid == 0) {
        /* A failed CHECK ends this program at once: the server must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(binary, binary, "--bind-address", "127.0.0.1", "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *lines = fdopen(out[0], "r");
    CHECK(lines);
    char line[256] = {0};
    CHECK(fgets(line, sizeof line, lines));
    fclose(lines);
    const char *prefix = "listening on ";
    CHECK(strncmp(line, prefix, strlen(prefix)) == 0);
    snprintf(s.endpoint, sizeof s.endpoint, "%s", line + strlen(prefix));
    s.endpoint[strcspn(s.endpoint, "\r\n")] = '\0';
    return s;
}

static void stop_server(server s) {
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
}

static FaissIndex *remote_flat(const server *s) {
    CHECK_OK(faissx_configure(s->endpoint, NULL, NULL));
    FaissIndex *index = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&index, D));
    CHECK(faissx_is_remote(index) == 1);
    CHECK_OK(faissx_configure(NULL, NULL, NULL));
    return index;
}

int main(void) {
    server servers[2] = {start_server(), start_server()};
    float *xb = random_vectors(NB, D, 77);
    float *xq = random_vectors(NQ, D, 78);

    /* Shards on two servers; the caller frees its handles, the shard set still searches. */
    FaissIndexShards *shards = NULL;
    CHECK_OK(faissx_IndexShards_new_with_options(&shards, D, 1, 1));
    FaissIndex *parts[2] = {remote_flat(&servers[0]), remote_flat(&servers[1])};
    for (int s = 0; s < 2; s++) CHECK_OK(faissx_IndexShards_add_shard(shards, parts[s]));
    for (int s = 0; s < 2; s++) CHECK(faissx_IndexShards_at(shards, s) == parts[s]);
    CHECK_OK(faissx_Index_add(shards, NB, xb));
    float dis[NQ * K], again_dis[NQ * K];
    idx_t lab[NQ * K], again_lab[NQ * K];
    CHECK_OK(faissx_Index_search(shards, NQ, xq, K, dis, lab));
    CHECK_KNN(xq, NQ, xb, NB, D, K, 0, dis, lab);
    for (int s = 0; s < 2; s++) faissx_Index_free(parts[s]);
    CHECK_OK(faissx_Index_search(shards, NQ, xq, K, again_dis, again_lab));
    CHECK(memcmp(dis, again_dis, sizeof dis) == 0);
    CHECK(memcmp(lab, again_lab, sizeof lab) == 0);
    /* What `at` lends now is the shard's face, a local index forwarding to the server. */
    FaissIndex *face = faissx_IndexShards_at(shards, 1);
    CHECK(face && faissx_is_remote(face) == 0);
    CHECK(faissx_Index_ntotal(face) == NB / 2);
    CHECK_OK(faissx_IndexShards_remove_shard(shards, face));
    CHECK(faissx_Index_ntotal(shards) == NB / 2);
    faissx_IndexShards_free(shards);

    /* Replicas owning their members free the caller's handles with themselves. */
    FaissIndexReplicas *replicas = NULL;
    CHECK_OK(faissx_IndexReplicas_new(&replicas, D));
    for (int s = 0; s < 2; s++) {
        CHECK_OK(faissx_IndexReplicas_add_replica(replicas, remote_flat(&servers[s])));
    }
    faissx_IndexReplicas_set_own_fields(replicas, 1);
    CHECK_OK(faissx_Index_add(replicas, NB, xb));
    CHECK_OK(faissx_Index_search(replicas, NQ, xq, K, again_dis, again_lab));
    CHECK(memcmp(lab, again_lab, sizeof lab) == 0);
    faissx_IndexReplicas_free(replicas);

    /* k-means with a remote IVF index runs FAISS's k-means over its face. */
    CHECK_OK(faissx_configure(servers[0].endpoint, NULL, NULL));
    FaissIndex *ivf = NULL;
    CHECK_OK(faissx_index_factory(&ivf, D, "IVF2,Flat", METRIC_L2));
    CHECK_OK(faissx_configure(NULL, NULL, NULL));
    FaissClustering *clustering = NULL;
    CHECK_OK(faissx_Clustering_new(&clustering, D, 4));
    CHECK_OK(faissx_Clustering_train(clustering, NB, xb, ivf));
    CHECK(faissx_Index_ntotal(ivf) == 4);
    faissx_Clustering_free(clustering);
    faissx_Index_free(ivf);

    /* FAISS's IDMap built here over a remote index (remote mode off): the caller frees the
     * sub-index first, the IDMap still adds, searches and removes through it. */
    FaissIndex *sub = remote_flat(&servers[0]);
    FaissIndexIDMap *id_map = NULL;
    CHECK_OK(faissx_IndexIDMap_new(&id_map, sub));
    CHECK(faissx_is_remote(id_map) == 0);
    CHECK(faissx_IndexIDMap_sub_index(id_map) == sub);
    idx_t *ids = malloc(sizeof(idx_t) * NB);
    CHECK(ids);
    for (idx_t i = 0; i < NB; i++) ids[i] = 1000 + 3 * i;
    CHECK_OK(faissx_Index_add_with_ids(id_map, NB, xb, ids));
    faissx_Index_free(sub);
    CHECK(faissx_IndexIDMap_sub_index(id_map) != sub);
    CHECK_OK(faissx_Index_search(id_map, NQ, xq, K, again_dis, again_lab));
    for (int i = 0; i < NQ * K; i++) CHECK(again_lab[i] == 1000 + 3 * lab[i]);
    FaissIDSelectorRange *range = NULL;
    CHECK_OK(faissx_IDSelectorRange_new(&range, 1000, 1000 + 3 * 10));
    size_t removed = 0;
    CHECK_OK(faissx_Index_remove_ids(id_map, (FaissIDSelector *)range, &removed));
    CHECK(removed == 10 && faissx_Index_ntotal(id_map) == NB - 10);
    faissx_IDSelector_free((FaissIDSelector *)range);
    faissx_Index_free(id_map);
    free(ids);

    /* An IVF owning its remote quantizer frees it with itself. */
    FaissIndexIVFFlat *ivf_flat = NULL;
    CHECK_OK(faissx_IndexIVFFlat_new_with(&ivf_flat, remote_flat(&servers[1]), D, 4));
    faissx_IndexIVF_set_own_fields(ivf_flat, 1);
    CHECK_OK(faissx_Index_train(ivf_flat, NB, xb));
    CHECK_OK(faissx_Index_add(ivf_flat, NB, xb));
    CHECK(faissx_Index_ntotal(faissx_IndexIVF_quantizer(ivf_flat)) == 4);
    faissx_Index_free(ivf_flat);

    /* A composite with a remote member cannot be written. */
    CHECK_OK(faissx_IndexShards_new(&shards, D));
    parts[0] = remote_flat(&servers[0]);
    CHECK_OK(faissx_IndexShards_add_shard(shards, parts[0]));
    size_t size = 0;
    uint8_t *buf = NULL;
    CHECK_ERR(faissx_write_index_buf(shards, &size, &buf), FAISSX_ERR_UNSUPPORTED, "remote index");
    faissx_IndexShards_free(shards);
    faissx_Index_free(parts[0]);

    free(xb);
    free(xq);
    for (int s = 0; s < 2; s++) stop_server(servers[s]);
    puts("ok");
    return 0;
}
