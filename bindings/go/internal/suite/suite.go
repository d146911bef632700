// Package suite holds the tests that the binding must pass in local and in remote mode; the
// package's own tests and remotetest's run them, each in its own mode.
package suite

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	faiss "github.com/faissx/faissx/bindings/go"
)

const (
	d  = 16
	nb = 500
	nq = 20
	k  = 10
)

// Run runs every test of the suite; remote says in which mode indexes are expected to be
// created.
func Run(t *testing.T, remote bool) {
	tests := []struct {
		name string
		fn   func(*testing.T, bool)
	}{
		{"Flat", testFlat},
		{"FlatOtherMetrics", testFlatOtherMetrics},
		{"IVFFlat", testIVFFlat},
		{"HNSW", testHNSW},
		{"PQ", testPQ},
		{"IVFPQ", testIVFPQ},
		{"Factory", testFactory},
		{"IDMap", testIDMap},
		{"RangeSearch", testRangeSearch},
		{"Remove", testRemove},
		{"ReadWrite", testReadWrite},
		{"CloneMerge", testCloneMerge},
		{"SplitMerge", testSplitMerge},
		{"MergeIDMap", testMergeIDMap},
		{"ErrorsSplitMerge", testErrorsSplitMerge},
		{"ErrorsDimension", testErrorsDimension},
		{"ErrorsK", testErrorsK},
		{"ErrorsFaiss", testErrorsFaiss},
		{"ErrorsAfterDelete", testErrorsAfterDelete},
		{"ErrorsPerGoroutine", testErrorsPerGoroutine},
		{"ConcurrentSearch", testConcurrentSearch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, remote) })
	}
}

// vectors returns n random vectors of dimension d, the same for the same seed.
func vectors(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = r.Float32()
	}
	return x
}

func row(x []float32, i int) []float32 { return x[i*d : (i+1)*d] }

// distance is metric's distance between a and b, computed in float64.
func distance(metric int, a, b []float32) float64 {
	var s float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		switch metric {
		case faiss.MetricL2:
			s += (x - y) * (x - y)
		case faiss.MetricInnerProduct:
			s += x * y
		case faiss.MetricL1:
			s += math.Abs(x - y)
		case faiss.MetricLinf:
			s = math.Max(s, math.Abs(x-y))
		default:
			panic(fmt.Sprintf("no reference for metric %d", metric))
		}
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-3*math.Max(1, math.Abs(b)) }

// database is the reference for a search: vectors and their ids.
type database struct {
	metric int
	xb     []float32
	ids    []int64 // nil: 0, 1, ...
}

func (db database) id(i int) int64 {
	if db.ids == nil {
		return int64(i)
	}
	return db.ids[i]
}

// ranked is every stored vector's distance to q, best first.
func (db database) ranked(q []float32) (dist []float64, ids []int64) {
	n := len(db.xb) / d
	order := make([]int, n)
	dist = make([]float64, n)
	for i := range order {
		order[i] = i
		dist[i] = distance(db.metric, q, row(db.xb, i))
	}
	sort.SliceStable(order, func(a, b int) bool {
		if db.metric == faiss.MetricInnerProduct {
			return dist[order[a]] > dist[order[b]]
		}
		return dist[order[a]] < dist[order[b]]
	})
	sorted := make([]float64, n)
	ids = make([]int64, n)
	for r, i := range order {
		sorted[r] = dist[i]
		ids[r] = db.id(i)
	}
	return sorted, ids
}

// checkExact asserts that a search returned the k nearest neighbours: each label's distance
// is the returned one, and the returned distances are the k best. Labels are not compared
// one by one, so that near-ties may come in either order.
func checkExact(t *testing.T, db database, xq []float32, k int, dist []float32, labels []int64) {
	t.Helper()
	checkResults(t, db, xq, k, dist, labels, 1)
}

// checkResults asserts the label/distance agreement of checkExact and that at least minRecall
// of the true k nearest neighbours were found.
func checkResults(t *testing.T, db database, xq []float32, k int, dist []float32, labels []int64, minRecall float64) {
	t.Helper()
	nq := len(xq) / d
	if len(dist) != nq*k || len(labels) != nq*k {
		t.Fatalf("got %d distances and %d labels, want %d", len(dist), len(labels), nq*k)
	}
	byID := map[int64]int{}
	for i := 0; i < len(db.xb)/d; i++ {
		byID[db.id(i)] = i
	}
	found, want := 0, 0
	for q := 0; q < nq; q++ {
		query := row(xq, q)
		best, bestIDs := db.ranked(query)
		top := map[int64]bool{}
		for _, id := range bestIDs[:min(k, len(bestIDs))] {
			top[id] = true
		}
		seen := map[int64]bool{}
		for j := 0; j < k; j++ {
			got, id := float64(dist[q*k+j]), labels[q*k+j]
			if j >= len(bestIDs) {
				if id != -1 {
					t.Fatalf("query %d rank %d: label %d, want -1 (only %d vectors)", q, j, id, len(bestIDs))
				}
				continue
			}
			i, ok := byID[id]
			if !ok || seen[id] {
				t.Fatalf("query %d rank %d: label %d is unknown or repeated", q, j, id)
			}
			seen[id] = true
			if ref := distance(db.metric, query, row(db.xb, i)); !near(got, ref) {
				t.Fatalf("query %d rank %d: distance %g to id %d, want %g", q, j, got, id, ref)
			}
			if minRecall == 1 && !near(got, best[j]) {
				t.Fatalf("query %d rank %d: distance %g, the %d-th best is %g", q, j, got, j+1, best[j])
			}
			if top[id] {
				found++
			}
		}
		want += len(top)
	}
	if recall := float64(found) / float64(want); recall < minRecall {
		t.Fatalf("recall %.3f, want at least %.3f", recall, minRecall)
	}
}

