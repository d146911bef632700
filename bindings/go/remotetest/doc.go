// Package remotetest runs the binding's test suite against a faissx-server that its TestMain
// starts on a loopback port. Remote mode is process-wide, hence a test binary of its own.
package remotetest
