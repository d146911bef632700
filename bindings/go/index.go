package faiss

/*
#include "fx.h"

static int fx_train(FaissIndex *i, idx_t n, const float *x, char **msg) {
	return fx_check(faissx_Index_train(i, n, x), msg);
}

static int fx_add(FaissIndex *i, idx_t n, const float *x, char **msg) {
	return fx_check(faissx_Index_add(i, n, x), msg);
}

static int fx_add_with_ids(FaissIndex *i, idx_t n, const float *x, const idx_t *ids, char **msg) {
	return fx_check(faissx_Index_add_with_ids(i, n, x, ids), msg);
}

static int fx_search(const FaissIndex *i, idx_t n, const float *x, idx_t k, float *dist,
		idx_t *labels, char **msg) {
	return fx_check(faissx_Index_search(i, n, x, k, dist, labels), msg);
}

// The result is the caller's (freed with faissx_RangeSearchResult_free) only on success.
static int fx_range_search(const FaissIndex *i, idx_t n, const float *x, float radius,
		FaissRangeSearchResult **out, char **msg) {
	FaissRangeSearchResult *r = NULL;
	int rc = faissx_RangeSearchResult_new(&r, n);
	if (rc == 0)
		rc = faissx_Index_range_search(i, n, x, radius, r);
	if (fx_check(rc, msg) != 0) {
		faissx_RangeSearchResult_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static int fx_reset(FaissIndex *i, char **msg) { return fx_check(faissx_Index_reset(i), msg); }

static int fx_remove_ids(FaissIndex *i, const FaissIDSelector *sel, size_t *n, char **msg) {
	return fx_check(faissx_Index_remove_ids(i, sel, n), msg);
}

static int fx_reconstruct(const FaissIndex *i, idx_t key, float *out, char **msg) {
	return fx_check(faissx_Index_reconstruct(i, key, out), msg);
}

static int fx_merge_from(FaissIndex *i, FaissIndex *other, idx_t add_id, char **msg) {
	return fx_check(faissx_Index_merge_from(i, other, add_id), msg);
}

static int fx_index_factory(FaissIndex **out, int d, const char *desc, int metric, char **msg) {
	return fx_check(faissx_index_factory(out, d, desc, (FaissMetricType)metric), msg);
}

static int fx_clone_index(const FaissIndex *i, FaissIndex **out, char **msg) {
	return fx_check(faissx_clone_index(i, out), msg);
}

static int fx_merge_indices(const FaissIndex *const *indexes, size_t n, FaissIndex **out,
		char **msg) {
	return fx_check(faissx_merge_indices(indexes, n, out), msg);
}

static int fx_split_index(const FaissIndex *i, size_t parts, FaissIndex **out, char **msg) {
	return fx_check(faissx_split_index(i, parts, out), msg);
}

static int fx_id_map_new(FaissIndex **out, FaissIndex *sub, char **msg) {
	return fx_check(faissx_IndexIDMap_new(out, sub), msg);
}

static int fx_remote_open(const char *name, FaissIndex **out, char **msg) {
	return fx_check(faissx_remote_open(name, out), msg);
}

FX_GETTER(fx_is_trained, int, faissx_Index_is_trained)
FX_GETTER(fx_ntotal, idx_t, faissx_Index_ntotal)
FX_GETTER(fx_metric_type, FaissMetricType, faissx_Index_metric_type)

// Set through FAISS's ParameterSpace because, unlike the typed setters (void in FAISS's C
// API), it reports failures: a wrong index type, an unknown name, an unreachable server.
static int fx_set_param(FaissIndex *i, const char *name, double value, char **msg) {
	FaissParameterSpace *ps = NULL;
	int rc = faissx_ParameterSpace_new(&ps);
	if (rc == 0)
		rc = faissx_ParameterSpace_set_index_parameter(ps, i, name, value);
	fx_check(rc, msg);
	faissx_ParameterSpace_free(ps);
	return rc;
}
*/
import "C"

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Index is a FAISS index, as in go-faiss. The faissx additions come last.
//
// The getters (IsTrained, Ntotal, MetricType here; Nlist, Nprobe, EfSearch, Xb, ... of the
// typed indexes) keep go-faiss's signatures, which have no error: when one fails, which only a
// remote index's can (its server gone, or refusing the credentials), it panics with the *Error
// rather than return a 0 that would pass for a real one. After Delete they return 0.
type Index interface {
	// D is the dimension of the vectors.
	D() int
	// IsTrained tells whether Add may be called (some index types need Train first).
	IsTrained() bool
	// Ntotal is the number of stored vectors.
	Ntotal() int64
	// MetricType is one of the Metric* constants.
	MetricType() int

	// Train trains the index on len(x)/D() vectors.
	Train(x []float32) error
	// Add adds len(x)/D() vectors with the ids Ntotal(), Ntotal()+1, ...
	Add(x []float32) error
	// AddWithIDs adds len(x)/D() vectors with the ids xids (one per vector).
	AddWithIDs(x []float32, xids []int64) error
	// Search returns the k nearest neighbours of each of the len(x)/D() queries: query i's
	// are distances[i*k:(i+1)*k] and labels[i*k:(i+1)*k], nearest first; label -1 where
	// fewer than k were found.
	Search(x []float32, k int64) (distances []float32, labels []int64, err error)
	// RangeSearch returns every stored vector within radius of each query.
	RangeSearch(x []float32, radius float32) (*RangeSearchResult, error)
	// Reset removes every vector; the index stays trained.
	Reset() error
	// RemoveIDs removes the vectors sel selects and returns their number.
	RemoveIDs(sel *IDSelector) (int, error)
	// Delete frees the index now; later calls return an error. Calling it again does nothing.
	Delete()

	// Reconstruct returns the stored (decoded) vector of id key.
	Reconstruct(key int64) ([]float32, error)
	// MergeFrom moves the vectors of other (of the same type and parameters) into this
	// index, adding addID to their ids; other is left empty.
	MergeFrom(other Index, addID int64) error
	// IsRemote tells whether the index lives on a faissx-server.
	IsRemote() bool
	// RemoteName is the server-side name of a remote index (RemoteOpen takes it), "" for a
	// local one. Asking for it shares the index: it stays on the server after this process
	// ends, until deleted (otherwise the server frees it when the process's session ends).
	RemoteName() string

	cIndex() *faissIndex
}

