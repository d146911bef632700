package suite

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Server is a faissx-server process on a loopback port of its own.
type Server struct {
	Addr string // "tcp://127.0.0.1:PORT"
	cmd  *exec.Cmd
}

// ServerBinary is $FAISSX_SERVER_BIN, or target/release/faissx-server of this repository.
func ServerBinary() string {
	if bin := os.Getenv("FAISSX_SERVER_BIN"); bin != "" {
		return bin
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
	return filepath.Join(root, "target", "release", "faissx-server")
}

// StartServer starts a faissx-server on an ephemeral loopback port and waits until it listens.
func StartServer() (*Server, error) {
	bin := ServerBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("faissx-server not found (run `cargo build --release` at the repository root, or set FAISSX_SERVER_BIN): %w", err)
	}
	cmd := exec.Command(bin, "--bind-address", "127.0.0.1", "--port", "0", "--log-level", "warn")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = dieWithParent()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
				addr <- strings.TrimSpace(rest)
				break
			}
		}
		close(addr)
		// Keeps reading so that the server never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case a, ok := <-addr:
		if ok {
			return &Server{Addr: a, cmd: cmd}, nil
		}
		err = fmt.Errorf("%s exited before listening", bin)
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("%s did not say where it listens within 60 s", bin)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, err
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
