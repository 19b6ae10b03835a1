// Package msgchan implements the MessageChannel: the bounded, priority-ordered
// queue that is the only way from Kiwi's network runtime to its storage
// runtime.
//
// A Channel holds items of one type T. Every item is routed to a lane (a
// class of consumers: the storage runtime uses lane 0 for the read workers
// and lane 1 for the applier) and carries a Priority. Within a lane, High
// items are always received before Normal ones and Normal before Low (strict
// priority); items of one priority come out in the order they went in
// (FIFO).
//
// All lanes share one capacity. When the channel is full a sender blocks for
// up to its maxWait (backpressure: the network side stops reading that
// connection's socket meanwhile) and then gets ErrFull; accepted items are
// never dropped. Blocked senders are woken in FIFO order as space frees.
// The capacity can be changed live with SetCapacity; shrinking below the
// current length drops nothing, it only keeps senders blocked until enough
// items have been received.
//
// Close stops Send (ErrClosed) and wakes every waiter; receivers still get
// the items queued before Close, then ErrClosed. Drain takes a lane's items
// out at once for shutdown paths that want to fail them instead.
//
// Waiting is done on per-waiter channels, so Send and Recv honour context
// cancellation and timeouts without polling.
package msgchan
