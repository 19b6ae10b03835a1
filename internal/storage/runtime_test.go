package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.Workers < 1 || c.MaxGroupSize != DefaultMaxGroupSize || c.MaxGroupKeys != DefaultMaxGroupKeys ||
		c.ChannelCapacity != msgchan.DefaultCapacity || c.BackpressureTimeout != 0 ||
		c.ExpireInterval != DefaultExpireInterval || c.ExpireBatch != DefaultExpireBatch ||
		c.GCInterval != DefaultGCInterval || c.GCBatch != DefaultGCBatch || c.Sync {
		t.Fatalf("defaults: %+v", c)
	}
	c = Config{Workers: 3, BackpressureTimeout: -1, ExpireInterval: -1, GCInterval: -1}.WithDefaults()
	if c.Workers != 3 || c.BackpressureTimeout != -1 || c.ExpireInterval != -1 || c.GCInterval != -1 {
		t.Fatalf("explicit values changed: %+v", c)
	}
}

func TestReadJob(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 2}))
	j := newJob(false, nil)
	r.Submit(j, msgchan.Normal, time.Now().Add(time.Minute))
	if err := j.wait(t); err != nil {
		t.Fatalf("read job: %v", err)
	}
	if !j.readOnly.Load() {
		t.Fatal("read job ran on a write transaction")
	}
	checkOnce(t, []*tjob{j})
	if s := r.Stats(); s.Completed != 1 || s.Failed != 0 || s.Mode != "dual" {
		t.Fatalf("stats %+v", s)
	}
}

func TestWriteJobRunsOnGroupChild(t *testing.T) {
	var hook commitHook
	r := startRuntime(t, quietConfig(Config{Sync: true}), func(r *Runtime) { hook.install(r.core) })
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatalf("write job: %v", err)
	}
	if j.readOnly.Load() {
		t.Fatal("write job ran on a read-only transaction")
	}
	if c, s := hook.counts(); c != 1 || s != 1 {
		t.Fatalf("commits %d syncs %d, want 1 1", c, s)
	}
	r.SetSync(false)
	j = newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	_ = j.wait(t)
	if c, s := hook.counts(); c != 2 || s != 1 {
		t.Fatalf("after SetSync(false): commits %d syncs %d", c, s)
	}
}

// TestGroupCommit queues many writes behind a stalled applier: they must be
// committed in far fewer groups than jobs, and all succeed.
func TestGroupCommit(t *testing.T) {
	var hook commitHook
	r := startRuntime(t, quietConfig(Config{MaxGroupSize: 64}), func(r *Runtime) { hook.install(r.core) })
	g, blocker := stall(t, r, true)
	const n = 200
	jobs := make([]*tjob, n)
	for i := range jobs {
		jobs[i] = newJob(true, nil)
		r.Submit(jobs[i], msgchan.Normal, time.Time{})
	}
	if q := r.Stats().Queued[laneWrite][msgchan.Normal]; q != n {
		t.Fatalf("queued %d, want %d", q, n)
	}
	g.open()
	for _, j := range append(jobs, blocker) {
		if err := j.wait(t); err != nil {
			t.Fatalf("job: %v", err)
		}
	}
	checkOnce(t, jobs)
	commits, _ := hook.counts()
	// The blocker's group, then ceil(200/64) = 4 full batches.
	if commits != 1+4 {
		t.Fatalf("%d commits for %d jobs, want 5", commits, n+1)
	}
	s := r.Stats()
	if s.Groups != 5 || s.GroupedJobs != n+1 || s.MaxGroupSize != 64 || s.Completed != n+1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestGroupCommitConcurrentWriters has many goroutines write at once: all
// succeed, and grouping kicks in (fewer groups than jobs) because writers
// queue up while a group commits with sync.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Sync: true}))
	const writers, each = 32, 50
	var wg sync.WaitGroup
	var failed atomic.Int32
	// Hold the applier until every writer has queued its first job, so at
	// least one multi-job group forms whatever the scheduling.
	g, blocker := stall(t, r, true)
	var queued sync.WaitGroup
	queued.Add(writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				j := newJob(true, nil)
				r.Submit(j, msgchan.Normal, time.Time{})
				if i == 0 {
					queued.Done()
				}
				if err := j.wait(t); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	queued.Wait()
	g.open()
	waitDone(t, &wg)
	_ = blocker.wait(t)
	if failed.Load() != 0 {
		t.Fatalf("%d writes failed", failed.Load())
	}
	s := r.Stats()
	if s.GroupedJobs != writers*each+1 {
		t.Fatalf("grouped %d jobs, want %d", s.GroupedJobs, writers*each+1)
	}
	if s.Groups >= s.GroupedJobs || s.MaxGroupSize < writers {
		t.Fatalf("no grouping: %d groups for %d jobs, max group %d", s.Groups, s.GroupedJobs, s.MaxGroupSize)
	}
	t.Logf("%d jobs in %d groups (mean %.1f, max %d)", s.GroupedJobs, s.Groups,
		float64(s.GroupedJobs)/float64(s.Groups), s.MaxGroupSize)
}

func waitDone(t testing.TB, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal("goroutines did not finish")
	}
}

