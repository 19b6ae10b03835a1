package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/logging"
	"github.com/kiwidb/kiwi/internal/msgchan"
	"github.com/kiwidb/kiwi/internal/notify"
)

// core is what Runtime and Inline share: running a read job, running and
// committing a write group, finishing jobs exactly once, and the counters.
type core struct {
	ks *keyspace.Keyspace
	// base is the logger given to New (runtime=storage); log is base with
	// component=executor, for the faults the executor decides about
	// (failed group commits, panics). readLog and bgLog are rate limited
	// (see docs/logging.md): readLog is log, for failures that would
	// repeat on every read; bgLog is base with component=background, for
	// background step failures (one event per op).
	base, log, readLog, bgLog *slog.Logger
	// commit commits a root group; (*keyspace.Tx).Commit, replaced in tests
	// to inject engine failures.
	commit func(g *keyspace.Tx, sync bool) error

	sync    atomic.Bool
	maxKeys atomic.Int64
	// bg runs the background tasks (set by New / NewInline).
	bg *background
	// obs receives timings (SetObserver); nil: none.
	obs atomic.Pointer[observerBox]
	// events receives each committed group's keyspace notifications
	// (SetEventSink); nil: they are dropped.
	events atomic.Pointer[eventSinkBox]

	c counters
}

// EventSink receives the keyspace notifications of a committed group, in
// the order its commands emitted them. It is called on the storage
// goroutine that committed the group, before the group's jobs are
// finished, so a client sees its reply only after its command's events
// were handed over (Redis publishes them before replying). It must not
// block.
type EventSink func(events []notify.Event)

type eventSinkBox struct{ fn EventSink }

// SetEventSink makes the executor hand every committed group's events to
// fn from now on; nil drops them. Safe to call at any time.
func (x *core) SetEventSink(fn EventSink) {
	if fn == nil {
		x.events.Store(nil)
		return
	}
	x.events.Store(&eventSinkBox{fn: fn})
}

// SetSync sets whether group commits wait for a WAL fsync. It applies from
// the next group.
func (x *core) SetSync(sync bool) { x.sync.Store(sync) }

// SetMaxGroupKeys changes the pending-key bound of a group (n < 1: 1).
func (x *core) SetMaxGroupKeys(n int) { x.maxKeys.Store(int64(max(n, 1))) }

// SetExpireInterval changes the active-expiry period (d <= 0 disables it).
func (x *core) SetExpireInterval(d time.Duration) {
	x.bg.setIntervals(d, time.Duration(x.bg.gcInterval.Load()))
}

// SetGCInterval changes the garbage sweep period (d <= 0 disables it).
func (x *core) SetGCInterval(d time.Duration) {
	x.bg.setIntervals(time.Duration(x.bg.expireInterval.Load()), d)
}

// SetExpireBatch changes the most keys one expiry step deletes (n < 1: 1).
func (x *core) SetExpireBatch(n int) { x.bg.expireBatch.Store(int64(max(n, 1))) }

// SetGCBatch changes the most records one sweep step removes (n < 1: 1).
func (x *core) SetGCBatch(n int) { x.bg.gcBatch.Store(int64(max(n, 1))) }

// reconfigure applies the live fields both executors share: sync, the group
// key bound, and the background intervals and batches. cfg has defaults.
func (x *core) reconfigure(cfg Config) {
	x.SetSync(cfg.Sync)
	x.SetMaxGroupKeys(cfg.MaxGroupKeys)
	x.SetExpireBatch(cfg.ExpireBatch)
	x.SetGCBatch(cfg.GCBatch)
	x.bg.setIntervals(cfg.ExpireInterval, cfg.GCInterval)
}

// counters are the job and group counters behind Stats.
type counters struct {
	completed, failed, timedOut, busy, unavailable, panics atomic.Uint64
	groups, groupedJobs, commitErrors                      atomic.Uint64
	maxGroup                                               atomic.Int64
	commitNanos                                            atomic.Int64
	expireCycles, expiredKeys, gcRuns, gcRemoved, bgErrors atomic.Uint64
}

func newCore(ks *keyspace.Keyspace, cfg Config, logger *slog.Logger) *core {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	x := &core{ks: ks, base: logger, commit: (*keyspace.Tx).Commit}
	x.setLogEvery(logging.DefaultEvery)
	x.sync.Store(cfg.Sync)
	x.maxKeys.Store(int64(cfg.MaxGroupKeys))
	return x
}

// setLogEvery (re)builds the loggers with rate-limited events logged at
// most once per every (tests shorten it). Call it before Start only.
func (x *core) setLogEvery(every time.Duration) {
	x.log = x.base.With("component", "executor")
	x.readLog = slog.New(logging.RateLimit(x.log.Handler(), every))
	x.bgLog = slog.New(logging.RateLimit(x.base.With("component", "background").Handler(), every, "op"))
}

