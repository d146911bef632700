//go:build !linux

package suite

import "syscall"

func dieWithParent() *syscall.SysProcAttr { return nil }
