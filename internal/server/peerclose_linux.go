package server

import (
	"errors"
	"syscall"
	"time"
)

// peerPollInterval is how often watchPeerClose looks again when the peer
// has sent more requests while blocked (the socket stays readable, so it
// cannot wait for readability).
const peerPollInterval = 50 * time.Millisecond

// watchPeerClose reports, by closing gone, when the peer closes the
// connection or it fails. It only peeks at the socket (MSG_PEEK): requests
// the client pipelined behind a blocking command stay unread for the
// connection's reader. stop ends the watch and must be called before the
// connection's goroutine reads again.
func (c *client) watchPeerClose() (gone <-chan struct{}, stop func()) {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return nil, func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, func() {}
	}
	goneCh := make(chan struct{})
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [1]byte
		for {
			closed, pending := false, false
			err := rc.Read(func(fd uintptr) bool {
				n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
				switch {
				case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
					return false // wait until readable
				case err != nil || n == 0:
					closed = true
				default:
					pending = true
				}
				return true
			})
			switch {
			case err != nil:
				// Stopped (read deadline) or the connection is unusable.
				select {
				case <-quit:
				default:
					close(goneCh)
				}
				return
			case closed:
				close(goneCh)
				return
			case pending:
				select {
				case <-quit:
					return
				case <-time.After(peerPollInterval):
				}
			}
		}
	}()
	stop = func() {
		close(quit)
		_ = c.nc.SetReadDeadline(time.Now())
		<-done
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	return goneCh, stop
}
