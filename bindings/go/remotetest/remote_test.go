package remotetest_test

import (
	"fmt"
	"net"
	"os"
	"slices"
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

// A server that cannot be reached gives ErrCodeTransport, when creating an index and when
// using one whose server went away.
func TestDeadServer(t *testing.T) {
	must(t, faiss.SetOption("timeout_ms", "200"))
	must(t, faiss.ConfigureRecovery(0, 0.01, 1))
	t.Cleanup(func() {
		must(t, faiss.SetOption("timeout_ms", "30000"))
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

	doomed.Stop()
	_, _, err = idx.Search(x, 3)
	wantCode(t, err, faiss.ErrCodeTransport)
	wantCode(t, idx.Add(x), faiss.ErrCodeTransport)
	ivf, err := faiss.IndexFactory(8, "IVF2,Flat", faiss.MetricL2)
	if err == nil {
		ivf.Delete()
		t.Fatal("IndexFactory succeeded without a server")
	}
	wantCode(t, err, faiss.ErrCodeTransport)
}
