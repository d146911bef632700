package faiss

/*
#include "fx.h"

static int fx_hnsw_flat_new(FaissIndex **out, int d, int m, int metric, char **msg) {
	return fx_check(faissx_IndexHNSWFlat_new_with_metric(out, d, m, (FaissMetricType)metric), msg);
}

FX_GETTER(fx_hnsw_m, int, faissx_IndexHNSW_M)
FX_GETTER(fx_hnsw_ef_search, int, faissx_IndexHNSW_efSearch)
FX_GETTER(fx_hnsw_ef_construction, int, faissx_IndexHNSW_efConstruction)
*/
import "C"

// IndexHNSW is a graph index (Hierarchical Navigable Small World): no training, fast
// approximate search whose recall EfSearch sets.
type IndexHNSW struct {
	Index
}

// NewIndexHNSWFlat creates an HNSW index storing the vectors uncompressed, with M neighbours
// per node (2*M on the base level).
func NewIndexHNSWFlat(d, M int, metric int) (*IndexHNSW, error) {
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_hnsw_flat_new(&ptr, C.int(d), C.int(M), C.int(metric), &msg), msg); err != nil {
		return nil, err
	}
	return &IndexHNSW{wrap(ptr)}, nil
}

// get reads an int field of an HNSW index with one of the FX_GETTER functions; 0 after Delete.
func (idx *IndexHNSW) get(getter func(*C.FaissIndex, *C.int, **C.char) C.int) int {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.deleted {
		return 0
	}
	var rc C.int
	var msg *C.char
	v := getter(h.ptr, &rc, &msg)
	mustGet(rc, msg)
	return int(v)
}

// M is the number of neighbours per node above the base level.
func (idx *IndexHNSW) M() int {
	return idx.get(func(p *C.FaissIndex, rc *C.int, msg **C.char) C.int {
		return C.fx_hnsw_m(p, rc, msg)
	})
}

// EfSearch is the length of the candidate list of a search (recall against speed).
func (idx *IndexHNSW) EfSearch() int {
	return idx.get(func(p *C.FaissIndex, rc *C.int, msg **C.char) C.int {
		return C.fx_hnsw_ef_search(p, rc, msg)
	})
}

// SetEfSearch sets EfSearch (> 0) for the following searches.
func (idx *IndexHNSW) SetEfSearch(ef int) error {
	if err := positive("IndexHNSW.SetEfSearch", []string{"efSearch"}, ef); err != nil {
		return err
	}
	return idx.cIndex().setParam("IndexHNSW.SetEfSearch", "efSearch", float64(ef))
}

// EfConstruction is the length of the candidate list while adding vectors.
func (idx *IndexHNSW) EfConstruction() int {
	return idx.get(func(p *C.FaissIndex, rc *C.int, msg **C.char) C.int {
		return C.fx_hnsw_ef_construction(p, rc, msg)
	})
}

// SetEfConstruction sets EfConstruction (> 0) for vectors added afterwards.
func (idx *IndexHNSW) SetEfConstruction(ef int) error {
	if err := positive("IndexHNSW.SetEfConstruction", []string{"efConstruction"}, ef); err != nil {
		return err
	}
	return idx.cIndex().setParam("IndexHNSW.SetEfConstruction", "efConstruction", float64(ef))
}

// AsHNSW returns idx as an *IndexHNSW, or an error if it is not an HNSW index.
func (idx *IndexImpl) AsHNSW() (*IndexHNSW, error) {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if err := h.live("IndexImpl.AsHNSW"); err != nil {
		return nil, err
	}
	if C.faissx_IndexHNSW_cast(h.ptr) == nil {
		return nil, &Error{Code: ErrCodeUnsupported, Message: "IndexImpl.AsHNSW: the index is not an HNSW index"}
	}
	return &IndexHNSW{h}, nil
}