// TestApplierOrder: writes run in arrival order, strict priority between
// levels, FIFO within a level.
func TestApplierOrder(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{MaxGroupSize: 7}))
	g, _ := stall(t, r, true)
	var mu sync.Mutex
	var order []int
	prios := []msgchan.Priority{msgchan.Normal, msgchan.Low, msgchan.Normal, msgchan.High, msgchan.Normal,
		msgchan.High, msgchan.Low, msgchan.Normal, msgchan.Normal, msgchan.High, msgchan.Normal, msgchan.Normal}
	var jobs []*tjob
	for i, p := range prios {
		j := newJob(true, func(*keyspace.Tx) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
		jobs = append(jobs, j)
		r.Submit(j, p, time.Time{})
	}
	g.open()
	for _, j := range jobs {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	want := "[3 5 9 0 2 4 7 8 10 11 1 6]"
	if got := fmt.Sprint(order); got != want {
		t.Fatalf("run order %s, want %s", got, want)
	}
}

// TestPanicFailsOnlyThatJob: a panicking job in the middle of a group fails
// alone; its neighbours commit in the same group.
func TestPanicFailsOnlyThatJob(t *testing.T) {
	var hook commitHook
	r := startRuntime(t, quietConfig(Config{}), func(r *Runtime) { hook.install(r.core) })
	g, _ := stall(t, r, true)
	a := newJob(true, nil)
	b := newJob(true, func(*keyspace.Tx) { panic("boom") })
	c := newJob(true, func(*keyspace.Tx) { panic(keyspace.ErrReadOnly) })
	d := newJob(true, nil)
	for _, j := range []*tjob{a, b, c, d} {
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	g.open()
	if err := a.wait(t); err != nil {
		t.Fatalf("a: %v", err)
	}
	if err := b.wait(t); !errors.Is(err, ErrPanic) {
		t.Fatalf("b: %v, want ErrPanic", err)
	}
	if err := c.wait(t); !errors.Is(err, ErrPanic) || !errors.Is(err, keyspace.ErrReadOnly) {
		t.Fatalf("c: %v, want ErrPanic wrapping ErrReadOnly", err)
	}
	if err := d.wait(t); err != nil {
		t.Fatalf("d: %v", err)
	}
	checkOnce(t, []*tjob{a, b, c, d})
	if commits, _ := hook.counts(); commits != 2 {
		t.Fatalf("%d commits, want 2 (blocker, then a+d together)", commits)
	}
	if s := r.Stats(); s.Panics != 2 || s.GroupedJobs != 3 {
		t.Fatalf("stats %+v", s)
	}

	// A panicking read fails alone and the worker keeps serving.
	r.Resize(1)
	waitFor(t, "one worker", func() bool { return r.Stats().Workers == 1 })
	p := newJob(false, func(*keyspace.Tx) { panic("read boom") })
	r.Submit(p, msgchan.Normal, time.Time{})
	if err := p.wait(t); !errors.Is(err, ErrPanic) {
		t.Fatalf("read panic: %v", err)
	}
	ok := newJob(false, nil)
	r.Submit(ok, msgchan.Normal, time.Time{})
	if err := ok.wait(t); err != nil {
		t.Fatalf("read after panic: %v", err)
	}
}

func TestDeadlineExpired(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 1}))
	past := time.Now().Add(-time.Second)
	w := newJob(true, nil)
	rd := newJob(false, nil)
	r.Submit(w, msgchan.Normal, past)
	r.Submit(rd, msgchan.Normal, past)
	for _, j := range []*tjob{w, rd} {
		if err := j.wait(t); !errors.Is(err, ErrTimeout) {
			t.Fatalf("expired job: %v, want ErrTimeout", err)
		}
		if j.ran.Load() != 0 {
			t.Fatal("expired job ran")
		}
	}
	// An expired job in the middle of a group does not affect the others.
	g, _ := stall(t, r, true)
	a, b, c := newJob(true, nil), newJob(true, nil), newJob(true, nil)
	r.Submit(a, msgchan.Normal, time.Now().Add(time.Minute))
	r.Submit(b, msgchan.Normal, past)
	r.Submit(c, msgchan.Normal, time.Time{})
	g.open()
	if a.wait(t) != nil || !errors.Is(b.wait(t), ErrTimeout) || c.wait(t) != nil || b.ran.Load() != 0 {
		t.Fatalf("a=%v b=%v c=%v", a.err, b.err, c.err)
	}
	if s := r.Stats(); s.TimedOut != 3 {
		t.Fatalf("timed out %d", s.TimedOut)
	}
}

