package storage

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// Runtime is the dual-mode storage runtime: a MessageChannel feeding a
// resizable pool of read workers and one applier that runs writes in arrival
// order and commits them in groups. See the package documentation for the
// request flow.
//
// All methods are safe for concurrent use, including the setters while
// traffic flows.
type Runtime struct {
	*core
	ch  *msgchan.Channel[Job]
	cfg Config // as given to New, with defaults; LockOSThread is read from it

	maxGroup  atomic.Int64
	bpTimeout atomic.Int64 // ns; <= 0: do not wait

	bgCtx    context.Context
	bgCancel context.CancelFunc

	mu          sync.Mutex
	state       runState
	wantWorkers int
	cancels     []context.CancelFunc // one per read worker
	workersWG   sync.WaitGroup
	applierDone chan struct{}
	exited      chan struct{} // closed when every goroutine has returned
	exitOnce    sync.Once

	live, busy atomic.Int64 // read workers alive / running a job
}

type runState int

const (
	stateNew runState = iota
	stateRunning
	stateStopped
)

var _ Executor = (*Runtime)(nil)

// New returns a Runtime over ks. Zero fields of cfg take their defaults (see
// Config). logger may be nil. Nothing runs until Start; jobs submitted before
// Start wait in the channel.
func New(ks *keyspace.Keyspace, cfg Config, logger *slog.Logger) *Runtime {
	cfg = cfg.WithDefaults()
	r := &Runtime{
		core:        newCore(ks, cfg, logger),
		ch:          msgchan.New[Job](numLanes, cfg.ChannelCapacity),
		cfg:         cfg,
		wantWorkers: cfg.Workers,
		applierDone: make(chan struct{}),
		exited:      make(chan struct{}),
	}
	r.maxGroup.Store(int64(cfg.MaxGroupSize))
	r.bpTimeout.Store(int64(cfg.BackpressureTimeout))
	r.bgCtx, r.bgCancel = context.WithCancel(context.Background())
	r.bg = newBackground(r.core, cfg, func(j Job) { r.submit(r.bgCtx, j, msgchan.Low, time.Time{}) })
	return r
}

// Start launches the read workers, the applier and the background tasks.
// Calling it again, or after Stop, does nothing.
func (r *Runtime) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != stateNew {
		return
	}
	r.state = stateRunning
	r.resizeLocked(r.wantWorkers)
	go r.applier()
	r.bg.start()
}

// Stop stops accepting jobs: later Submits finish with ErrUnavailable.
// Queued jobs are still run (reads by the workers, writes by the applier)
// and Stop waits for every storage goroutine to return. If ctx ends first,
// the jobs still queued are finished with ErrUnavailable, jobs already
// running complete on their own, and Stop returns ctx.Err(). No job is lost
// or finished twice either way. Stop may be called more than once.
func (r *Runtime) Stop(ctx context.Context) error {
	r.mu.Lock()
	started := r.state != stateNew
	r.state = stateStopped
	r.mu.Unlock()

	r.bgCancel() // unblock a background Submit waiting for room
	r.bg.halt()
	r.ch.Close()
	if !started {
		r.failQueued()
		r.exitOnce.Do(func() { close(r.exited) })
		return nil
	}
	r.exitOnce.Do(func() {
		go func() {
			r.workersWG.Wait()
			<-r.applierDone
			r.mu.Lock()
			for _, cancel := range r.cancels {
				cancel()
			}
			r.cancels = nil
			r.mu.Unlock()
			close(r.exited)
		}()
	})
	select {
	case <-r.exited:
		return nil
	case <-ctx.Done():
		r.failQueued()
		return ctx.Err()
	}
}

// failQueued finishes every job still in the channel with ErrUnavailable.
func (r *Runtime) failQueued() {
	for lane := range numLanes {
		for _, e := range r.ch.Drain(lane) {
			r.finish(e.Item, ErrUnavailable)
		}
	}
}

// Submit queues job for a read worker (Write false) or the applier (Write
// true) at priority prio. It blocks while the channel is full, up to the
// backpressure timeout; then the job is finished with ErrBusy. After Stop
// the job is finished with ErrUnavailable. See Executor.
func (r *Runtime) Submit(job Job, prio msgchan.Priority, deadline time.Time) {
	r.submit(context.Background(), job, prio, deadline)
}

func (r *Runtime) submit(ctx context.Context, job Job, prio msgchan.Priority, deadline time.Time) {
	lane := laneRead
	if job.Write() {
		lane = laneWrite
	}
	err := r.ch.Send(ctx, lane, job, prio, deadline, time.Duration(r.bpTimeout.Load()))
	switch {
	case err == nil:
		return
	case errors.Is(err, msgchan.ErrFull):
		err = ErrBusy
	default: // closed, or an internal submit cancelled by Stop
		err = ErrUnavailable
	}
	r.finish(job, err)
}