func checkRemote(t *testing.T, idx faiss.Index, remote bool) {
	t.Helper()
	if idx.IsRemote() != remote {
		t.Fatalf("IsRemote() = %v, want %v", idx.IsRemote(), remote)
	}
	if name := idx.RemoteName(); (name != "") != remote {
		t.Fatalf("RemoteName() = %q for a remote=%v index", name, remote)
	}
}

// code asserts that err is an *faiss.Error with the given code, and returns its message.
func code(t *testing.T, err error, want int) string {
	t.Helper()
	var e *faiss.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a *faiss.Error with code %d", err, err, want)
	}
	if e.Code != want || e.Message == "" {
		t.Fatalf("got code %d, message %q; want code %d and a message", e.Code, e.Message, want)
	}
	return e.Message
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustSearch(t *testing.T, idx faiss.Index, xq []float32, k int) ([]float32, []int64) {
	t.Helper()
	dist, labels, err := idx.Search(xq, int64(k))
	must(t, err)
	return dist, labels
}

func testFlat(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 1), vectors(nq, 2)
	for _, metric := range []int{faiss.MetricL2, faiss.MetricInnerProduct} {
		newFlat := map[int]func(int) (*faiss.IndexFlat, error){
			faiss.MetricL2: faiss.NewIndexFlatL2, faiss.MetricInnerProduct: faiss.NewIndexFlatIP,
		}[metric]
		idx, err := newFlat(d)
		must(t, err)
		defer idx.Delete()
		checkRemote(t, idx, remote)
		if idx.D() != d || idx.MetricType() != metric || !idx.IsTrained() || idx.Ntotal() != 0 {
			t.Fatalf("new flat index: D %d, metric %d, trained %v, ntotal %d",
				idx.D(), idx.MetricType(), idx.IsTrained(), idx.Ntotal())
		}
		must(t, idx.Add(xb))
		if idx.Ntotal() != nb {
			t.Fatalf("Ntotal() = %d after adding %d", idx.Ntotal(), nb)
		}
		if !slices.Equal(idx.Xb(), xb) {
			t.Fatal("Xb() differs from the vectors added")
		}
		dist, labels := mustSearch(t, idx, xq, k)
		checkExact(t, database{metric: metric, xb: xb}, xq, k, dist, labels)
	}

	// Fewer vectors than k: the missing results are labelled -1.
	small, err := faiss.NewIndexFlat(d, faiss.MetricL2)
	must(t, err)
	defer small.Delete()
	must(t, small.Add(xb[:3*d]))
	dist, labels := mustSearch(t, small, xq, 5)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb[:3*d]}, xq, 5, dist, labels)

	// No query: no result, no error.
	dist, labels = mustSearch(t, small, nil, 5)
	if len(dist) != 0 || len(labels) != 0 {
		t.Fatalf("%d results for no query", len(labels))
	}
}

func testFlatOtherMetrics(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 3), vectors(nq, 4)
	for _, metric := range []int{faiss.MetricL1, faiss.MetricLinf} {
		idx, err := faiss.NewIndexFlat(d, metric)
		must(t, err)
		defer idx.Delete()
		if idx.MetricType() != metric {
			t.Fatalf("MetricType() = %d, want %d", idx.MetricType(), metric)
		}
		must(t, idx.Add(xb))
		dist, labels := mustSearch(t, idx, xq, k)
		checkExact(t, database{metric: metric, xb: xb}, xq, k, dist, labels)
	}
}

func testIVFFlat(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 5), vectors(nq, 6)
	quantizer, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	ivf, err := faiss.NewIndexIVFFlat(quantizer, d, 8, faiss.MetricL2)
	must(t, err)
	defer ivf.Delete()
	checkRemote(t, ivf, remote)
	if ivf.IsTrained() || ivf.Nlist() != 8 {
		t.Fatalf("new IVF index: trained %v, nlist %d", ivf.IsTrained(), ivf.Nlist())
	}
	must(t, ivf.Train(xb))
	if !ivf.IsTrained() {
		t.Fatal("not trained after Train")
	}
	// The IVF index keeps using its quantizer after the quantizer's own handle is deleted.
	quantizer.Delete()
	if err := quantizer.Add(xb); err == nil {
		t.Fatal("Add on a deleted quantizer succeeded")
	}
	runtime.GC()
	must(t, ivf.Add(xb))
	must(t, ivf.SetNprobe(8))
	if ivf.Nprobe() != 8 {
		t.Fatalf("Nprobe() = %d after SetNprobe(8)", ivf.Nprobe())
	}
	// Scanning every list is an exhaustive search.
	dist, labels := mustSearch(t, ivf, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb}, xq, k, dist, labels)

	must(t, ivf.SetNprobe(1))
	if ivf.Nprobe() != 1 {
		t.Fatalf("Nprobe() = %d after SetNprobe(1)", ivf.Nprobe())
	}
	dist, labels = mustSearch(t, ivf, xq, k)
	checkResults(t, database{metric: faiss.MetricL2, xb: xb}, xq, k, dist, labels, 0)
	code(t, ivf.SetNprobe(0), faiss.ErrCodeInvalidArgument)
}