// expired reports whether deadline (zero: none) is before now, reading the
// clock into *now only the first time it is needed.
func expired(deadline time.Time, now *time.Time) bool {
	if deadline.IsZero() {
		return false
	}
	if now.IsZero() {
		*now = time.Now()
	}
	return now.After(deadline)
}

// finish calls job.Finish(err), counts the outcome, and contains a panic in
// Finish so it cannot take a storage goroutine down.
func (x *core) finish(job Job, err error) {
	if err == nil {
		x.c.completed.Add(1)
	} else {
		x.c.failed.Add(1)
		switch {
		case errors.Is(err, ErrTimeout):
			x.c.timedOut.Add(1)
		case errors.Is(err, ErrBusy):
			x.c.busy.Add(1)
		case errors.Is(err, ErrUnavailable):
			x.c.unavailable.Add(1)
		case errors.Is(err, ErrPanic):
			x.c.panics.Add(1)
		}
	}
	defer func() {
		if v := recover(); v != nil {
			x.log.Error("storage: job Finish panicked", "op", "finish", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	job.Finish(err)
}

// run calls job.Run(tx), turning a panic into an ErrPanic error.
func (x *core) run(job Job, tx *keyspace.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if verr, ok := v.(error); ok {
				err = fmt.Errorf("%w: %w", ErrPanic, verr)
			} else {
				err = fmt.Errorf("%w: %v", ErrPanic, v)
			}
			// Logged here, once: the job only sees ErrPanic (the network
			// runtime replies with it, a background step counts it).
			x.log.Error("storage: job panicked", "op", "run", "panic", v, "write", tx != nil && !tx.ReadOnly(),
				"stack", string(debug.Stack()))
		}
	}()
	job.Run(tx)
	return nil
}

// runRead runs the read job of e on a fresh snapshot and finishes it.
// e.Enqueued is zero for a job that was not queued (Inline).
func (x *core) runRead(e *msgchan.Envelope[Job]) {
	var now time.Time
	obs := x.observer()
	if obs != nil {
		now = time.Now()
		if !e.Enqueued.IsZero() {
			obs.ObserveQueueWait(e.Priority, now.Sub(e.Enqueued))
		}
	}
	job := e.Item
	if expired(e.Deadline, &now) {
		x.finish(job, ErrTimeout)
		return
	}
	tx, err := x.ks.ReadTx()
	if err != nil {
		err = fmt.Errorf("storage: open read transaction: %w", err)
		x.readLog.Error("storage: read job failed", "op", "read_tx", "err", err)
		x.finish(job, err)
		return
	}
	err = x.run(job, tx)
	if obs != nil {
		// From taking the job to Run's return: opening the (lazy) read
		// transaction is included, and it saves a clock read.
		obs.ObserveRun(KindRead, e.Priority, time.Since(now))
	}
	tx.Close()
	x.finish(job, err)
}

// applyWrites runs write jobs in order and commits them in as few groups as
// the key bound allows, finishing every job exactly once. members is scratch
// space, returned for reuse. Only the applier (or the Inline writer under
// its lock) calls it.
//
// With an observer, the jobs' run times are chained to spare clock reads:
// a job's run time runs from the end of the previous job's (or the start
// of its group) to the end of its own, so it is the job's share of the
// group's work: its child transaction's Begin, its Run, and the Merge (or
// Discard) of its writes. The group's commit is observed separately.
func (x *core) applyWrites(envs []msgchan.Envelope[Job], members []Job) []Job {
	var now, last time.Time
	obs := x.observer()
	if obs != nil {
		// The jobs were all taken from the channel together, just now.
		now = time.Now()
		last = now
		for k := range envs {
			if e := &envs[k]; !e.Enqueued.IsZero() {
				obs.ObserveQueueWait(e.Priority, now.Sub(e.Enqueued))
			}
		}
	}
	maxKeys := int(x.maxKeys.Load())
	for i := 0; i < len(envs); {
		if obs != nil && i > 0 {
			last = time.Now() // after the previous group's commit
		}
		g := x.ks.BeginGroup()
		members = members[:0]
		for i < len(envs) {
			e := &envs[i]
			i++
			if expired(e.Deadline, &now) {
				x.finish(e.Item, ErrTimeout)
				if obs != nil {
					last = time.Now() // rare: do not charge this to the next job
				}
				continue
			}
			c := g.Begin()
			err := x.run(e.Item, c)
			if err != nil {
				c.Discard()
			} else {
				c.Merge()
			}
			if obs != nil {
				end := time.Now()
				obs.ObserveRun(runKind(e.Item, true), e.Priority, end.Sub(last))
				last = end
			}
			if err != nil {
				x.finish(e.Item, err)
				continue
			}
			members = append(members, e.Item)
			if g.Pending() >= maxKeys {
				break // keep groups bounded: commit this one, start another
			}
		}
		if len(members) == 0 {
			g.Close()
			continue
		}
		x.commitGroup(g, members, obs)
	}
	clear(members)
	return members[:0]
}

// commitGroup commits g and finishes its members with the outcome. obs,
// if not nil, observes the commit.
//
// A failed commit is logged here, exactly once per group, at Error: the
// jobs only receive the error (ErrCommit), and neither the network runtime
// nor a background step logs it again. It is deliberately not rate
// limited: every record is a group of client writes that were refused,
// and the applier commits one group at a time, which bounds the rate.
func (x *core) commitGroup(g *keyspace.Tx, members []Job, obs Observer) {
	start := time.Now()
	sync := x.sync.Load()
	sink := x.events.Load()
	var events []notify.Event
	if sink != nil {
		events = g.TakeEvents()
	}
	panicked, stack, err := x.commitSafe(g, sync)
	if err == nil && len(events) > 0 {
		sink.fn(events)
	}
	took := time.Since(start)
	x.c.commitNanos.Add(int64(took))
	if obs != nil {
		obs.ObserveCommit(len(members), took)
	}
	x.c.groups.Add(1)
	n := int64(len(members))
	x.c.groupedJobs.Add(uint64(n))
	for {
		m := x.c.maxGroup.Load()
		if n <= m || x.c.maxGroup.CompareAndSwap(m, n) {
			break
		}
	}
	if err != nil {
		x.c.commitErrors.Add(1)
		err = fmt.Errorf("%w: %w", ErrCommit, err)
		attrs := []any{"op", "commit", "jobs", len(members), "sync", sync, "err", err}
		if panicked != nil {
			attrs = append(attrs, "panic", panicked, "stack", string(stack))
		}
		x.log.Error("storage: group commit failed", attrs...)
	}
	for _, j := range members {
		x.finish(j, err)
	}
}

// commitSafe commits g, turning a panic in the commit path into an error so
// the group's jobs are still finished. On a panic it also returns the
// panic value and the stack, for commitGroup's log record.
func (x *core) commitSafe(g *keyspace.Tx, sync bool) (panicked any, stack []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			panicked, stack, err = v, debug.Stack(), fmt.Errorf("storage: commit panicked: %v", v)
		}
	}()
	return nil, nil, x.commit(g, sync)
}