func TestCommitFailure(t *testing.T) {
	hook := commitHook{fail: errDisk}
	r := startRuntime(t, quietConfig(Config{}), func(r *Runtime) { hook.install(r.core) })
	g, blocker := stall(t, r, true)
	jobs := []*tjob{newJob(true, nil), newJob(true, nil), newJob(true, nil)}
	for _, j := range jobs {
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	g.open()
	for _, j := range append(jobs, blocker) {
		err := j.wait(t)
		if !errors.Is(err, ErrCommit) || !errors.Is(err, errDisk) {
			t.Fatalf("job: %v, want ErrCommit wrapping the engine error", err)
		}
		if j.ran.Load() != 1 {
			t.Fatal("job did not run before the failed commit")
		}
	}
	if s := r.Stats(); s.CommitErrors != 2 || s.Failed != 4 {
		t.Fatalf("stats %+v", s)
	}
	// The applier keeps going once the engine recovers.
	hook.mu.Lock()
	hook.fail = nil
	hook.mu.Unlock()
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestBackpressureBusy(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 1, ChannelCapacity: 2, BackpressureTimeout: 20 * time.Millisecond}))
	g, _ := stall(t, r, false) // the only worker is stuck
	queued := []*tjob{newJob(false, nil), newJob(false, nil)}
	for _, j := range queued {
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	start := time.Now()
	rejected := newJob(false, nil)
	r.Submit(rejected, msgchan.Normal, time.Time{})
	if err := rejected.wait(t); !errors.Is(err, ErrBusy) {
		t.Fatalf("over capacity: %v, want ErrBusy", err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("ErrBusy after %v, before the backpressure timeout", el)
	}
	if rejected.ran.Load() != 0 {
		t.Fatal("rejected job ran")
	}
	// No wait at all with a zero timeout.
	r.SetBackpressureTimeout(0)
	now := newJob(true, nil)
	r.Submit(now, msgchan.Normal, time.Time{})
	if err := now.wait(t); !errors.Is(err, ErrBusy) {
		t.Fatalf("%v, want ErrBusy", err)
	}
	s := r.Stats()
	if s.Busy != 2 || s.Backpressure != 1 || s.RejectedFull != 2 || s.BackpressureTime < 20*time.Millisecond {
		t.Fatalf("stats %+v", s)
	}
	// A sender blocked on the full channel gets in when space frees.
	r.SetBackpressureTimeout(time.Minute)
	late := newJob(false, nil)
	go r.Submit(late, msgchan.Normal, time.Time{})
	waitFor(t, "blocked sender", func() bool { return r.ch.Stats().SendersWaiting == 1 })
	g.open()
	for _, j := range append(queued, late) {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	// Growing the channel makes room at once.
	r.SetChannelCapacity(100)
	if r.Stats().QueueCap != 100 {
		t.Fatal("capacity not applied")
	}
}

// TestStopRunsQueuedJobs: Stop waits for the queued jobs, which all run and
// are finished exactly once; later Submits get ErrUnavailable.
func TestStopRunsQueuedJobs(t *testing.T) {
	r := New(openKeyspace(t), quietConfig(Config{Workers: 2}), testLogger(t))
	r.Start()
	gw, bw := stall(t, r, true)
	gr, br := stall(t, r, false)
	var jobs []*tjob
	for i := range 100 {
		j := newJob(i%2 == 0, nil)
		jobs = append(jobs, j)
		r.Submit(j, msgchan.Priority(i%3), time.Time{})
	}
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(context.Background()) }()
	waitFor(t, "channel closed", r.ch.Closed)
	after := newJob(false, nil)
	r.Submit(after, msgchan.Normal, time.Time{})
	if err := after.wait(t); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Submit after Stop: %v", err)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while jobs were running", err)
	default:
	}
	gw.open()
	gr.open()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Stop did not return")
	}
	jobs = append(jobs, bw, br)
	for _, j := range jobs {
		if err := j.wait(t); err != nil {
			t.Fatalf("queued job: %v", err)
		}
	}
	checkOnce(t, append(jobs, after))
	if s := r.Stats(); s.Workers != 0 {
		t.Fatalf("%d workers alive after Stop", s.Workers)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

// TestStopTimeoutFailsQueued: if Stop's context ends while jobs are stuck,
// the queued ones are failed with ErrUnavailable, the running ones finish
// normally, and each is finished exactly once.
func TestStopTimeoutFailsQueued(t *testing.T) {
	r := New(openKeyspace(t), quietConfig(Config{Workers: 1}), testLogger(t))
	r.Start()
	gw, bw := stall(t, r, true)
	gr, br := stall(t, r, false)
	var jobs []*tjob
	for i := range 50 {
		j := newJob(i%2 == 0, nil)
		jobs = append(jobs, j)
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop: %v, want DeadlineExceeded", err)
	}
	for _, j := range jobs {
		if err := j.wait(t); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("queued job: %v, want ErrUnavailable", err)
		}
		if j.ran.Load() != 0 {
			t.Fatal("failed job ran")
		}
	}
	gw.open()
	gr.open()
	if bw.wait(t) != nil || br.wait(t) != nil {
		t.Fatalf("running jobs: %v %v", bw.err, br.err)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	checkOnce(t, append(jobs, bw, br))
}

func TestStopBeforeStart(t *testing.T) {
	r := New(openKeyspace(t), quietConfig(Config{}), testLogger(t))
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{}) // queued: nothing consumes yet
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := j.wait(t); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%v, want ErrUnavailable", err)
	}
	r.Start() // no effect after Stop
	k := newJob(false, nil)
	r.Submit(k, msgchan.Normal, time.Time{})
	if err := k.wait(t); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("%v, want ErrUnavailable", err)
	}
	checkOnce(t, []*tjob{j, k})
}

