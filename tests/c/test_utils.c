/* utils/utils_c.h: FAISS's version, the one faissx is built against and reports itself. */
#include "check.h"

int main(void) {
    const char *version = faissx_get_version();
    CHECK(version != NULL);
    int major = -1, minor = -1, patch = -1, used = 0;
    CHECK(sscanf(version, "%d.%d.%d%n", &major, &minor, &patch, &used) == 3);
    CHECK(version[used] == '\0');
    /* faissx mirrors FAISS 1.12's C API. */
    CHECK(major == 1 && minor == 12 && patch >= 0);
    /* The same static string each time. */
    CHECK(faissx_get_version() == version);
    /* faissx's own version string names the FAISS it runs on. */
    CHECK(strstr(faissx_version(), version) != NULL);
    return 0;
}