// Stats is a snapshot of an executor's queues and counters. Counters only
// grow; they include the executor's internal jobs (background tasks, health
// probes).
type Stats struct {
	// Mode is "dual" for Runtime, "single" for Inline.
	Mode string
	// Queued is the number of queued jobs per lane (0: reads, 1: writes) and
	// priority. Always zero for Inline.
	Queued [2][msgchan.NumPriorities]int
	// QueueLen and QueueCap are the MessageChannel's length and capacity.
	QueueLen, QueueCap int
	// Workers is the number of live read worker goroutines; WorkersBusy of
	// them are running a job right now.
	Workers, WorkersBusy int

	// Completed counts jobs finished with nil.
	Completed uint64
	// Failed counts jobs finished with an error; the next fields break some
	// causes out of it.
	Failed uint64
	// TimedOut counts ErrTimeout, Busy ErrBusy, Unavailable ErrUnavailable,
	// Panics ErrPanic.
	TimedOut, Busy, Unavailable, Panics uint64

	// Groups counts group commits attempted; GroupedJobs the jobs in them
	// (GroupedJobs/Groups is the mean group size); MaxGroupSize the largest.
	Groups, GroupedJobs uint64
	MaxGroupSize        int
	// CommitErrors counts failed group commits.
	CommitErrors uint64
	// CommitTime is the total time spent in group commits.
	CommitTime time.Duration

	// Backpressure counts Submits that found the channel full and waited;
	// BackpressureTime is their total wait; RejectedFull how many of them
	// gave up (ErrBusy).
	Backpressure     uint64
	BackpressureTime time.Duration
	RejectedFull     uint64

	// ExpireCycles counts active-expiry steps, ExpiredKeys the keys they
	// deleted; GCRuns and GCRemoved the same for the garbage sweep;
	// BackgroundErrors the steps that failed.
	ExpireCycles, ExpiredKeys, GCRuns, GCRemoved, BackgroundErrors uint64
}

// fill copies the counters into s.
func (x *core) fill(s *Stats) {
	c := &x.c
	s.Completed = c.completed.Load()
	s.Failed = c.failed.Load()
	s.TimedOut = c.timedOut.Load()
	s.Busy = c.busy.Load()
	s.Unavailable = c.unavailable.Load()
	s.Panics = c.panics.Load()
	s.Groups = c.groups.Load()
	s.GroupedJobs = c.groupedJobs.Load()
	s.MaxGroupSize = int(c.maxGroup.Load())
	s.CommitErrors = c.commitErrors.Load()
	s.CommitTime = time.Duration(c.commitNanos.Load())
	s.ExpireCycles = c.expireCycles.Load()
	s.ExpiredKeys = c.expiredKeys.Load()
	s.GCRuns = c.gcRuns.Load()
	s.GCRemoved = c.gcRemoved.Load()
	s.BackgroundErrors = c.bgErrors.Load()
}
