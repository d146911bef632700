package remotetest_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	faiss "github.com/faissx/faissx/bindings/go"
	"github.com/faissx/faissx/bindings/go/internal/suite"
)

var server *suite.Server

func TestMain(m *testing.M) {
	var err error
	server, err = suite.StartServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if err = faiss.Configure(server.Addr, "", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	server.Stop()
	os.Exit(code)
}

func TestRemote(t *testing.T) { suite.Run(t, true) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	e, ok := err.(*faiss.Error)
	if !ok || e.Code != code || e.Message == "" {
		t.Fatalf("got %v, want a *faiss.Error with code %d and a message", err, code)
	}
}

// wantPanic checks that get panics with a *faiss.Error of this code naming function: getters
// have no error result (see faiss.Index).
func wantPanic(t *testing.T, code int, function string, get func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		e, ok := r.(*faiss.Error)
		if !ok || e.Code != code || !strings.Contains(e.Message, function) {
			t.Fatalf("%s: got panic %v, want a *faiss.Error with code %d naming it", function, r, code)
		}
	}()
	get()
}

func vectors(n, d int) []float32 {
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32((i*7919)%1000) / 1000
	}
	return x
}

func TestPing(t *testing.T) { must(t, faiss.Ping()) }

// RemoteOpen shares one server-side index between handles; deleting the opened handle
// leaves the index on the server.
func TestRemoteOpen(t *testing.T) {
	idx, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer idx.Delete()
	must(t, idx.Add(vectors(50, 8)))
	name := idx.RemoteName()
	if name == "" {
		t.Fatal("a remote index has no RemoteName")
	}
	other, err := faiss.RemoteOpen(name)
	must(t, err)
	if !other.IsRemote() || other.Ntotal() != 50 || other.D() != 8 {
		t.Fatalf("opened index: remote %v, ntotal %d, d %d", other.IsRemote(), other.Ntotal(), other.D())
	}
	must(t, other.Add(vectors(5, 8)))
	other.Delete()
	if n := idx.Ntotal(); n != 55 {
		t.Fatalf("Ntotal() = %d through the first handle, want 55", n)
	}
	_, err = faiss.RemoteOpen("no-such-index")
	wantCode(t, err, faiss.ErrCodeNotFound)
}

// Configure("", "", "") switches back to local mode for new indexes; existing remote ones
// keep working.
func TestSwitchToLocal(t *testing.T) {
	remote, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer remote.Delete()
	must(t, faiss.Configure("", "", ""))
	t.Cleanup(func() { must(t, faiss.Configure(server.Addr, "", "")) })
	local, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer local.Delete()
	if local.IsRemote() || !remote.IsRemote() {
		t.Fatalf("after Configure(\"\"): new index remote %v, old one remote %v", local.IsRemote(), remote.IsRemote())
	}
	x := vectors(20, 8)
	must(t, remote.Add(x))
	must(t, local.Add(x))
	dr, lr, err := remote.Search(x[:8], 5)
	must(t, err)
	dl, ll, err := local.Search(x[:8], 5)
	must(t, err)
	if !slices.Equal(lr, ll) || !slices.Equal(dr, dl) {
		t.Fatal("the local and the remote index answer differently")
	}
}

// MergeIndexes takes indexes of one place: a local and a remote one do not mix, whichever
// comes first, and stay as they were.
func TestMergeLocalAndRemote(t *testing.T) {
	remote, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer remote.Delete()
	must(t, faiss.Configure("", "", ""))
	local, err := faiss.NewIndexFlatL2(8)
	// Remote mode again before anything can fail, for the tests that follow.
	must(t, faiss.Configure(server.Addr, "", ""))
	must(t, err)
	defer local.Delete()
	x := vectors(10, 8)
	must(t, remote.Add(x))
	must(t, local.Add(x))
	for _, pair := range [][]faiss.Index{{local, remote}, {remote, local}} {
		merged, err := faiss.MergeIndexes(pair...)
		if err == nil {
			merged.Delete()
			t.Fatalf("merged a local and a remote index (local first: %v)", pair[0] == local)
		}
		var e *faiss.Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, "indexes[1]") {
			t.Fatalf("got %v, want a *faiss.Error naming indexes[1]", err)
		}
	}
	if local.Ntotal() != 10 || remote.Ntotal() != 10 {
		t.Fatalf("after the failed merges: local %d, remote %d vectors", local.Ntotal(), remote.Ntotal())
	}
}

