package storage

import (
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Job is one storage request: for the network runtime, one connection's
// batch of consecutive storage commands.
//
// The executor calls Write once or more, from any goroutine, to route the
// job; it must return the same answer each time. Run is called at most once,
// on a storage goroutine (or, for Inline, in the submitter's goroutine),
// with a read-only transaction if Write is false, or with a child of the
// applier's commit group if Write is true. Run must not retain tx.
//
// Finish is called exactly once per submitted job: with nil after Run's
// effects are committed (durable if the executor syncs), or with an error if
// the job failed as a whole (see ErrBusy, ErrTimeout, ErrUnavailable,
// ErrCommit, ErrPanic). It may be called from any goroutine, including the
// one that called Submit and before Submit returns, so it must not block
// waiting for the submitter (signal a buffered channel). It should be cheap:
// the applier calls it for every member of a group before starting the next.
type Job interface {
	Write() bool
	Run(tx *keyspace.Tx)
	Finish(err error)
}

// Executor runs jobs. Submit never returns an error and never drops a job:
// every failure arrives through Job.Finish. Submit may block for up to the
// backpressure timeout while the MessageChannel is full (the caller stops
// reading its socket meanwhile). A zero deadline means none; an expired job
// is finished with ErrTimeout and not run. Safe for concurrent use.
type Executor interface {
	Submit(job Job, prio msgchan.Priority, deadline time.Time)
}

// Lanes of the MessageChannel used by the Runtime.
const (
	laneRead  = 0 // consumed by the read workers
	laneWrite = 1 // consumed by the applier
	numLanes  = 2
)

// jobFunc adapts functions to Job for internal jobs.
type jobFunc struct {
	write bool
	// background marks the expiry and sweep steps (KindBackground).
	background bool
	run        func(tx *keyspace.Tx)
	finish     func(err error)
}

func (j *jobFunc) Write() bool         { return j.write }
func (j *jobFunc) Run(tx *keyspace.Tx) { j.run(tx) }
func (j *jobFunc) Finish(err error)    { j.finish(err) }