// Resize sets the number of read workers (n < 1 is taken as 1). New workers
// start at once; surplus workers exit after the job they are running, and
// queued jobs stay queued for the others. Before Start it only records n;
// after Stop it does nothing.
func (r *Runtime) Resize(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = max(n, 1)
	r.wantWorkers = n
	if r.state == stateRunning {
		r.resizeLocked(n)
	}
}

// SetWorkers is Resize, named like the other live setters.
func (r *Runtime) SetWorkers(n int) { r.Resize(n) }

func (r *Runtime) resizeLocked(n int) {
	for len(r.cancels) < n {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancels = append(r.cancels, cancel)
		r.workersWG.Add(1)
		go r.worker(ctx)
	}
	for len(r.cancels) > n {
		last := len(r.cancels) - 1
		r.cancels[last]()
		r.cancels[last] = nil
		r.cancels = r.cancels[:last]
	}
}

// worker serves the read lane until its context is cancelled (Resize) or
// the channel is closed and drained (Stop).
func (r *Runtime) worker(ctx context.Context) {
	defer r.workersWG.Done()
	if r.cfg.LockOSThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	r.live.Add(1)
	defer r.live.Add(-1)
	for {
		e, err := r.ch.Recv(ctx, laneRead)
		if err != nil {
			return
		}
		r.busy.Add(1)
		r.runRead(&e)
		r.busy.Add(-1)
	}
}

// applier serves the write lane until the channel is closed and drained.
func (r *Runtime) applier() {
	defer close(r.applierDone)
	if r.cfg.LockOSThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	var (
		buf     []msgchan.Envelope[Job]
		members []Job
		err     error
	)
	for {
		buf, err = r.ch.RecvBatch(context.Background(), laneWrite, int(r.maxGroup.Load()), buf[:0])
		if err != nil {
			return
		}
		members = r.applyWrites(buf, members)
		clear(buf) // drop job references until the next batch
	}
}

// SetChannelCapacity changes the MessageChannel capacity (n < 1: 1).
// Shrinking drops nothing.
func (r *Runtime) SetChannelCapacity(n int) { r.ch.SetCapacity(n) }

// SetBackpressureTimeout changes how long Submit waits on a full channel
// (d <= 0: not at all).
func (r *Runtime) SetBackpressureTimeout(d time.Duration) { r.bpTimeout.Store(int64(d)) }

// SetMaxGroupSize changes the most jobs per group (n < 1: 1).
func (r *Runtime) SetMaxGroupSize(n int) { r.maxGroup.Store(int64(max(n, 1))) }

// Reconfigure applies every live field of cfg (zero fields are read as in
// New). LockOSThread is not live and is ignored.
func (r *Runtime) Reconfigure(cfg Config) {
	cfg = cfg.WithDefaults()
	r.Resize(cfg.Workers)
	r.SetChannelCapacity(cfg.ChannelCapacity)
	r.SetBackpressureTimeout(cfg.BackpressureTimeout)
	r.SetMaxGroupSize(cfg.MaxGroupSize)
	r.reconfigure(cfg)
}

// Workers returns the number of read workers asked for (Resize).
func (r *Runtime) Workers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wantWorkers
}

// Stats returns a snapshot of the runtime's queues and counters.
func (r *Runtime) Stats() Stats {
	cs := r.ch.Stats()
	s := Stats{
		Mode:             "dual",
		QueueLen:         cs.Len,
		QueueCap:         cs.Cap,
		Workers:          int(r.live.Load()),
		WorkersBusy:      int(r.busy.Load()),
		Backpressure:     cs.Backpressure,
		BackpressureTime: cs.Blocked,
		RejectedFull:     cs.RejectedFull,
	}
	for lane := range numLanes {
		s.Queued[lane] = cs.Queued[lane]
	}
	r.fill(&s)
	return s
}

// Healthy submits a tiny read job at High priority and waits for it: nil
// means the storage runtime took a snapshot and ran a job. It returns the
// job's error, or ctx.Err() if ctx ends first (the deadline of ctx, if any,
// is the job's deadline).
func (r *Runtime) Healthy(ctx context.Context) error {
	return probe(ctx, r)
}

// probe submits a no-op read job to e and waits for its outcome.
func probe(ctx context.Context, e Executor) error {
	done := make(chan error, 1)
	deadline, _ := ctx.Deadline()
	e.Submit(&jobFunc{
		run:    func(*keyspace.Tx) {},
		finish: func(err error) { done <- err },
	}, msgchan.High, deadline)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