// TestResizeUnderLoad grows and shrinks the worker pool while readers
// submit: no job is lost or finished twice, and the pool ends at its size.
func TestResizeUnderLoad(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 2}))
	const readers, each = 16, 200
	var wg sync.WaitGroup
	var bad atomic.Int32
	all := make([][]*tjob, readers)
	for i := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				j := newJob(i%4 == 0, nil)
				all[i] = append(all[i], j)
				r.Submit(j, msgchan.Normal, time.Time{})
				if err := j.wait(t); err != nil {
					bad.Add(1)
				}
			}
		}()
	}
	stop := make(chan struct{})
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		sizes := []int{1, 8, 3, 0, 6, 2}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r.Resize(sizes[i%len(sizes)])
			time.Sleep(200 * time.Microsecond)
		}
	}()
	waitDone(t, &wg)
	close(stop)
	<-resized
	if bad.Load() != 0 {
		t.Fatalf("%d jobs failed", bad.Load())
	}
	for _, js := range all {
		checkOnce(t, js)
	}
	r.SetWorkers(5)
	if r.Workers() != 5 {
		t.Fatalf("Workers() = %d", r.Workers())
	}
	waitFor(t, "5 live workers", func() bool { return r.Stats().Workers == 5 })
	r.Resize(-1)
	waitFor(t, "1 live worker", func() bool { return r.Stats().Workers == 1 })
}

