package faiss_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	faiss "github.com/faissx/faissx/bindings/go"
	"github.com/faissx/faissx/bindings/go/internal/suite"
)

// Local mode: this test binary never talks to a server (remotetest does).
func TestMain(m *testing.M) {
	for _, v := range []string{"FAISSX_SERVER", "FAISSX_API_KEY", "FAISSX_TENANT_ID"} {
		os.Unsetenv(v)
	}
	if err := faiss.Configure("", "", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestLocal(t *testing.T) { suite.Run(t, false) }

func TestVersion(t *testing.T) {
	v := faiss.Version()
	if !strings.HasPrefix(v, "faissx ") || !strings.Contains(v, "FAISS") {
		t.Fatalf("Version() = %q", v)
	}
}

func TestErrorString(t *testing.T) {
	err := error(&faiss.Error{Code: faiss.ErrCodeTransport, Message: "faissx_Index_add: no answer"})
	if s := err.Error(); !strings.Contains(s, "faissx_Index_add: no answer") || !strings.Contains(s, "-10") {
		t.Fatalf("Error() = %q", s)
	}
}
