package suite

import "syscall"

// dieWithParent stops the server with the test binary, even when a test timeout kills it
// before its cleanup runs.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
