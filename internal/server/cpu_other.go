//go:build !unix

package server

// cpuTimes is not available on this platform: INFO cpu is empty.
func cpuTimes() (self, children cpuTime, ok bool) { return cpuTime{}, cpuTime{}, false }
