//go:build !linux

package server

// inputOrder is Linux-only (epoll); elsewhere PUBLISH does not wait for
// subscribers' unread input (see inputorder_linux.go).
type inputOrder struct{}

func newInputOrder() *inputOrder                                 { return &inputOrder{} }
func (o *inputOrder) close()                                     {}
func (o *inputOrder) add(*client) int32                          { return -1 }
func (o *inputOrder) remove(*client, int32)                      {}
func (o *inputOrder) pending(_ *client, out []*client) []*client { return out }