func TestHealthy(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 1}))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := r.Healthy(ctx); err != nil {
		t.Fatalf("Healthy: %v", err)
	}
	// The probe is High priority: it is queued ahead of Normal reads.
	g, _ := stall(t, r, false)
	normal := newJob(false, nil)
	r.Submit(normal, msgchan.Normal, time.Time{})
	res := make(chan error, 1)
	go func() { res <- r.Healthy(ctx) }()
	waitFor(t, "probe queued", func() bool { return r.Stats().Queued[laneRead][msgchan.High] == 1 })
	g.open()
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	_ = normal.wait(t)
	// Stuck runtime: the probe reports the context's end.
	g2, _ := stall(t, r, false)
	defer g2.open()
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := r.Healthy(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Healthy on stuck runtime: %v", err)
	}
}

func TestFinishPanicContained(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 1}))
	var calls atomic.Int32
	bad := &jobFunc{write: true, run: func(*keyspace.Tx) {}, finish: func(error) { calls.Add(1); panic("finish boom") }}
	r.Submit(bad, msgchan.Normal, time.Time{})
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatalf("job after a panicking Finish: %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("Finish called %d times", calls.Load())
	}
}

func TestReconfigure(t *testing.T) {
	r := startRuntime(t, quietConfig(Config{Workers: 1}))
	r.Reconfigure(Config{Workers: 3, ChannelCapacity: 50, MaxGroupSize: 4, Sync: true, ExpireInterval: -1, GCInterval: -1})
	waitFor(t, "3 workers", func() bool { return r.Stats().Workers == 3 })
	if r.Stats().QueueCap != 50 || r.maxGroup.Load() != 4 || !r.sync.Load() {
		t.Fatal("live settings not applied")
	}
	r.SetMaxGroupSize(0)
	r.SetMaxGroupKeys(0)
	r.SetExpireBatch(0)
	r.SetGCBatch(0)
	if r.maxGroup.Load() != 1 || r.maxKeys.Load() != 1 || r.bg.expireBatch.Load() != 1 || r.bg.gcBatch.Load() != 1 {
		t.Fatal("setters do not clamp to 1")
	}
}