func testHNSW(t *testing.T, remote bool) {
	xb, xq := vectors(1000, 7), vectors(nq, 8)
	idx, err := faiss.NewIndexHNSWFlat(d, 16, faiss.MetricL2)
	must(t, err)
	defer idx.Delete()
	checkRemote(t, idx, remote)
	if idx.M() != 16 || !idx.IsTrained() {
		t.Fatalf("new HNSW index: M %d, trained %v", idx.M(), idx.IsTrained())
	}
	must(t, idx.SetEfConstruction(80))
	if idx.EfConstruction() != 80 {
		t.Fatalf("EfConstruction() = %d after SetEfConstruction(80)", idx.EfConstruction())
	}
	must(t, idx.Add(xb))
	must(t, idx.SetEfSearch(64))
	if idx.EfSearch() != 64 {
		t.Fatalf("EfSearch() = %d after SetEfSearch(64)", idx.EfSearch())
	}
	dist, labels := mustSearch(t, idx, xq, k)
	checkResults(t, database{metric: faiss.MetricL2, xb: xb}, xq, k, dist, labels, 0.95)
	code(t, idx.SetEfSearch(0), faiss.ErrCodeInvalidArgument)
	code(t, idx.SetEfConstruction(-1), faiss.ErrCodeInvalidArgument)
}

// reconstructAll is every vector of idx as it stores it (decoded).
func reconstructAll(t *testing.T, idx faiss.Index) []float32 {
	t.Helper()
	var out []float32
	for i := int64(0); i < idx.Ntotal(); i++ {
		v, err := idx.Reconstruct(i)
		must(t, err)
		out = append(out, v...)
	}
	return out
}

func testPQ(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 9), vectors(nq, 10)
	idx, err := faiss.NewIndexPQ(d, 4, 4, faiss.MetricL2)
	must(t, err)
	defer idx.Delete()
	checkRemote(t, idx, remote)
	if idx.IsTrained() {
		t.Fatal("a new PQ index says it is trained")
	}
	must(t, idx.Train(xb))
	must(t, idx.Add(xb))
	// A PQ search is exact over the decoded vectors.
	decoded := reconstructAll(t, idx)
	if slices.Equal(decoded, xb) {
		t.Fatal("PQ stored the vectors losslessly: the test data is too easy")
	}
	dist, labels := mustSearch(t, idx, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: decoded}, xq, k, dist, labels)
	_, err = idx.Reconstruct(nb)
	if err == nil {
		t.Fatal("Reconstruct of a missing id succeeded")
	}

	sq, err := faiss.NewIndexScalarQuantizer(d, faiss.QT8bit, faiss.MetricL2)
	must(t, err)
	defer sq.Delete()
	must(t, sq.Train(xb))
	must(t, sq.Add(xb))
	dist, labels = mustSearch(t, sq, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: reconstructAll(t, sq)}, xq, k, dist, labels)
}

func testIVFPQ(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 11), vectors(nq, 12)
	quantizer, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer quantizer.Delete()
	idx, err := faiss.NewIndexIVFPQ(quantizer, d, 4, 4, 4, faiss.MetricL2)
	must(t, err)
	defer idx.Delete()
	checkRemote(t, idx, remote)
	must(t, idx.Train(xb))
	must(t, idx.Add(xb))
	must(t, idx.MakeDirectMap())
	must(t, idx.SetNprobe(4))
	dist, labels := mustSearch(t, idx, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: reconstructAll(t, idx)}, xq, k, dist, labels)
}