// faissIndex owns one FaissIndex. Indexes built over another one (an IVF over its
// quantizer, an IDMap over its storage) borrow it, as in FAISS: the borrowed handle is freed
// when its own Delete and every borrower's have run, whatever their order.
type faissIndex struct {
	mu      sync.RWMutex
	ptr     *C.FaissIndex // nil once freed
	d       int
	deleted bool
	users   int           // live indexes borrowing this one
	borrows []*faissIndex // indexes this one borrows
	seq     uint64        // creation order: the order in which rlockAll locks indexes
}

var lastSeq atomic.Uint64

// wrap takes ownership of ptr. borrows must have been acquired.
func wrap(ptr *C.FaissIndex, borrows ...*faissIndex) *faissIndex {
	idx := &faissIndex{ptr: ptr, d: int(C.faissx_Index_d(ptr)), borrows: borrows, seq: lastSeq.Add(1)}
	runtime.SetFinalizer(idx, (*faissIndex).Delete)
	return idx
}

func (idx *faissIndex) cIndex() *faissIndex { return idx }

// live reports use after Delete; idx.mu must be held.
func (idx *faissIndex) live(op string) error {
	if idx.deleted {
		return invalid("%s: the index was deleted", op)
	}
	return nil
}

// rows is the number of vectors in x; idx.mu must be held.
func (idx *faissIndex) rows(op string, x []float32) (int, error) {
	if err := idx.live(op); err != nil {
		return 0, err
	}
	if idx.d <= 0 || len(x)%idx.d != 0 {
		return 0, invalid("%s: len(x) = %d is not a multiple of the dimension %d", op, len(x), idx.d)
	}
	return len(x) / idx.d, nil
}

// acquire marks idx as borrowed by an index about to be created.
func (idx *faissIndex) acquire(op string) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.live(op); err != nil {
		return err
	}
	idx.users++
	return nil
}

func (idx *faissIndex) release() {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	idx.users--
	if idx.deleted && idx.users == 0 {
		idx.free()
	}
}

// free releases the C object; idx.mu must be held.
func (idx *faissIndex) free() {
	C.faissx_Index_free(idx.ptr)
	idx.ptr = nil
	for _, b := range idx.borrows {
		b.release()
	}
	idx.borrows = nil
	runtime.SetFinalizer(idx, nil)
}

func (idx *faissIndex) Delete() {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if idx.deleted {
		return
	}
	idx.deleted = true
	if idx.users == 0 {
		idx.free()
	}
}

func (idx *faissIndex) D() int {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.deleted {
		return 0
	}
	return idx.d
}

