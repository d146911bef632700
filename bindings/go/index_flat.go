package faiss

/*
#include "fx.h"

static int fx_flat_new(FaissIndex **out, idx_t d, int metric, char **msg) {
	int rc;
	switch (metric) {
	case METRIC_L2: rc = faissx_IndexFlatL2_new_with(out, d); break;
	case METRIC_INNER_PRODUCT: rc = faissx_IndexFlatIP_new_with(out, d); break;
	default: rc = faissx_IndexFlat_new_with(out, d, (FaissMetricType)metric);
	}
	return fx_check(rc, msg);
}

// A remote index's vectors come from the server: see FX_GETTER.
static size_t fx_flat_xb(FaissIndex *i, float **xb, int *rc, char **msg) {
	size_t size = 0;
	faissx_clear_last_error();
	faissx_IndexFlat_xb(i, xb, &size);
	*rc = fx_check(faissx_get_last_error_code(), msg);
	return size;
}
*/
import "C"

import "unsafe"

// IndexFlat is an exact (brute-force) index, as in go-faiss.
type IndexFlat struct {
	Index
}

// NewIndexFlat creates an exact index for metric (an IndexFlatL2 or IndexFlatIP for those
// two metrics, as FAISS's constructors would).
func NewIndexFlat(d int, metric int) (*IndexFlat, error) {
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_flat_new(&ptr, C.idx_t(d), C.int(metric), &msg), msg); err != nil {
		return nil, err
	}
	return &IndexFlat{wrap(ptr)}, nil
}

// NewIndexFlatL2 creates an exact index for squared L2 distances.
func NewIndexFlatL2(d int) (*IndexFlat, error) { return NewIndexFlat(d, MetricL2) }

// NewIndexFlatIP creates an exact index for inner products.
func NewIndexFlatIP(d int) (*IndexFlat, error) { return NewIndexFlat(d, MetricInnerProduct) }

// Xb returns a copy of the stored vectors (Ntotal()*D() floats, in id order); nil after
// Delete.
func (idx *IndexFlat) Xb() []float32 {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.deleted {
		return nil
	}
	var xb *C.float
	var rc C.int
	var msg *C.char
	size := C.fx_flat_xb(h.ptr, &xb, &rc, &msg)
	mustGet(rc, msg)
	out := make([]float32, int(size))
	if size > 0 {
		copy(out, unsafe.Slice((*float32)(unsafe.Pointer(xb)), int(size)))
	}
	return out
}

// AsFlat returns idx as an *IndexFlat. As in go-faiss, it panics if idx is not a flat index.
func (idx *IndexImpl) AsFlat() *IndexFlat {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	// A deleted index stays deleted under any type: its methods report it.
	if !h.deleted && C.faissx_IndexFlat_cast(h.ptr) == nil {
		panic("faiss: AsFlat: the index is not a flat index")
	}
	return &IndexFlat{h}
}
