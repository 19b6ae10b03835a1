package storage

import (
	"fmt"
	"time"

	"github.com/kiwidb/kiwi/internal/msgchan"
)

// RunKind classifies a job for Observer.ObserveRun.
type RunKind uint8

// Run kinds.
const (
	// KindRead is a read job run by a read worker (Inline: by the
	// submitter), health probes included.
	KindRead RunKind = iota
	// KindWrite is a client write job run by the applier (Inline: under
	// the write mutex).
	KindWrite
	// KindBackground is an active-expiry or garbage-sweep step (a write job
	// submitted by the executor itself, at Low priority).
	KindBackground

	// NumRunKinds is the number of run kinds.
	NumRunKinds = 3
)

// String returns "read", "write" or "background".
func (k RunKind) String() string {
	switch k {
	case KindRead:
		return "read"
	case KindWrite:
		return "write"
	case KindBackground:
		return "background"
	}
	return fmt.Sprintf("runkind(%d)", uint8(k))
}

// Observer receives the storage runtime's timings as they happen. It is
// called on the storage goroutines' hot path (a read worker, the applier,
// or an Inline submitter), so implementations must be cheap, must not
// block, and must be safe for concurrent use. Package metrics implements it
// with Prometheus histograms.
//
// Every job taken from the MessageChannel gets one ObserveQueueWait (also
// jobs then finished with ErrTimeout); every job that is run gets one
// ObserveRun; every group commit attempted gets one ObserveCommit. Jobs
// refused before they were queued (ErrBusy, ErrUnavailable) are observed
// by none of them.
type Observer interface {
	// ObserveQueueWait reports how long a job waited in the MessageChannel:
	// from the moment the channel accepted it (after any backpressure wait,
	// which Stats.BackpressureTime accounts for) to the moment a read
	// worker or the applier took it. Inline never calls it: it has no
	// queue.
	ObserveQueueWait(prio msgchan.Priority, d time.Duration)
	// ObserveRun reports how long one job of kind at priority prio
	// (Inline: the priority given to Submit) took to run. For a read: from
	// being taken to Run's return, opening the (lazy) read transaction
	// included. For a write: the job's share of its group's work — its
	// child transaction's Begin, its Run, and the Merge (or Discard) of its
	// writes — but not the group's commit (ObserveCommit).
	ObserveRun(kind RunKind, prio msgchan.Priority, d time.Duration)
	// ObserveCommit reports one group commit of jobs jobs that took d,
	// failed commits included. Inline commits groups of one.
	ObserveCommit(jobs int, d time.Duration)
}

// observerBox holds an Observer behind an atomic pointer.
type observerBox struct{ o Observer }

// SetObserver makes the executor report its timings to o from now on; nil
// stops the reports (the default: no timing cost at all). It is safe to
// call at any time, also while jobs run.
func (x *core) SetObserver(o Observer) {
	if o == nil {
		x.obs.Store(nil)
		return
	}
	x.obs.Store(&observerBox{o: o})
}

// observer returns the current Observer, or nil.
func (x *core) observer() Observer {
	if b := x.obs.Load(); b != nil {
		return b.o
	}
	return nil
}

// runKind is the run kind of job.
func runKind(job Job, write bool) RunKind {
	if !write {
		return KindRead
	}
	if jf, ok := job.(*jobFunc); ok && jf.background {
		return KindBackground
	}
	return KindWrite
}