func testFactory(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 13), vectors(nq, 14)
	idx, err := faiss.IndexFactory(d, "IVF4,Flat", faiss.MetricInnerProduct)
	must(t, err)
	defer idx.Delete()
	checkRemote(t, idx, remote)
	if idx.MetricType() != faiss.MetricInnerProduct {
		t.Fatalf("MetricType() = %d", idx.MetricType())
	}
	ivf, err := idx.AsIVF()
	must(t, err)
	_, err = idx.AsHNSW()
	code(t, err, faiss.ErrCodeUnsupported)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("AsFlat on an IVF index did not panic")
			}
		}()
		idx.AsFlat()
	}()
	must(t, idx.Train(xb))
	must(t, idx.Add(xb))

	ps, err := faiss.NewParameterSpace()
	must(t, err)
	defer ps.Delete()
	must(t, ps.SetIndexParameter(idx, "nprobe", 4))
	if ivf.Nprobe() != 4 {
		t.Fatalf("Nprobe() = %d after setting nprobe 4", ivf.Nprobe())
	}
	dist, labels := mustSearch(t, idx, xq, k)
	checkExact(t, database{metric: faiss.MetricInnerProduct, xb: xb}, xq, k, dist, labels)
	if err := ps.SetIndexParameter(idx, "no_such_parameter", 1); err == nil {
		t.Fatal("setting an unknown parameter succeeded")
	}

	hnsw, err := faiss.IndexFactory(d, "HNSW8", faiss.MetricL2)
	must(t, err)
	defer hnsw.Delete()
	h, err := hnsw.AsHNSW()
	must(t, err)
	if h.M() != 8 {
		t.Fatalf("M() = %d for HNSW8", h.M())
	}
	flat, err := faiss.IndexFactory(d, "Flat", faiss.MetricL2)
	must(t, err)
	defer flat.Delete()
	must(t, flat.Add(xb))
	if !slices.Equal(flat.AsFlat().Xb(), xb) {
		t.Fatal("Xb() of a factory Flat differs from the vectors added")
	}
}

func testIDMap(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 15), vectors(nq, 16)
	ids := make([]int64, nb)
	for i := range ids {
		ids[i] = 1000 + 7*int64(i)
	}
	flat, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	idmap, err := faiss.NewIndexIDMap(flat)
	must(t, err)
	defer idmap.Delete()
	checkRemote(t, idmap, remote)
	// The IDMap keeps its storage alive once the storage's own handle is gone.
	flat = nil
	runtime.GC()
	runtime.GC()

	code(t, idmap.AddWithIDs(xb, ids[:nb-1]), faiss.ErrCodeInvalidArgument)
	must(t, idmap.AddWithIDs(xb, ids))
	dist, labels := mustSearch(t, idmap, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb, ids: ids}, xq, k, dist, labels)

	// Remove the first half by id; what is left is searched as if only it had been added.
	sel, err := faiss.NewIDSelectorBatch(ids[:nb/2])
	must(t, err)
	defer sel.Delete()
	removed, err := idmap.RemoveIDs(sel)
	must(t, err)
	if removed != nb/2 || idmap.Ntotal() != nb-nb/2 {
		t.Fatalf("removed %d, Ntotal %d; want %d and %d", removed, idmap.Ntotal(), nb/2, nb-nb/2)
	}
	dist, labels = mustSearch(t, idmap, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb[nb/2*d:], ids: ids[nb/2:]}, xq, k, dist, labels)

	// The factory's IDMap.
	f, err := faiss.IndexFactory(d, "IDMap,Flat", faiss.MetricL2)
	must(t, err)
	defer f.Delete()
	must(t, f.AddWithIDs(xb, ids))
	dist, labels = mustSearch(t, f, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb, ids: ids}, xq, k, dist, labels)
}

func testRangeSearch(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 17), vectors(nq, 18)
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(xb))
	// A radius that keeps a few dozen vectors per query.
	best, _ := database{metric: faiss.MetricL2, xb: xb}.ranked(row(xq, 0))
	radius := float32(best[30])

	res, err := idx.RangeSearch(xq, radius)
	must(t, err)
	defer res.Delete()
	lims := res.Lims()
	labels, dist := res.Labels()
	if res.Nq() != nq || len(lims) != nq+1 || lims[0] != 0 || lims[nq] != len(labels) || len(dist) != len(labels) {
		t.Fatalf("Nq %d, %d lims, %d labels, %d distances", res.Nq(), len(lims), len(labels), len(dist))
	}
	total := 0
	for q := 0; q < nq; q++ {
		query := row(xq, q)
		got := map[int64]float32{}
		for j := lims[q]; j < lims[q+1]; j++ {
			got[labels[j]] = dist[j]
		}
		for i := 0; i < nb; i++ {
			ref := distance(faiss.MetricL2, query, row(xb, i))
			gd, ok := got[int64(i)]
			switch {
			case ok && !near(float64(gd), ref):
				t.Fatalf("query %d: distance %g to %d, want %g", q, gd, i, ref)
			case ok && ref > float64(radius)+1e-4:
				t.Fatalf("query %d: %d at %g is outside radius %g", q, i, ref, radius)
			case !ok && ref < float64(radius)-1e-4:
				t.Fatalf("query %d: %d at %g is within radius %g but missing", q, i, ref, radius)
			}
		}
		total += len(got)
	}
	if total < nq {
		t.Fatalf("only %d results in all: the radius is too small to test anything", total)
	}

	res, err = idx.RangeSearch(nil, radius)
	must(t, err)
	if res.Nq() != 0 {
		t.Fatalf("Nq() = %d for no query", res.Nq())
	}
}