// mustGet panics with the *Error of a failed getter (see FX_GETTER), which has no error result
// to return it in (see Index).
func mustGet(rc C.int, msg *C.char) {
	if err := cError(rc, msg); err != nil {
		panic(err)
	}
}

func (idx *faissIndex) IsTrained() bool {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.deleted {
		return false
	}
	var rc C.int
	var msg *C.char
	trained := C.fx_is_trained(idx.ptr, &rc, &msg)
	mustGet(rc, msg)
	return trained != 0
}

func (idx *faissIndex) Ntotal() int64 {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.deleted {
		return 0
	}
	var rc C.int
	var msg *C.char
	n := C.fx_ntotal(idx.ptr, &rc, &msg)
	mustGet(rc, msg)
	return int64(n)
}

func (idx *faissIndex) MetricType() int {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.deleted {
		return 0
	}
	var rc C.int
	var msg *C.char
	metric := C.fx_metric_type(idx.ptr, &rc, &msg)
	mustGet(rc, msg)
	return int(metric)
}

func (idx *faissIndex) IsRemote() bool {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	return !idx.deleted && C.faissx_is_remote(idx.ptr) == 1
}

func (idx *faissIndex) RemoteName() string {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.deleted {
		return ""
	}
	return C.GoString(C.faissx_remote_name(idx.ptr))
}

func floats(x []float32) *C.float { return (*C.float)(unsafe.SliceData(x)) }

func ids(x []int64) *C.idx_t { return (*C.idx_t)(unsafe.SliceData(x)) }

func (idx *faissIndex) Train(x []float32) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	n, err := idx.rows("Index.Train", x)
	if err != nil {
		return err
	}
	var msg *C.char
	return cError(C.fx_train(idx.ptr, C.idx_t(n), floats(x), &msg), msg)
}

func (idx *faissIndex) Add(x []float32) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	n, err := idx.rows("Index.Add", x)
	if err != nil {
		return err
	}
	var msg *C.char
	return cError(C.fx_add(idx.ptr, C.idx_t(n), floats(x), &msg), msg)
}

func (idx *faissIndex) AddWithIDs(x []float32, xids []int64) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	n, err := idx.rows("Index.AddWithIDs", x)
	if err != nil {
		return err
	}
	if len(xids) != n {
		return invalid("Index.AddWithIDs: %d ids for %d vectors", len(xids), n)
	}
	var msg *C.char
	return cError(C.fx_add_with_ids(idx.ptr, C.idx_t(n), floats(x), ids(xids), &msg), msg)
}

func (idx *faissIndex) Search(x []float32, k int64) ([]float32, []int64, error) {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	n, err := idx.rows("Index.Search", x)
	if err != nil {
		return nil, nil, err
	}
	size := 0
	if k > 0 && n > 0 {
		// 8 bytes per label: n*k*8 must not overflow.
		if k > math.MaxInt/8/int64(n) {
			return nil, nil, invalid("Index.Search: %d queries times k = %d results do not fit in memory", n, k)
		}
		size = n * int(k)
	}
	// k <= 0 is left to faissx, which rejects it with its own message.
	distances, labels := make([]float32, size), make([]int64, size)
	var msg *C.char
	rc := C.fx_search(idx.ptr, C.idx_t(n), floats(x), C.idx_t(k), floats(distances), ids(labels), &msg)
	if err := cError(rc, msg); err != nil {
		return nil, nil, err
	}
	return distances, labels, nil
}

func (idx *faissIndex) RangeSearch(x []float32, radius float32) (*RangeSearchResult, error) {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	n, err := idx.rows("Index.RangeSearch", x)
	if err != nil {
		return nil, err
	}
	var r *C.FaissRangeSearchResult
	var msg *C.char
	if err := cError(C.fx_range_search(idx.ptr, C.idx_t(n), floats(x), C.float(radius), &r, &msg), msg); err != nil {
		return nil, err
	}
	defer C.faissx_RangeSearchResult_free(r)
	// Copied out so that the result is ordinary Go memory, with nothing to free or outlive.
	var clims *C.size_t
	C.faissx_RangeSearchResult_lims(r, &clims)
	lims := make([]int, n+1)
	for i, l := range unsafe.Slice(clims, n+1) {
		lims[i] = int(l)
	}
	var clabels *C.idx_t
	var cdist *C.float
	C.faissx_RangeSearchResult_labels(r, &clabels, &cdist)
	total := lims[n]
	res := &RangeSearchResult{lims: lims, labels: make([]int64, total), distances: make([]float32, total)}
	if total > 0 {
		copy(res.labels, unsafe.Slice((*int64)(unsafe.Pointer(clabels)), total))
		copy(res.distances, unsafe.Slice((*float32)(unsafe.Pointer(cdist)), total))
	}
	return res, nil
}

