//go:build unix

package server

import (
	"syscall"
	"time"
)

// cpuTimes returns the CPU time used by the process and by its waited-for
// children (getrusage).
func cpuTimes() (self, children cpuTime, ok bool) {
	conv := func(ru *syscall.Rusage) cpuTime {
		return cpuTime{
			sys:  time.Duration(ru.Stime.Nano()),
			user: time.Duration(ru.Utime.Nano()),
		}
	}
	var s, c syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &s) != nil || syscall.Getrusage(syscall.RUSAGE_CHILDREN, &c) != nil {
		return cpuTime{}, cpuTime{}, false
	}
	return conv(&s), conv(&c), true
}