func testRemove(t *testing.T, remote bool) {
	xb := vectors(nb, 19)
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(xb))
	sel, err := faiss.NewIDSelectorRange(10, 20)
	must(t, err)
	defer sel.Delete()
	removed, err := idx.RemoveIDs(sel)
	must(t, err)
	if removed != 10 || idx.Ntotal() != nb-10 {
		t.Fatalf("removed %d, Ntotal %d; want 10 and %d", removed, idx.Ntotal(), nb-10)
	}
	// A flat index renumbers: the vectors after the gap move down.
	want := slices.Concat(xb[:10*d], xb[20*d:])
	if !slices.Equal(idx.Xb(), want) {
		t.Fatal("Xb() after RemoveIDs is not the remaining vectors in order")
	}
	none, err := faiss.NewIDSelectorBatch(nil)
	must(t, err)
	defer none.Delete()
	removed, err = idx.RemoveIDs(none)
	must(t, err)
	if removed != 0 || idx.Ntotal() != nb-10 {
		t.Fatalf("an empty selector removed %d, Ntotal %d", removed, idx.Ntotal())
	}
	must(t, idx.Reset())
	if idx.Ntotal() != 0 || len(idx.Xb()) != 0 {
		t.Fatalf("Ntotal %d after Reset", idx.Ntotal())
	}
}

// trainedIVF is an IVF-Flat index (from the factory, so that it owns its quantizer) holding
// xb, with nprobe 2.
func trainedIVF(t *testing.T, xb []float32) *faiss.IndexImpl {
	t.Helper()
	idx, err := faiss.IndexFactory(d, "IVF8,Flat", faiss.MetricL2)
	must(t, err)
	must(t, idx.Train(xb))
	must(t, idx.Add(xb))
	ivf, err := idx.AsIVF()
	must(t, err)
	must(t, ivf.SetNprobe(2))
	return idx
}

func sameSearch(t *testing.T, a, b faiss.Index, xq []float32) {
	t.Helper()
	da, la := mustSearch(t, a, xq, k)
	db, lb := mustSearch(t, b, xq, k)
	if !slices.Equal(la, lb) || !slices.Equal(da, db) {
		t.Fatal("the copy's search results differ from the original's")
	}
}

func testReadWrite(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 21), vectors(nq, 22)
	idx := trainedIVF(t, xb)
	defer idx.Delete()

	path := filepath.Join(t.TempDir(), "ivf.faiss")
	must(t, faiss.WriteIndex(idx, path))
	back, err := faiss.ReadIndex(path, 0)
	must(t, err)
	defer back.Delete()
	checkRemote(t, back, remote)
	ivf, err := back.AsIVF()
	must(t, err)
	if ivf.Nprobe() != 2 || back.Ntotal() != nb || back.D() != d {
		t.Fatalf("read back: nprobe %d, ntotal %d, d %d", ivf.Nprobe(), back.Ntotal(), back.D())
	}
	sameSearch(t, idx, back, xq)

	buf, err := faiss.WriteIndexToBuffer(idx)
	must(t, err)
	file, err := os.ReadFile(path)
	must(t, err)
	if !slices.Equal(buf, file) {
		t.Fatal("WriteIndexToBuffer and WriteIndex give different bytes")
	}
	fromBuf, err := faiss.ReadIndexFromBuffer(buf, 0)
	must(t, err)
	defer fromBuf.Delete()
	sameSearch(t, idx, fromBuf, xq)

	if _, err := faiss.ReadIndex(filepath.Join(t.TempDir(), "missing.faiss"), 0); err == nil {
		t.Fatal("ReadIndex of a missing file succeeded")
	}
	if _, err := faiss.ReadIndexFromBuffer(buf[:len(buf)/2], 0); err == nil {
		t.Fatal("ReadIndexFromBuffer of half an index succeeded")
	}
	if _, err := faiss.ReadIndexFromBuffer(nil, 0); err == nil {
		t.Fatal("ReadIndexFromBuffer of nothing succeeded")
	}
}

func testCloneMerge(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 23), vectors(nq, 24)
	idx := trainedIVF(t, xb)
	defer idx.Delete()
	clone, err := faiss.CloneIndex(idx)
	must(t, err)
	defer clone.Delete()
	checkRemote(t, clone, remote)
	sameSearch(t, idx, clone, xq)
	must(t, clone.Add(xb[:d]))
	if clone.Ntotal() != nb+1 || idx.Ntotal() != nb {
		t.Fatalf("after adding to the clone: clone %d, original %d vectors", clone.Ntotal(), idx.Ntotal())
	}

	a, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer a.Delete()
	b, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer b.Delete()
	must(t, a.Add(xb[:100*d]))
	must(t, b.Add(xb[100*d:]))
	must(t, a.MergeFrom(b, 0))
	if a.Ntotal() != nb || b.Ntotal() != 0 {
		t.Fatalf("after MergeFrom: %d and %d vectors", a.Ntotal(), b.Ntotal())
	}
	dist, labels := mustSearch(t, a, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb}, xq, k, dist, labels)
	code(t, a.MergeFrom(a, 0), faiss.ErrCodeInvalidArgument)
}

func deleteAll(indexes []faiss.Index) {
	for _, idx := range indexes {
		idx.Delete()
	}
}