func (idx *faissIndex) Reset() error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.live("Index.Reset"); err != nil {
		return err
	}
	var msg *C.char
	return cError(C.fx_reset(idx.ptr, &msg), msg)
}

func (idx *faissIndex) RemoveIDs(sel *IDSelector) (int, error) {
	if sel == nil {
		return 0, invalid("Index.RemoveIDs: sel is nil")
	}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.live("Index.RemoveIDs"); err != nil {
		return 0, err
	}
	sel.mu.RLock()
	defer sel.mu.RUnlock()
	if sel.sel == nil {
		return 0, invalid("Index.RemoveIDs: the selector was deleted")
	}
	var removed C.size_t
	var msg *C.char
	if err := cError(C.fx_remove_ids(idx.ptr, sel.sel, &removed, &msg), msg); err != nil {
		return 0, err
	}
	return int(removed), nil
}

func (idx *faissIndex) Reconstruct(key int64) ([]float32, error) {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if err := idx.live("Index.Reconstruct"); err != nil {
		return nil, err
	}
	out := make([]float32, idx.d)
	var msg *C.char
	if err := cError(C.fx_reconstruct(idx.ptr, C.idx_t(key), floats(out), &msg), msg); err != nil {
		return nil, err
	}
	return out, nil
}

func (idx *faissIndex) MergeFrom(other Index, addID int64) error {
	src, err := handle("Index.MergeFrom", other)
	if err != nil {
		return err
	}
	if src == idx {
		return invalid("Index.MergeFrom: cannot merge an index into itself")
	}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.live("Index.MergeFrom"); err != nil {
		return err
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.deleted {
		return invalid("Index.MergeFrom: other was deleted")
	}
	var msg *C.char
	return cError(C.fx_merge_from(idx.ptr, src.ptr, C.idx_t(addID), &msg), msg)
}

// setParam sets a search or build parameter by name, as ParameterSpace.SetIndexParameter.
func (idx *faissIndex) setParam(op, name string, value float64) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if err := idx.live(op); err != nil {
		return err
	}
	cname := C.CString(name)
	defer freeString(cname)
	var msg *C.char
	return cError(C.fx_set_param(idx.ptr, cname, C.double(value), &msg), msg)
}

// RangeSearchResult holds the results of RangeSearch, as in go-faiss. It is plain Go memory:
// Delete is only there for go-faiss's callers.
type RangeSearchResult struct {
	lims      []int
	labels    []int64
	distances []float32
}

// Nq is the number of queries.
func (r *RangeSearchResult) Nq() int { return len(r.lims) - 1 }

// Lims has Nq()+1 offsets: the results of query i are labels[lims[i]:lims[i+1]] (and the
// same range of distances) of Labels.
func (r *RangeSearchResult) Lims() []int { return r.lims }

// Labels returns the ids and distances of every query's results, in no particular order.
func (r *RangeSearchResult) Labels() (labels []int64, distances []float32) {
	return r.labels, r.distances
}

// Delete does nothing: the result holds no C memory.
func (r *RangeSearchResult) Delete() {}

// IndexImpl is an index of any type, as returned by IndexFactory and ReadIndex.
type IndexImpl struct {
	Index
}

