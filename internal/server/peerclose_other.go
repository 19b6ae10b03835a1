//go:build !linux

package server

// watchPeerClose is not implemented on this platform: a blocked client's
// disconnect is noticed when its command is served or times out.
func (c *client) watchPeerClose() (gone <-chan struct{}, stop func()) {
	return nil, func() {}
}