func testSplitMerge(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 41), vectors(nq, 42)
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(xb))

	parts, err := faiss.SplitIndex(idx, 3)
	must(t, err)
	defer deleteAll(parts)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	// A flat index's ids are positions: part k holds the next run of vectors, numbered from 0.
	first := 0
	for k, part := range parts {
		checkRemote(t, part, remote)
		n := int(part.Ntotal())
		if n != nb/3 && n != nb/3+1 {
			t.Fatalf("part %d holds %d vectors, want %d or %d", k, n, nb/3, nb/3+1)
		}
		v, err := part.Reconstruct(0)
		must(t, err)
		if !slices.Equal(v, row(xb, first)) {
			t.Fatalf("part %d: Reconstruct(0) is not vector %d of the index", k, first)
		}
		if !slices.Equal(reconstructAll(t, part), xb[first*d:(first+n)*d]) {
			t.Fatalf("part %d does not hold vectors %d to %d", k, first, first+n-1)
		}
		first += n
	}
	if first != nb {
		t.Fatalf("the parts hold %d vectors, the index %d", first, nb)
	}
	if idx.Ntotal() != nb || !slices.Equal(idx.Xb(), xb) {
		t.Fatal("SplitIndex changed the index")
	}

	merged, err := faiss.MergeIndexes(parts...)
	must(t, err)
	defer merged.Delete()
	checkRemote(t, merged, remote)
	if merged.Ntotal() != nb || !slices.Equal(merged.AsFlat().Xb(), xb) {
		t.Fatal("merging the parts does not give the index's vectors back in order")
	}
	sameSearch(t, idx, merged, xq)
	for k, part := range parts {
		if int(part.Ntotal()) < nb/3 {
			t.Fatalf("MergeIndexes changed part %d", k)
		}
	}

	// One index twice: its vectors twice, the second copy numbered after the first.
	twice, err := faiss.MergeIndexes(parts[0], parts[0])
	must(t, err)
	defer twice.Delete()
	n := int(parts[0].Ntotal())
	if twice.Ntotal() != int64(2*n) || !slices.Equal(twice.AsFlat().Xb(), slices.Concat(xb[:n*d], xb[:n*d])) {
		t.Fatalf("merging a part with itself: %d vectors", twice.Ntotal())
	}

	// One part, or one index to merge: a copy.
	whole, err := faiss.SplitIndex(idx, 1)
	must(t, err)
	defer deleteAll(whole)
	sameSearch(t, idx, whole[0], xq)
	copied, err := faiss.MergeIndexes(idx)
	must(t, err)
	defer copied.Delete()
	sameSearch(t, idx, copied, xq)
}

func testMergeIDMap(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 43), vectors(nq, 44)
	ids := make([]int64, nb)
	for i := range ids {
		ids[i] = 5000 - 9*int64(i)
	}
	half := nb / 2
	var sources []faiss.Index
	defer func() { deleteAll(sources) }()
	for _, r := range [][2]int{{0, half}, {half, nb}} {
		idx, err := faiss.IndexFactory(d, "IDMap,Flat", faiss.MetricL2)
		must(t, err)
		sources = append(sources, idx)
		must(t, idx.AddWithIDs(xb[r[0]*d:r[1]*d], ids[r[0]:r[1]]))
	}
	merged, err := faiss.MergeIndexes(sources...)
	must(t, err)
	defer merged.Delete()
	checkRemote(t, merged, remote)
	if merged.Ntotal() != nb || sources[0].Ntotal() != int64(half) || sources[1].Ntotal() != int64(nb-half) {
		t.Fatalf("after MergeIndexes: %d vectors merged from %d and %d", merged.Ntotal(), sources[0].Ntotal(), sources[1].Ntotal())
	}
	dist, labels := mustSearch(t, merged, xq, k)
	checkExact(t, database{metric: faiss.MetricL2, xb: xb, ids: ids}, xq, k, dist, labels)

	// Splitting keeps the ids too: part k holds the k-th range of them, in id order.
	parts, err := faiss.SplitIndex(merged, 2)
	must(t, err)
	defer deleteAll(parts)
	// ids decrease with the position: the low half of the ids is the second half of xb.
	for p, want := range []database{
		{metric: faiss.MetricL2, xb: xb[half*d:], ids: ids[half:]},
		{metric: faiss.MetricL2, xb: xb[:half*d], ids: ids[:half]},
	} {
		dist, labels := mustSearch(t, parts[p], xq, k)
		checkExact(t, want, xq, k, dist, labels)
	}
}