// TestBackgroundTasks: expiry and GC steps run periodically through the
// applier, at most one of each in flight, and can be switched off live.
func TestBackgroundTasks(t *testing.T) {
	// Groups of one, so a step submitted just before the stall below stays
	// queued instead of riding in the stalled group.
	r := startRuntime(t, Config{ExpireInterval: time.Millisecond, GCInterval: time.Millisecond, MaxGroupSize: 1})
	waitFor(t, "expiry and gc steps", func() bool {
		s := r.Stats()
		return s.ExpireCycles >= 3 && s.GCRuns >= 3
	})
	// With the applier stuck, ticks do not pile up jobs. Start from an idle
	// background (nothing in flight) so both jobs end up queued.
	r.SetExpireInterval(-1)
	r.SetGCInterval(-1)
	waitFor(t, "queue empty", func() bool { return r.Stats().QueueLen == 0 })
	g, _ := stall(t, r, true)
	r.SetExpireInterval(time.Millisecond)
	r.SetGCInterval(time.Millisecond)
	waitFor(t, "background jobs queued", func() bool { return r.Stats().Queued[laneWrite][msgchan.Low] == 2 })
	time.Sleep(20 * time.Millisecond) // about 20 more ticks of each
	if q := r.Stats().Queued[laneWrite][msgchan.Low]; q != 2 {
		t.Fatalf("%d background jobs queued, want one of each", q)
	}
	g.open()
	waitFor(t, "queued steps ran", func() bool { return r.Stats().QueueLen == 0 })

	// Disabled live: at most the step in flight and one racing tick land.
	r.SetExpireInterval(-1)
	r.SetGCInterval(-1)
	before := r.Stats()
	time.Sleep(30 * time.Millisecond)
	after := r.Stats()
	if after.ExpireCycles > before.ExpireCycles+2 || after.GCRuns > before.GCRuns+2 {
		t.Fatalf("steps ran while disabled: %d→%d, %d→%d", before.ExpireCycles, after.ExpireCycles, before.GCRuns, after.GCRuns)
	}
	if after.BackgroundErrors != 0 {
		t.Fatalf("%d background errors", after.BackgroundErrors)
	}
	r.SetExpireInterval(time.Millisecond)
	waitFor(t, "expiry re-enabled", func() bool { return r.Stats().ExpireCycles > after.ExpireCycles+2 })
}

func BenchmarkRuntimeRead(b *testing.B) {
	r := startRuntime(b, quietConfig(Config{}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		j := &benchJob{done: make(chan error, 1)}
		for pb.Next() {
			r.Submit(j, msgchan.Normal, time.Time{})
			<-j.done
		}
	})
}

func BenchmarkRuntimeWrite(b *testing.B) {
	r := startRuntime(b, quietConfig(Config{}))
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		j := &benchJob{write: true, done: make(chan error, 1)}
		for pb.Next() {
			r.Submit(j, msgchan.Normal, time.Time{})
			<-j.done
		}
	})
	s := r.Stats()
	b.ReportMetric(float64(s.GroupedJobs)/float64(max(s.Groups, 1)), "jobs/group")
}

// benchJob is a reusable no-op job, like a connection's storage request.
type benchJob struct {
	write bool
	done  chan error
}

func (j *benchJob) Write() bool      { return j.write }
func (j *benchJob) Run(*keyspace.Tx) {}
func (j *benchJob) Finish(err error) { j.done <- err }

// TestStopUnblocksBackgroundSubmit: a background step blocked on a full
// channel does not hold up Stop.
func TestStopUnblocksBackgroundSubmit(t *testing.T) {
	r := New(openKeyspace(t), Config{Workers: 1, ChannelCapacity: 1, BackpressureTimeout: time.Hour,
		ExpireInterval: time.Millisecond, GCInterval: -1}, testLogger(t))
	r.Start()
	g, stuck := stall(t, r, false)
	filler := newJob(false, nil)
	r.Submit(filler, msgchan.Normal, time.Time{})
	waitFor(t, "background submit blocked", func() bool { return r.ch.Stats().SendersWaiting == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Stop(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Stop blocked behind a background submit")
	}
	g.open()
	if stuck.wait(t) != nil || !errors.Is(filler.wait(t), ErrUnavailable) {
		t.Fatalf("stuck=%v filler=%v", stuck.err, filler.err)
	}
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
