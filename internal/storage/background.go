package storage

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
)

// background drives the periodic maintenance jobs (active expiry, garbage
// sweep). It submits them as write jobs at Low priority, so they run on the
// single writer between client writes and never ahead of them. At most one
// job of each kind is in flight: a tick that finds one still running is
// skipped.
type background struct {
	x *core
	// submit hands a job to the executor; failures arrive via Finish.
	submit func(job Job)

	expireInterval, gcInterval atomic.Int64 // ns; <= 0 disabled
	expireBatch, gcBatch       atomic.Int64

	reconf     chan struct{} // poked when an interval changes
	expireDone chan stepResult
	gcDone     chan stepResult
	stop       chan struct{}
	done       chan struct{}
	startOnce  sync.Once
	stopOnce   sync.Once
	started    atomic.Bool
}

// stepResult is the outcome of one background step.
type stepResult struct {
	n    int
	more bool
	err  error
}

func newBackground(x *core, cfg Config, submit func(Job)) *background {
	b := &background{
		x:          x,
		submit:     submit,
		reconf:     make(chan struct{}, 1),
		expireDone: make(chan stepResult, 1),
		gcDone:     make(chan stepResult, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	b.expireInterval.Store(int64(cfg.ExpireInterval))
	b.gcInterval.Store(int64(cfg.GCInterval))
	b.expireBatch.Store(int64(cfg.ExpireBatch))
	b.gcBatch.Store(int64(cfg.GCBatch))
	return b
}

func (b *background) start() {
	b.startOnce.Do(func() {
		b.started.Store(true)
		go b.loop()
	})
}

// halt stops the loop and waits for it. A job in flight still finishes
// through the executor; its result is dropped.
func (b *background) halt() {
	b.stopOnce.Do(func() { close(b.stop) })
	if b.started.Load() {
		<-b.done
	}
}

func (b *background) setIntervals(expire, gc time.Duration) {
	b.expireInterval.Store(int64(expire))
	b.gcInterval.Store(int64(gc))
	select {
	case b.reconf <- struct{}{}:
	default:
	}
}

// ticker is a time.Ticker that may be disabled (nil channel).
type ticker struct {
	t      *time.Ticker
	period time.Duration
}

func (t *ticker) set(d time.Duration) {
	if d == t.period {
		return
	}
	t.period = d
	switch {
	case d <= 0 && t.t != nil:
		t.t.Stop()
		t.t = nil
	case d > 0 && t.t == nil:
		t.t = time.NewTicker(d)
	case d > 0:
		t.t.Reset(d)
	}
}

func (t *ticker) c() <-chan time.Time {
	if t.t == nil {
		return nil
	}
	return t.t.C
}

func (t *ticker) stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

func (b *background) loop() {
	defer close(b.done)
	var expireT, gcT ticker
	defer expireT.stop()
	defer gcT.stop()
	configure := func() {
		expireT.set(time.Duration(b.expireInterval.Load()))
		gcT.set(time.Duration(b.gcInterval.Load()))
	}
	configure()
	var (
		expireBusy, gcBusy bool
		cycleStart         time.Time
	)
	for {
		select {
		case <-b.stop:
			return
		case <-b.reconf:
			configure()
		case now := <-expireT.c():
			if !expireBusy {
				expireBusy = true
				cycleStart = now
				b.submitExpire()
			}
		case r := <-b.expireDone:
			expireBusy = false
			if !b.account(r, "expire") {
				continue
			}
			b.x.c.expireCycles.Add(1)
			b.x.c.expiredKeys.Add(uint64(r.n))
			// Like Redis's active expire: keep going while keys remain,
			// within a quarter of the period.
			if iv := time.Duration(b.expireInterval.Load()); r.more && iv > 0 && time.Since(cycleStart) < iv/4 {
				expireBusy = true
				b.submitExpire()
			}
		case <-gcT.c():
			if !gcBusy {
				gcBusy = true
				b.submitGC()
			}
		case r := <-b.gcDone:
			gcBusy = false
			if !b.account(r, "gc") {
				continue
			}
			b.x.c.gcRuns.Add(1)
			b.x.c.gcRemoved.Add(uint64(r.n))
			if r.more && b.gcInterval.Load() > 0 {
				gcBusy = true
				b.submitGC()
			}
		}
	}
}

// account counts and logs a failed step; it reports whether the step
// succeeded. op is "expire" or "gc".
//
// What the executor already logged (a failed group commit, a panic) is
// only counted here, so that every failure is logged once. The step's own
// errors (an engine read, a corrupt record) are logged at Warn: the step
// is retried at the next tick. A step failing every tick is logged once,
// then at most once per logging.DefaultEvery with the count in between.
func (b *background) account(r stepResult, op string) bool {
	if r.err == nil {
		return true
	}
	switch {
	case errors.Is(r.err, ErrUnavailable): // shutting down
	case errors.Is(r.err, ErrBusy): // overloaded: skip this step quietly
		b.x.c.bgErrors.Add(1)
		b.x.bgLog.Debug("storage: background step skipped", "op", op, "err", r.err)
	case errors.Is(r.err, ErrCommit), errors.Is(r.err, ErrPanic):
		b.x.c.bgErrors.Add(1) // logged by commitGroup / run
	default:
		b.x.c.bgErrors.Add(1)
		b.x.bgLog.Warn("storage: background step failed", "op", op, "err", r.err)
	}
	return false
}

func (b *background) submitExpire() {
	limit := int(b.expireBatch.Load())
	var res stepResult
	b.submit(&jobFunc{
		write:      true,
		background: true,
		run: func(tx *keyspace.Tx) {
			c := tx.Begin()
			res.n, res.more, res.err = c.ExpireCycle(time.Now().UnixMilli(), limit)
			if res.err != nil {
				c.Discard()
				return
			}
			c.Merge()
		},
		finish: func(err error) {
			if err != nil {
				res.err = err
			}
			b.expireDone <- res // buffered; at most one in flight
		},
	})
}

func (b *background) submitGC() {
	limit := int(b.gcBatch.Load())
	var res stepResult
	b.submit(&jobFunc{
		write:      true,
		background: true,
		run: func(tx *keyspace.Tx) {
			c := tx.Begin()
			res.n, res.more, res.err = c.SweepGarbage(limit)
			if res.err != nil {
				c.Discard()
				return
			}
			c.Merge()
		},
		finish: func(err error) {
			if err != nil {
				res.err = err
			}
			b.gcDone <- res
		},
	})
}