func testErrorsSplitMerge(t *testing.T, remote bool) {
	xb := vectors(20, 45)
	a, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer a.Delete()
	must(t, a.Add(xb))
	wide, err := faiss.NewIndexFlatL2(d + 1)
	must(t, err)
	defer wide.Delete()
	_, err = faiss.MergeIndexes(a, wide)
	if msg := code(t, err, faiss.ErrCodeInvalidArgument); !strings.Contains(msg, "dimension") {
		t.Fatalf("message %q does not mention the dimension", msg)
	}

	hnsw, err := faiss.NewIndexHNSWFlat(d, 8, faiss.MetricL2)
	must(t, err)
	defer hnsw.Delete()
	must(t, hnsw.Add(xb))
	_, err = faiss.SplitIndex(hnsw, 2)
	code(t, err, faiss.ErrCodeFaiss)
	_, err = faiss.MergeIndexes(hnsw, hnsw)
	code(t, err, faiss.ErrCodeFaiss)
	if hnsw.Ntotal() != 20 {
		t.Fatalf("Ntotal() = %d after the failed calls", hnsw.Ntotal())
	}

	for _, parts := range []int{0, -1} {
		_, err = faiss.SplitIndex(a, parts)
		if msg := code(t, err, faiss.ErrCodeInvalidArgument); !strings.Contains(msg, "parts") {
			t.Fatalf("parts = %d: message %q does not name parts", parts, msg)
		}
	}
	_, err = faiss.MergeIndexes()
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = faiss.MergeIndexes(a, nil)
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = faiss.SplitIndex(nil, 2)
	code(t, err, faiss.ErrCodeInvalidArgument)

	gone, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	gone.Delete()
	_, err = faiss.MergeIndexes(a, gone)
	if msg := code(t, err, faiss.ErrCodeInvalidArgument); !strings.Contains(msg, "indexes[1]") {
		t.Fatalf("message %q does not name indexes[1]", msg)
	}
	_, err = faiss.SplitIndex(gone, 2)
	code(t, err, faiss.ErrCodeInvalidArgument)
	if a.Ntotal() != 20 {
		t.Fatalf("Ntotal() = %d after the failed calls", a.Ntotal())
	}
}

func testErrorsDimension(t *testing.T, remote bool) {
	xb := vectors(10, 25)
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(xb))
	bad := xb[:d+3]
	code(t, idx.Add(bad), faiss.ErrCodeInvalidArgument)
	code(t, idx.AddWithIDs(bad, []int64{1, 2}), faiss.ErrCodeInvalidArgument)
	code(t, idx.Train(bad), faiss.ErrCodeInvalidArgument)
	_, _, err = idx.Search(bad, k)
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = idx.RangeSearch(bad, 1)
	code(t, err, faiss.ErrCodeInvalidArgument)
	if idx.Ntotal() != 10 {
		t.Fatalf("Ntotal() = %d after rejected adds", idx.Ntotal())
	}

	_, err = faiss.NewIndexFlatL2(0)
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = faiss.NewIndexHNSWFlat(-1, 16, faiss.MetricL2)
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = faiss.NewIndexFlat(d, 12345)
	code(t, err, faiss.ErrCodeInvalidArgument)
	// The quantizer must have the IVF index's dimension.
	_, err = faiss.NewIndexIVFFlat(idx, d+1, 4, faiss.MetricL2)
	code(t, err, faiss.ErrCodeInvalidArgument)
	_, err = faiss.NewIndexIVFFlat(idx, d, 0, faiss.MetricL2)
	code(t, err, faiss.ErrCodeInvalidArgument)
}

func testErrorsK(t *testing.T, remote bool) {
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(vectors(10, 26)))
	for _, k := range []int64{0, -3} {
		_, _, err := idx.Search(vectors(2, 27), k)
		msg := code(t, err, faiss.ErrCodeInvalidArgument)
		// faissx's own message, read in the failing call: it names the function and k.
		if !strings.Contains(msg, "faissx_Index_search") || !strings.Contains(msg, fmt.Sprint(k)) {
			t.Fatalf("k = %d: message %q does not name faissx_Index_search and k", k, msg)
		}
	}
}

func testErrorsFaiss(t *testing.T, remote bool) {
	xb := vectors(10, 28)
	// FAISS's own checks, with FAISS's message.
	idx, err := faiss.IndexFactory(d, "IVF100,Flat", faiss.MetricL2)
	must(t, err)
	defer idx.Delete()
	code(t, idx.Add(xb), faiss.ErrCodeFaiss)
	msg := code(t, idx.Train(xb), faiss.ErrCodeFaiss)
	if !strings.Contains(msg, "training points") {
		t.Fatalf("message %q is not FAISS's about too few training points", msg)
	}
	// Getters right after a failed call: a genuine 0 and false, not that failure.
	if idx.Ntotal() != 0 || idx.IsTrained() {
		t.Fatalf("after the failed Train: Ntotal %d, trained %v", idx.Ntotal(), idx.IsTrained())
	}
	_, err = faiss.IndexFactory(d, "NoSuchIndex", faiss.MetricL2)
	code(t, err, faiss.ErrCodeFaiss)
}

