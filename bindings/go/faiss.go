// Package faiss is the Go binding of faissx: FAISS's C API served by libfaissx, in this process
// or on a faissx-server. Its API is the one of github.com/DataIntelligenceCrew/go-faiss (a
// program switches by changing its import path), plus Configure for remote mode, HNSW, IVF and
// PQ constructors and parameters, and serialization to memory.
//
// Every error is an *Error carrying the faissx code (ErrCode*) and message. Indexes, selectors
// and parameter spaces free their C object on Delete; a finalizer does it for those that are
// dropped without Delete. Methods called after Delete return an error.
//
// An index may be used from several goroutines: searches run concurrently, calls that modify
// the index (Train, Add, Reset, RemoveIDs, parameters) take it exclusively.
package faiss

/*
// libfaissx and faissx_c.h come from an installed faissx (scripts/install.sh, or a release
// tarball) through pkg-config, so the package builds from the module cache; in the repository,
// run_tests.sh points PKG_CONFIG_PATH at the build tree's own faissx.pc.
#cgo pkg-config: faissx
#include "fx.h"

static int fx_configure(const char *server, const char *key, const char *tenant, char **msg) {
	return fx_check(faissx_configure(server, key, tenant), msg);
}

static int fx_configure_recovery(int retries, double backoff, double factor, char **msg) {
	return fx_check(faissx_configure_recovery(retries, backoff, factor), msg);
}

static int fx_set_option(const char *name, const char *value, char **msg) {
	return fx_check(faissx_set_option(name, value), msg);
}

static int fx_ping(char **msg) { return fx_check(faissx_ping(), msg); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Distances between vectors (FAISS's MetricType).
const (
	MetricInnerProduct  = C.METRIC_INNER_PRODUCT
	MetricL2            = C.METRIC_L2
	MetricL1            = C.METRIC_L1
	MetricLinf          = C.METRIC_Linf
	MetricLp            = C.METRIC_Lp
	MetricCanberra      = C.METRIC_Canberra
	MetricBrayCurtis    = C.METRIC_BrayCurtis
	MetricJensenShannon = C.METRIC_JensenShannon
)

// Error codes of faissx (Error.Code).
const (
	ErrCodeUnknown         = C.FAISSX_ERR_UNKNOWN
	ErrCodeFaiss           = C.FAISSX_ERR_FAISS // FAISS rejected the call; the message is FAISS's
	ErrCodeStd             = C.FAISSX_ERR_STD
	ErrCodeInvalidArgument = C.FAISSX_ERR_INVALID_ARGUMENT // includes use after Delete
	ErrCodeUnsupported     = C.FAISSX_ERR_UNSUPPORTED
	ErrCodeIO              = C.FAISSX_ERR_IO
	ErrCodeTransport       = C.FAISSX_ERR_TRANSPORT // the server is unreachable or timed out
	ErrCodeAuth            = C.FAISSX_ERR_AUTH
	ErrCodeNotFound        = C.FAISSX_ERR_NOT_FOUND
	ErrCodeProtocol        = C.FAISSX_ERR_PROTOCOL
	ErrCodeServer          = C.FAISSX_ERR_SERVER
)

// Error is a failed faissx call: its code (one of ErrCode*) and message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("faissx: %s (code %d)", e.Message, e.Code)
}

func invalid(format string, args ...any) error {
	return &Error{Code: ErrCodeInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// cError turns a helper's return code and message (see fx_check) into an error.
func cError(rc C.int, msg *C.char) error {
	if rc == 0 {
		return nil
	}
	e := &Error{Code: int(rc)}
	if msg != nil {
		e.Message = C.GoString(msg)
		C.free(unsafe.Pointer(msg))
	}
	return e
}

// cString is a C copy of s, NULL for "" (faissx's "not given"); free it with freeString.
func cString(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

func freeString(s *C.char) {
	if s != nil {
		C.free(unsafe.Pointer(s))
	}
}

// Configure turns remote mode on: indexes created afterwards (constructors, IndexFactory,
// ReadIndex, ...) live on the faissx-server at server ("tcp://host:port" or "host:port").
// apiKey and tenantID may be "" when the server does not require them. Configure("", "", "")
// turns remote mode off for indexes created afterwards; existing indexes keep working where
// they live. Nothing is sent until an index is created: a wrong address shows there, as
// ErrCodeTransport. The setting is process-wide.
func Configure(server, apiKey, tenantID string) error {
	cs, ck, ct := cString(server), cString(apiKey), cString(tenantID)
	defer freeString(cs)
	defer freeString(ck)
	defer freeString(ct)
	var msg *C.char
	return cError(C.fx_configure(cs, ck, ct, &msg), msg)
}

// ConfigureRecovery sets how requests that are safe to repeat (searches, reads, parameter
// changes) are retried when the server cannot be reached: up to maxRetries more times, waiting
// initialBackoff seconds, then backoffFactor times longer each time.
func ConfigureRecovery(maxRetries int, initialBackoff, backoffFactor float64) error {
	var msg *C.char
	rc := C.fx_configure_recovery(C.int(maxRetries), C.double(initialBackoff), C.double(backoffFactor), &msg)
	return cError(rc, msg)
}

// SetOption sets a client option of remote mode: "timeout_ms", "cache_vectors" ("on"/"off"),
// "cache_memory_mb".
func SetOption(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer freeString(cn)
	defer freeString(cv)
	var msg *C.char
	return cError(C.fx_set_option(cn, cv, &msg), msg)
}

// Ping checks that the configured server answers and accepts the credentials.
func Ping() error {
	var msg *C.char
	return cError(C.fx_ping(&msg), msg)
}

// Version is faissx's version and the FAISS version it runs.
func Version() string {
	return C.GoString(C.faissx_version())
}
