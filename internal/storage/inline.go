package storage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Inline is the single-mode executor (runtime.mode = single): Submit runs
// the job in the caller's goroutine before it returns. Reads run on their
// own snapshot, concurrently; writes take one mutex (the single writer) and
// commit as a group of one. Priorities are ignored (there is no queue);
// deadlines and panics are handled as by Runtime. Background expiry and
// garbage sweeps run on a goroutine that takes the same write mutex.
//
// It exists to measure what the dual runtime buys. All methods are safe for
// concurrent use.
type Inline struct {
	*core

	mu    sync.Mutex // guards state transitions
	state atomic.Int32

	inflight atomic.Int64
	idle     chan struct{} // poked when inflight drops to 0 while stopping

	wmu     sync.Mutex // the single writer; guards env and scratch
	env     [1]msgchan.Envelope[Job]
	scratch []Job
}

var _ Executor = (*Inline)(nil)

// NewInline returns an Inline executor over ks. Zero fields of cfg take
// their defaults; Workers, MaxGroupSize, ChannelCapacity and
// BackpressureTimeout do not apply. logger may be nil. Submit finishes jobs
// with ErrUnavailable until Start.
func NewInline(ks *keyspace.Keyspace, cfg Config, logger *slog.Logger) *Inline {
	cfg = cfg.WithDefaults()
	in := &Inline{
		core: newCore(ks, cfg, logger),
		idle: make(chan struct{}, 1),
	}
	in.bg = newBackground(in.core, cfg, func(j Job) { in.Submit(j, msgchan.Low, time.Time{}) })
	return in
}

// Start enables Submit and starts the background tasks. Calling it again, or
// after Stop, does nothing.
func (in *Inline) Start() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if runState(in.state.Load()) != stateNew {
		return
	}
	in.state.Store(int32(stateRunning))
	in.bg.start()
}

// Stop makes later Submits finish with ErrUnavailable, stops the background
// tasks, and waits for the Submits in progress to return, or for ctx (then
// it returns ctx.Err(); those Submits still finish their jobs). Stop may be
// called more than once.
func (in *Inline) Stop(ctx context.Context) error {
	in.mu.Lock()
	in.state.Store(int32(stateStopped))
	in.mu.Unlock()
	in.bg.halt()
	for in.inflight.Load() != 0 {
		select {
		case <-in.idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Submit runs job now, in the caller's goroutine, and finishes it before
// returning. Writes wait for the write mutex. prio orders nothing (there is
// no queue); it only labels the job's timings (SetObserver). See Executor.
func (in *Inline) Submit(job Job, prio msgchan.Priority, deadline time.Time) {
	in.inflight.Add(1)
	defer in.leave()
	if runState(in.state.Load()) != stateRunning {
		in.finish(job, ErrUnavailable)
		return
	}
	if !job.Write() {
		e := msgchan.Envelope[Job]{Item: job, Priority: prio, Deadline: deadline}
		in.runRead(&e)
		return
	}
	in.wmu.Lock()
	defer in.wmu.Unlock()
	in.env[0] = msgchan.Envelope[Job]{Item: job, Priority: prio, Deadline: deadline}
	in.scratch = in.applyWrites(in.env[:], in.scratch)
	in.env[0] = msgchan.Envelope[Job]{}
}

func (in *Inline) leave() {
	if in.inflight.Add(-1) == 0 && runState(in.state.Load()) == stateStopped {
		select {
		case in.idle <- struct{}{}:
		default:
		}
	}
}

// Reconfigure applies the live fields of cfg that concern Inline (zero
// fields take their defaults): Sync, MaxGroupKeys, and the background
// intervals and batches.
func (in *Inline) Reconfigure(cfg Config) {
	in.reconfigure(cfg.WithDefaults())
}

// Stats returns a snapshot of the counters. Queue and worker fields are
// zero: Inline has neither.
func (in *Inline) Stats() Stats {
	s := Stats{Mode: "single"}
	in.fill(&s)
	return s
}

// Healthy runs a tiny read job and reports its outcome (see
// Runtime.Healthy).
func (in *Inline) Healthy(ctx context.Context) error {
	return probe(ctx, in)
}
