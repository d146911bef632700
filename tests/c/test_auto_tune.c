/* AutoTune_c.h: ParameterSpace sets index parameters by name, through wrappers too; ranges
 * and combinations as far as the C API exposes them (ranges cannot be filled from C). */
#include "check.h"

enum { D = 8, NB = 300, NLIST = 6 };

static FaissIndex *trained_ivf(FaissIndex **quantizer, const float *xb) {
    FaissIndex *ivf = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(quantizer, D));
    CHECK_OK(faissx_IndexIVFFlat_new_with(&ivf, *quantizer, D, NLIST));
    faissx_IndexIVF_set_own_fields(ivf, 1);
    CHECK_OK(faissx_Index_train(ivf, NB, xb));
    return ivf;
}

static void test_set_parameters(const float *xb) {
    FaissParameterSpace *space = NULL;
    CHECK_OK(faissx_ParameterSpace_new(&space));
    FaissIndex *quantizer = NULL;
    FaissIndex *ivf = trained_ivf(&quantizer, xb);

    CHECK_OK(faissx_ParameterSpace_set_index_parameter(space, ivf, "nprobe", 4));
    CHECK(faissx_IndexIVF_nprobe(ivf) == 4);
    CHECK_OK(faissx_ParameterSpace_set_index_parameters(space, ivf, "nprobe=5"));
    CHECK(faissx_IndexIVF_nprobe(ivf) == 5);

    /* Through an IDMap, the setting reaches the IVF inside. */
    FaissIndexIDMap *idmap = NULL;
    CHECK_OK(faissx_IndexIDMap_new(&idmap, ivf));
    faissx_IndexIDMap_set_own_fields(idmap, 1);
    CHECK_OK(faissx_ParameterSpace_set_index_parameters(space, idmap, "nprobe=3"));
    CHECK(faissx_IndexIVF_nprobe(ivf) == 3);

    /* A parameter the index does not have is FAISS's error. */
    CHECK_ERR(faissx_ParameterSpace_set_index_parameter(space, idmap, "no_such_parameter", 1),
              FAISSX_ERR_FAISS, "no_such_parameter");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameters(space, idmap, "no_such_parameter=2"),
              FAISSX_ERR_FAISS, "no_such_parameter");
    CHECK(faissx_IndexIVF_nprobe(ivf) == 3);

    /* With no ranges there is one combination, the empty one, which changes nothing. */
    CHECK(faissx_ParameterSpace_n_combinations(space) == 1);
    char name[64];
    memset(name, 'x', sizeof name);
    CHECK_OK(faissx_ParameterSpace_combination_name(space, 0, name, sizeof name));
    CHECK(strcmp(name, "") == 0);
    CHECK_OK(faissx_ParameterSpace_set_index_parameters_cno(space, idmap, 0));
    CHECK(faissx_IndexIVF_nprobe(ivf) == 3);
    faissx_ParameterSpace_display(space);

    CHECK_ERR(faissx_ParameterSpace_set_index_parameters_cno(space, idmap, 1),
              FAISSX_ERR_INVALID_ARGUMENT, "cno");
    CHECK_ERR(faissx_ParameterSpace_combination_name(space, 1, name, sizeof name),
              FAISSX_ERR_INVALID_ARGUMENT, "cno");
    faissx_Index_free(idmap);
    faissx_ParameterSpace_free(space);
}

static void test_ranges(void) {
    FaissParameterSpace *space = NULL;
    CHECK_OK(faissx_ParameterSpace_new(&space));
    FaissParameterRange *range = NULL;
    CHECK_OK(faissx_ParameterSpace_add_range(space, "nprobe", &range));
    CHECK(range != NULL);
    CHECK(strcmp(faissx_ParameterRange_name(range), "nprobe") == 0);
    double *values = NULL;
    size_t size = 99;
    faissx_ParameterRange_values(range, &values, &size);
    CHECK(size == 0); /* C cannot add values: an empty range */
    /* The number of combinations is the product of the range sizes. */
    CHECK(faissx_ParameterSpace_n_combinations(space) == 0);
    /* Adding the same name again returns the same range. */
    FaissParameterRange *again = NULL;
    CHECK_OK(faissx_ParameterSpace_add_range(space, "nprobe", &again));
    CHECK(again == range);
    /* The out-pointer is optional. */
    CHECK_OK(faissx_ParameterSpace_add_range(space, "efSearch", NULL));
    faissx_ParameterSpace_display(space);
    faissx_ParameterSpace_free(space);
}

static void test_errors(void) {
    FaissParameterSpace *space = NULL;
    CHECK_OK(faissx_ParameterSpace_new(&space));
    FaissIndex *flat = NULL;
    CHECK_OK(faissx_IndexFlatL2_new_with(&flat, D));
    char name[8];
    CHECK_ERR(faissx_ParameterSpace_new(NULL), FAISSX_ERR_INVALID_ARGUMENT, "space");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameters(NULL, flat, "nprobe=1"),
              FAISSX_ERR_INVALID_ARGUMENT, "space");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameters(space, NULL, "nprobe=1"),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameters(space, flat, NULL),
              FAISSX_ERR_INVALID_ARGUMENT, "param_string");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameter(space, flat, NULL, 1),
              FAISSX_ERR_INVALID_ARGUMENT, "name");
    CHECK_ERR(faissx_ParameterSpace_set_index_parameters_cno(space, NULL, 0),
              FAISSX_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(faissx_ParameterSpace_combination_name(space, 0, NULL, 8),
              FAISSX_ERR_INVALID_ARGUMENT, "char_buf");
    CHECK_ERR(faissx_ParameterSpace_combination_name(NULL, 0, name, 8),
              FAISSX_ERR_INVALID_ARGUMENT, "space");
    CHECK_ERR(faissx_ParameterSpace_add_range(space, NULL, NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "name");
    CHECK_ERR(faissx_ParameterSpace_add_range(NULL, "nprobe", NULL), FAISSX_ERR_INVALID_ARGUMENT,
              "space");
    CHECK_ZERO_ERR(faissx_ParameterSpace_n_combinations(NULL), "is NULL");
    CHECK_ZERO_ERR(faissx_ParameterRange_name(NULL), "is NULL");
    double *values = NULL;
    size_t size = 0;
    CHECK_VOID_ERR(faissx_ParameterRange_values(NULL, &values, &size), "is NULL");
    CHECK_VOID_ERR(faissx_ParameterSpace_display(NULL), "is NULL");
    faissx_ParameterSpace_free(NULL);
    faissx_Index_free(flat);
    faissx_ParameterSpace_free(space);
}

int main(void) {
    float *xb = random_vectors(NB, D, 141);
    test_set_parameters(xb);
    test_ranges();
    test_errors();
    free(xb);
    return 0;
}