func testErrorsAfterDelete(t *testing.T, remote bool) {
	xb := vectors(10, 29)
	flat, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	must(t, flat.Add(xb))
	sel, err := faiss.NewIDSelectorRange(0, 1)
	must(t, err)
	ps, err := faiss.NewParameterSpace()
	must(t, err)
	hnsw, err := faiss.NewIndexHNSWFlat(d, 8, faiss.MetricL2)
	must(t, err)
	ivf := trainedIVF(t, xb)
	ivfTyped, err := ivf.AsIVF()
	must(t, err)

	for _, idx := range []faiss.Index{flat, hnsw, ivf} {
		idx.Delete()
		idx.Delete() // a second Delete does nothing
		deleted := func(err error) { t.Helper(); code(t, err, faiss.ErrCodeInvalidArgument) }
		deleted(idx.Add(xb))
		deleted(idx.AddWithIDs(xb, make([]int64, 10)))
		deleted(idx.Train(xb))
		deleted(idx.Reset())
		_, _, err = idx.Search(xb, 1)
		deleted(err)
		_, err = idx.RangeSearch(xb, 1)
		deleted(err)
		_, err = idx.RemoveIDs(sel)
		deleted(err)
		_, err = idx.Reconstruct(0)
		deleted(err)
		deleted(faiss.WriteIndex(idx, filepath.Join(t.TempDir(), "x")))
		_, err = faiss.WriteIndexToBuffer(idx)
		deleted(err)
		_, err = faiss.CloneIndex(idx)
		deleted(err)
		_, err = faiss.NewIndexIDMap(idx)
		deleted(err)
		_, err = faiss.NewIndexIVFFlat(idx, d, 2, faiss.MetricL2)
		deleted(err)
		deleted(ps.SetIndexParameter(idx, "nprobe", 1))
		if idx.D() != 0 || idx.Ntotal() != 0 || idx.IsTrained() || idx.IsRemote() || idx.RemoteName() != "" {
			t.Fatal("getters of a deleted index return values")
		}
	}
	// Use after Delete, and a nil index, are the caller's mistakes: ErrCodeInvalidArgument.
	deletedErr := func(err error) { t.Helper(); code(t, err, faiss.ErrCodeInvalidArgument) }
	if flat.Xb() != nil {
		t.Fatal("Xb() of a deleted index is not nil")
	}
	deletedErr(hnsw.SetEfSearch(10))
	if hnsw.EfSearch() != 0 || hnsw.M() != 0 {
		t.Fatal("HNSW getters of a deleted index return values")
	}
	deletedErr(ivfTyped.SetNprobe(1))
	deletedErr(ivfTyped.MakeDirectMap())
	if ivfTyped.Nprobe() != 0 || ivfTyped.Nlist() != 0 {
		t.Fatal("IVF getters of a deleted index return values")
	}
	_, err = ivf.AsIVF()
	deletedErr(err)
	if ivf.AsFlat().Xb() != nil { // AsFlat of a deleted index gives a deleted index, no panic
		t.Fatal("Xb() of a deleted index is not nil")
	}

	live, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer live.Delete()
	deletedErr(live.MergeFrom(flat, 0))
	deletedErr(flat.MergeFrom(live, 0))
	sel.Delete()
	sel.Delete()
	_, err = live.RemoveIDs(sel)
	deletedErr(err)
	ps.Delete()
	ps.Delete()
	deletedErr(ps.SetIndexParameter(live, "verbose", 0))

	// A nil index is an error too, not a panic.
	deletedErr(faiss.WriteIndex(nil, filepath.Join(t.TempDir(), "x")))
	_, err = faiss.CloneIndex(nil)
	deletedErr(err)
	_, err = faiss.NewIndexIDMap(nil)
	deletedErr(err)
	_, err = faiss.NewIndexIVFFlat(nil, d, 2, faiss.MetricL2)
	deletedErr(err)
	deletedErr(live.MergeFrom(nil, 0))
}

// Each goroutine's error carries its own call's message, though goroutines move between OS
// threads and faissx keeps the message per thread. Failures alternate between faissx's
// checks (fast) and FAISS's (slower: in remote mode a round trip), with a number that only
// that call's message contains.
func testErrorsPerGoroutine(t *testing.T, remote bool) {
	idx, err := faiss.NewIndexFlatL2(d)
	must(t, err)
	defer idx.Delete()
	xq := vectors(1, 30)
	xt := vectors(900, 31)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		ivf, err := faiss.IndexFactory(d, "IVF1000,Flat", faiss.MetricL2)
		must(t, err)
		defer ivf.Delete()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				// Every k and n has the same number of digits, so no message contains another's.
				var err error
				var want string
				if i%2 == 0 {
					k := -int64(100000 + g*1000 + i)
					_, _, err = idx.Search(xq, k)
					want = fmt.Sprint(k)
				} else {
					n := 100 + g*100 + i
					err = ivf.Train(xt[:n*d])
					want = fmt.Sprintf("(%d)", n)
				}
				var e *faiss.Error
				if !errors.As(err, &e) || !strings.Contains(e.Message, want) {
					errs <- fmt.Errorf("goroutine %d call %d: got %v, want a message with %s", g, i, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testConcurrentSearch(t *testing.T, remote bool) {
	xb, xq := vectors(nb, 31), vectors(nq, 32)
	idx := trainedIVF(t, xb)
	defer idx.Delete()
	wantD, wantL := mustSearch(t, idx, xq, k)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				dist, labels, err := idx.Search(xq, k)
				if err != nil || !slices.Equal(dist, wantD) || !slices.Equal(labels, wantL) {
					errs <- fmt.Errorf("concurrent search %d: different results (err %v)", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
