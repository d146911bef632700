package faiss

/*
#include "fx.h"

static int fx_sel_range(FaissIDSelector **out, idx_t imin, idx_t imax, char **msg) {
	FaissIDSelectorRange *sel = NULL;
	int rc = faissx_IDSelectorRange_new(&sel, imin, imax);
	*out = (FaissIDSelector *)sel;
	return fx_check(rc, msg);
}

static int fx_sel_batch(FaissIDSelector **out, size_t n, const idx_t *ids, char **msg) {
	FaissIDSelectorBatch *sel = NULL;
	int rc = faissx_IDSelectorBatch_new(&sel, n, ids);
	*out = (FaissIDSelector *)sel;
	return fx_check(rc, msg);
}
*/
import "C"

import (
	"runtime"
	"sync"
)

// IDSelector selects ids, for Index.RemoveIDs.
type IDSelector struct {
	mu  sync.RWMutex
	sel *C.FaissIDSelector // nil once deleted
}

func newSelector(sel *C.FaissIDSelector) *IDSelector {
	s := &IDSelector{sel: sel}
	runtime.SetFinalizer(s, (*IDSelector).Delete)
	return s
}

// NewIDSelectorRange selects the ids in [imin, imax).
func NewIDSelectorRange(imin, imax int64) (*IDSelector, error) {
	var sel *C.FaissIDSelector
	var msg *C.char
	if err := cError(C.fx_sel_range(&sel, C.idx_t(imin), C.idx_t(imax), &msg), msg); err != nil {
		return nil, err
	}
	return newSelector(sel), nil
}

// NewIDSelectorBatch selects the ids in indices.
func NewIDSelectorBatch(indices []int64) (*IDSelector, error) {
	if len(indices) == 0 {
		// faissx wants a pointer even for no id.
		indices = []int64{0}[:0]
	}
	var sel *C.FaissIDSelector
	var msg *C.char
	if err := cError(C.fx_sel_batch(&sel, C.size_t(len(indices)), ids(indices), &msg), msg); err != nil {
		return nil, err
	}
	return newSelector(sel), nil
}

// Delete frees the selector; calling it again does nothing.
func (s *IDSelector) Delete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sel != nil {
		C.faissx_IDSelector_free(s.sel)
		s.sel = nil
		runtime.SetFinalizer(s, nil)
	}
}
