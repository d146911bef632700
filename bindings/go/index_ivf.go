package faiss

/*
#include "fx.h"

static int fx_ivf_flat_new(FaissIndex **out, FaissIndex *q, size_t d, size_t nlist, int metric,
		char **msg) {
	return fx_check(faissx_IndexIVFFlat_new_with_metric(out, q, d, nlist, (FaissMetricType)metric),
		msg);
}

static int fx_ivf_pq_new(FaissIndex **out, FaissIndex *q, size_t d, size_t nlist, size_t m,
		size_t nbits, int metric, char **msg) {
	return fx_check(faissx_IndexIVFPQ_new_with_metric(out, q, d, nlist, m, nbits,
		(FaissMetricType)metric), msg);
}

static int fx_ivf_sq_new(FaissIndex **out, FaissIndex *q, size_t d, size_t nlist, int qt,
		int metric, char **msg) {
	return fx_check(faissx_IndexIVFScalarQuantizer_new_with_metric(out, q, d, nlist,
		(FaissQuantizerType)qt, (FaissMetricType)metric, 1), msg);
}

FX_GETTER(fx_ivf_nlist, size_t, faissx_IndexIVF_nlist)
FX_GETTER(fx_ivf_nprobe, size_t, faissx_IndexIVF_nprobe)

static int fx_make_direct_map(FaissIndex *i, char **msg) {
	return fx_check(faissx_IndexIVF_make_direct_map(i, 1), msg);
}
*/
import "C"

// IndexIVF is an inverted-file index (IVF-Flat, IVF-PQ, IVF-SQ, ...): vectors are stored in
// the inverted list of their nearest centroid, and a search scans Nprobe() of the lists.
type IndexIVF struct {
	Index
}

// positive checks size arguments before they become C size_t.
func positive(op string, names []string, values ...int) error {
	for i, v := range values {
		if v <= 0 {
			return invalid("%s: %s must be > 0 (got %d)", op, names[i], v)
		}
	}
	return nil
}

// newIVF creates an IVF index over quantizer with create, which gets the quantizer's handle.
func newIVF(op string, quantizer Index, create func(q *C.FaissIndex, out **C.FaissIndex, msg **C.char) C.int) (*IndexIVF, error) {
	q, err := handle(op, quantizer)
	if err != nil {
		return nil, err
	}
	if err := q.acquire(op); err != nil {
		return nil, err
	}
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(create(q.ptr, &ptr, &msg), msg); err != nil {
		q.release()
		return nil, err
	}
	return &IndexIVF{wrap(ptr, q)}, nil
}

// NewIndexIVFFlat creates an IVF index with nlist lists whose centroids quantizer (a flat
// index of dimension d, usually) holds; vectors are stored uncompressed. quantizer is used,
// not copied: it stays valid as long as the IVF index, even if Deleted first. Train before
// Add.
func NewIndexIVFFlat(quantizer Index, d, nlist int, metric int) (*IndexIVF, error) {
	const op = "NewIndexIVFFlat"
	if err := positive(op, []string{"d", "nlist"}, d, nlist); err != nil {
		return nil, err
	}
	return newIVF(op, quantizer, func(q *C.FaissIndex, out **C.FaissIndex, msg **C.char) C.int {
		return C.fx_ivf_flat_new(out, q, C.size_t(d), C.size_t(nlist), C.int(metric), msg)
	})
}

// NewIndexIVFPQ creates an IVF index whose vectors' residuals are encoded by a product
// quantizer of M sub-vectors (M divides d) of nbits bits each. quantizer as in
// NewIndexIVFFlat.
func NewIndexIVFPQ(quantizer Index, d, nlist, M, nbits int, metric int) (*IndexIVF, error) {
	const op = "NewIndexIVFPQ"
	if err := positive(op, []string{"d", "nlist", "M", "nbits"}, d, nlist, M, nbits); err != nil {
		return nil, err
	}
	return newIVF(op, quantizer, func(q *C.FaissIndex, out **C.FaissIndex, msg **C.char) C.int {
		return C.fx_ivf_pq_new(out, q, C.size_t(d), C.size_t(nlist), C.size_t(M), C.size_t(nbits), C.int(metric), msg)
	})
}

// NewIndexIVFScalarQuantizer creates an IVF index whose vectors' residuals are encoded by a
// scalar quantizer of type qtype (QT8bit, QTFp16, ...). quantizer as in NewIndexIVFFlat.
func NewIndexIVFScalarQuantizer(quantizer Index, d, nlist, qtype int, metric int) (*IndexIVF, error) {
	const op = "NewIndexIVFScalarQuantizer"
	if err := positive(op, []string{"d", "nlist"}, d, nlist); err != nil {
		return nil, err
	}
	return newIVF(op, quantizer, func(q *C.FaissIndex, out **C.FaissIndex, msg **C.char) C.int {
		return C.fx_ivf_sq_new(out, q, C.size_t(d), C.size_t(nlist), C.int(qtype), C.int(metric), msg)
	})
}

// Nlist is the number of inverted lists; 0 after Delete.
func (idx *IndexIVF) Nlist() int {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.deleted {
		return 0
	}
	var rc C.int
	var msg *C.char
	nlist := C.fx_ivf_nlist(h.ptr, &rc, &msg)
	mustGet(rc, msg)
	return int(nlist)
}

// Nprobe is the number of lists a search scans; 0 after Delete.
func (idx *IndexIVF) Nprobe() int {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.deleted {
		return 0
	}
	var rc C.int
	var msg *C.char
	nprobe := C.fx_ivf_nprobe(h.ptr, &rc, &msg)
	mustGet(rc, msg)
	return int(nprobe)
}

// SetNprobe sets how many lists the following searches scan (1 to Nlist(): more is slower
// and more exact; Nlist() is an exhaustive search).
func (idx *IndexIVF) SetNprobe(nprobe int) error {
	if err := positive("IndexIVF.SetNprobe", []string{"nprobe"}, nprobe); err != nil {
		return err
	}
	return idx.cIndex().setParam("IndexIVF.SetNprobe", "nprobe", float64(nprobe))
}

// MakeDirectMap builds the id → list map that Reconstruct needs on an IVF index.
func (idx *IndexIVF) MakeDirectMap() error {
	h := idx.cIndex()
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.live("IndexIVF.MakeDirectMap"); err != nil {
		return err
	}
	var msg *C.char
	return cError(C.fx_make_direct_map(h.ptr, &msg), msg)
}

// AsIVF returns idx as an *IndexIVF, or an error if it is not an IVF index.
func (idx *IndexImpl) AsIVF() (*IndexIVF, error) {
	h := idx.cIndex()
	h.mu.RLock()
	defer h.mu.RUnlock()
	if err := h.live("IndexImpl.AsIVF"); err != nil {
		return nil, err
	}
	if C.faissx_IndexIVF_cast(h.ptr) == nil {
		return nil, &Error{Code: ErrCodeUnsupported, Message: "IndexImpl.AsIVF: the index is not an IVF index"}
	}
	return &IndexIVF{h}, nil
}
