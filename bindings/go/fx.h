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

#endif