// IndexFactory builds an index from FAISS's factory description ("Flat", "IVF100,Flat",
// "HNSW32", "IVF256,PQ16", "IDMap,Flat", ...).
func IndexFactory(d int, description string, metric int) (*IndexImpl, error) {
	desc := C.CString(description)
	defer freeString(desc)
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_index_factory(&ptr, C.int(d), desc, C.int(metric), &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}

// handle is idx's faissIndex, or an error for a nil idx.
func handle(op string, idx Index) (*faissIndex, error) {
	if idx == nil {
		return nil, invalid("%s: the index is nil", op)
	}
	return idx.cIndex(), nil
}

// CloneIndex is a deep copy of idx (on the server when idx is remote).
func CloneIndex(idx Index) (*IndexImpl, error) {
	src, err := handle("CloneIndex", idx)
	if err != nil {
		return nil, err
	}
	src.mu.RLock()
	defer src.mu.RUnlock()
	if err := src.live("CloneIndex"); err != nil {
		return nil, err
	}
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_clone_index(src.ptr, &ptr, &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}

// MergeIndexes is a new index holding the vectors of indexes[0], then those of indexes[1], ...:
// the indexes must be of one type, with the same parameters, as for MergeFrom. Explicit ids
// (IDMap, IVF) are kept; where ids are positions (flat, PQ, scalar quantizer), those of
// indexes[i] continue after the vectors before it. The indexes are not modified. They must be
// all local, or all on one server, where the result is made too. Types that FAISS cannot merge
// (HNSW) give ErrCodeFaiss; indexes of different dimensions, ErrCodeInvalidArgument.
func MergeIndexes(indexes ...Index) (*IndexImpl, error) {
	if len(indexes) == 0 {
		return nil, invalid("MergeIndexes: no indexes to merge")
	}
	srcs := make([]*faissIndex, len(indexes))
	for i, x := range indexes {
		src, err := handle(fmt.Sprintf("MergeIndexes: indexes[%d]", i), x)
		if err != nil {
			return nil, err
		}
		srcs[i] = src
	}
	defer rlockAll(srcs)()
	ptrs := make([]*C.FaissIndex, len(srcs))
	for i, src := range srcs {
		if err := src.live(fmt.Sprintf("MergeIndexes: indexes[%d]", i)); err != nil {
			return nil, err
		}
		ptrs[i] = src.ptr
	}
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_merge_indices(&ptrs[0], C.size_t(len(ptrs)), &ptr, &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}

// rlockAll read-locks each of srcs once and returns the function that unlocks them. Once only,
// because a second RLock waits behind a writer queued after the first; in creation order, so
// that two calls over the same indexes cannot each hold one and wait behind a writer of the
// other.
func rlockAll(srcs []*faissIndex) (unlock func()) {
	distinct := slices.SortedFunc(slices.Values(srcs), func(a, b *faissIndex) int { return cmp.Compare(a.seq, b.seq) })
	distinct = slices.Compact(distinct)
	for _, src := range distinct {
		src.mu.RLock()
	}
	return func() {
		for _, src := range distinct {
			src.mu.RUnlock()
		}
	}
}

// SplitIndex splits idx into parts new indexes of its type, each an *IndexImpl; MergeIndexes of
// them, in order, gives idx back. Part k holds the k-th of parts ranges of the ids idx stores,
// sorted, near-equal in count (a part is empty where there are fewer vectors than parts). Ids
// are kept: a vector's label in its part is its label in idx. Where ids are positions (flat,
// PQ, scalar quantizer), a part's labels start at 0: label i of part k is label first+i of idx,
// first being the number of vectors in the parts before it. idx is not modified. Types that
// cannot remove vectors (HNSW) cannot be split: ErrCodeFaiss.
func SplitIndex(idx Index, parts int) ([]Index, error) {
	src, err := handle("SplitIndex", idx)
	if err != nil {
		return nil, err
	}
	if err := positive("SplitIndex", []string{"parts"}, parts); err != nil {
		return nil, err
	}
	src.mu.RLock()
	defer src.mu.RUnlock()
	if err := src.live("SplitIndex"); err != nil {
		return nil, err
	}
	ptrs := make([]*C.FaissIndex, parts)
	var msg *C.char
	if err := cError(C.fx_split_index(src.ptr, C.size_t(parts), &ptrs[0], &msg), msg); err != nil {
		return nil, err
	}
	out := make([]Index, parts)
	for k, ptr := range ptrs {
		out[k] = &IndexImpl{wrap(ptr)}
	}
	return out, nil
}

// NewIndexIDMap wraps x so that vectors keep the ids given to AddWithIDs. x is used, not
// copied: it stays valid (and in use) as long as the IDMap, even if Deleted first.
func NewIndexIDMap(x Index) (*IndexImpl, error) {
	sub, err := handle("NewIndexIDMap", x)
	if err != nil {
		return nil, err
	}
	if err := sub.acquire("NewIndexIDMap"); err != nil {
		return nil, err
	}
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_id_map_new(&ptr, sub.ptr, &msg), msg); err != nil {
		sub.release()
		return nil, err
	}
	return &IndexImpl{wrap(ptr, sub)}, nil
}

// RemoteOpen opens the index a faissx-server holds under name (see Index.RemoteName), to
// share it between services. Deleting the returned handle leaves the index on the server.
func RemoteOpen(name string) (*IndexImpl, error) {
	cname := C.CString(name)
	defer freeString(cname)
	var ptr *C.FaissIndex
	var msg *C.char
	if err := cError(C.fx_remote_open(cname, &ptr, &msg), msg); err != nil {
		return nil, err
	}
	return &IndexImpl{wrap(ptr)}, nil
}