// A server that cannot be reached gives ErrCodeTransport, when creating an index and when
// using one whose server went away: as an error, or as a getter's panic.
func TestDeadServer(t *testing.T) {
	must(t, faiss.SetOption("timeout_ms", "200"))
	// Otherwise each call to a dead server waits 5 s for a connection.
	must(t, faiss.SetOption("connect_timeout_ms", "500"))
	must(t, faiss.ConfigureRecovery(0, 0.01, 1))
	t.Cleanup(func() {
		must(t, faiss.SetOption("timeout_ms", "30000"))
		must(t, faiss.SetOption("connect_timeout_ms", "5000"))
		must(t, faiss.ConfigureRecovery(3, 0.1, 2))
		must(t, faiss.Configure(server.Addr, "", ""))
	})

	// A port nobody listens on: bound, then released.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := "tcp://" + l.Addr().String()
	l.Close()
	must(t, faiss.Configure(closed, "", ""))
	_, err = faiss.NewIndexFlatL2(8)
	wantCode(t, err, faiss.ErrCodeTransport)
	wantCode(t, faiss.Ping(), faiss.ErrCodeTransport)

	doomed, err := suite.StartServer()
	must(t, err)
	defer doomed.Stop()
	must(t, faiss.Configure(doomed.Addr, "", ""))
	idx, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer idx.Delete()
	x := vectors(10, 8)
	must(t, idx.Add(x))
	_, _, err = idx.Search(x, 3)
	must(t, err)
	// Getters return no error code in the C API: their genuine 0s and falses must pass.
	empty, err := faiss.NewIndexFlatL2(8)
	must(t, err)
	defer empty.Delete()
	impl, err := faiss.IndexFactory(8, "IVF2,Flat", faiss.MetricL2)
	must(t, err)
	defer impl.Delete()
	untrained, err := impl.AsIVF()
	must(t, err)
	hnsw, err := faiss.NewIndexHNSWFlat(8, 8, faiss.MetricL2)
	must(t, err)
	defer hnsw.Delete()
	if empty.Ntotal() != 0 || len(empty.Xb()) != 0 || untrained.Ntotal() != 0 || untrained.IsTrained() {
		t.Fatalf("live server: empty Ntotal %d, Xb %d floats; untrained IVF Ntotal %d, trained %v",
			empty.Ntotal(), len(empty.Xb()), untrained.Ntotal(), untrained.IsTrained())
	}

	doomed.Stop()
	_, _, err = idx.Search(x, 3)
	wantCode(t, err, faiss.ErrCodeTransport)
	wantCode(t, idx.Add(x), faiss.ErrCodeTransport)
	transport := func(function string, get func()) { t.Helper(); wantPanic(t, faiss.ErrCodeTransport, function, get) }
	transport("faissx_Index_ntotal", func() { empty.Ntotal() })
	transport("faissx_Index_ntotal", func() { untrained.Ntotal() })
	transport("faissx_Index_is_trained", func() { untrained.IsTrained() })
	transport("faissx_IndexIVF_nprobe", func() { untrained.Nprobe() })
	transport("faissx_IndexHNSW_efSearch", func() { hnsw.EfSearch() })
	transport("faissx_IndexHNSW_efConstruction", func() { hnsw.EfConstruction() })
	transport("faissx_IndexFlat_xb", func() { idx.Xb() })
	// Fixed at creation and kept by the client: answered without the server.
	if untrained.Nlist() != 2 || hnsw.M() != 8 || empty.D() != 8 || empty.MetricType() != faiss.MetricL2 {
		t.Fatalf("dead server: Nlist %d, M %d, D %d, MetricType %d",
			untrained.Nlist(), hnsw.M(), empty.D(), empty.MetricType())
	}
	ivf, err := faiss.IndexFactory(8, "IVF2,Flat", faiss.MetricL2)
	if err == nil {
		ivf.Delete()
		t.Fatal("IndexFactory succeeded without a server")
	}
	wantCode(t, err, faiss.ErrCodeTransport)
}
