// Included by every cgo preamble of package faiss.
#ifndef FAISSX_GO_FX_H
#define FAISSX_GO_FX_H

#include <stdlib.h>
#include <string.h>

#include "faissx_c.h"

// On failure, copies the calling thread's faissx message into *msg (malloc'd; Go frees it).
// This must run in the same cgo call as the failing function: the message is thread-local,
// and a goroutine may be on another OS thread by its next cgo call.
static inline int fx_check(int rc, char **msg) {
	if (rc != 0) {
		const char *text = faissx_get_last_error();
		*msg = strdup(text != NULL ? text : "(faissx gave no message)");
	}
	return rc;
}

// Getters cannot return a code: a failed one (remote, with the server gone) returns 0 and sets
// the thread's last error code. FX_GETTER(name, type, getter) defines
// `type name(FaissIndex *i, int *rc, char **msg)`, which clears the code first, so that a
// genuine 0 is not taken for a failure, and reports it as fx_check does: in the same cgo call,
// because the code too is per OS thread.
#define FX_GETTER(name, type, getter)                      \
	static type name(FaissIndex *i, int *rc, char **msg) { \
		faissx_clear_last_error();                         \
		type v = getter(i);                                \
		*rc = fx_check(faissx_get_last_error_code(), msg); \
		return v;                                          \
	}

#endif
