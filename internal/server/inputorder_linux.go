package server

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// inputOrder gives PUBLISH the ordering a single-threaded Redis has for
// free: a command a subscriber sent before another client's PUBLISH is
// handled before it. Kiwi's connections run in parallel, so a subscriber's
// UNSUBSCRIBE that is already in its socket can lose the race against a
// PUBLISH that arrived after it on another connection, and the message is
// counted (and delivered) although the client had unsubscribed first.
//
// Every subscribed connection's socket is also registered, level
// triggered, in one epoll instance of its own. Before it counts receivers,
// PUBLISH asks that instance (one epoll_wait with a zero timeout, whatever
// the number of subscribers) which subscribers have unread input, and
// waits, boundedly (inputOrderWait), for them to handle it. A subscriber
// with nothing unread costs nothing; subscribers rarely send commands, so
// PUBLISH almost never waits.
type inputOrder struct {
	epfd int // -1: unavailable (every method is then a no-op)

	mu   sync.Mutex
	byFD map[int32]*client
	n    atomic.Int64 // len(byFD): no syscall while nobody is subscribed
}

func newInputOrder() *inputOrder {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return &inputOrder{epfd: -1}
	}
	return &inputOrder{epfd: fd, byFD: make(map[int32]*client)}
}

// close releases the epoll instance.
func (o *inputOrder) close() {
	if o.epfd >= 0 {
		_ = syscall.Close(o.epfd)
	}
}

// socketFD returns c's socket descriptor, or -1.
func socketFD(c *client) int32 {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := int32(-1)
	if rc.Control(func(f uintptr) { fd = int32(f) }) != nil {
		return -1
	}
	return fd
}

// add registers a connection that just subscribed; it returns the
// descriptor to pass to remove (-1 when not registered).
func (o *inputOrder) add(c *client) int32 {
	if o.epfd < 0 {
		return -1
	}
	fd := socketFD(c)
	if fd < 0 {
		return -1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: fd}
	if err := syscall.EpollCtl(o.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		return -1
	}
	o.byFD[fd] = c
	o.n.Store(int64(len(o.byFD)))
	return fd
}

// remove unregisters c (registered as fd) when its connection ends. The
// kernel forgets a closed socket by itself; the map entry is dropped only
// if the descriptor was not reused by a newer subscriber.
func (o *inputOrder) remove(c *client, fd int32) {
	if o.epfd < 0 || fd < 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byFD[fd] == c {
		delete(o.byFD, fd)
		o.n.Store(int64(len(o.byFD)))
		_ = syscall.EpollCtl(o.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	}
}

// pending appends to out the subscribed connections (up to 16) with
// unread input, other than self.
func (o *inputOrder) pending(self *client, out []*client) []*client {
	if o.epfd < 0 || o.n.Load() == 0 {
		return out
	}
	var buf [16]syscall.EpollEvent
	n, err := syscall.EpollWait(o.epfd, buf[:], 0)
	for i := 0; err == syscall.EINTR && i < 8; i++ { // the runtime's preemption signals
		n, err = syscall.EpollWait(o.epfd, buf[:], 0)
	}
	if err != nil || n <= 0 {
		return out
	}
	o.mu.Lock()
	for _, ev := range buf[:n] {
		if c := o.byFD[ev.Fd]; c != nil && c != self {
			out = append(out, c)
		}
	}
	o.mu.Unlock()
	return out
}
