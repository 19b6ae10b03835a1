package storage

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
)

// obsEvent is one Observer call.
type obsEvent struct {
	what string // "queue", "run", "commit"
	kind RunKind
	prio msgchan.Priority
	jobs int
	d    time.Duration
}

// fakeObserver records every call.
type fakeObserver struct {
	mu     sync.Mutex
	events []obsEvent
}

func (o *fakeObserver) add(e obsEvent) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

func (o *fakeObserver) ObserveQueueWait(prio msgchan.Priority, d time.Duration) {
	o.add(obsEvent{what: "queue", prio: prio, d: d})
}

func (o *fakeObserver) ObserveRun(kind RunKind, prio msgchan.Priority, d time.Duration) {
	o.add(obsEvent{what: "run", kind: kind, prio: prio, d: d})
}

func (o *fakeObserver) ObserveCommit(jobs int, d time.Duration) {
	o.add(obsEvent{what: "commit", jobs: jobs, d: d})
}

// take returns the events so far and forgets them.
func (o *fakeObserver) take() []obsEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	ev := o.events
	o.events = nil
	return ev
}

// has reports whether an event matching f was recorded.
func (o *fakeObserver) has(f func(obsEvent) bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.ContainsFunc(o.events, f)
}

// obsCounts summarises events: queue waits per priority, runs per kind and
// priority, and the job count of each commit in order.
type obsCounts struct {
	queue   [msgchan.NumPriorities]int
	run     [NumRunKinds][msgchan.NumPriorities]int
	commits []int
}

func countEvents(t *testing.T, evs []obsEvent) obsCounts {
	t.Helper()
	var c obsCounts
	for _, e := range evs {
		if e.d < 0 {
			t.Errorf("negative duration in %+v", e)
		}
		switch e.what {
		case "queue":
			c.queue[e.prio]++
		case "run":
			c.run[e.kind][e.prio]++
		case "commit":
			c.commits = append(c.commits, e.jobs)
		}
	}
	return c
}

// TestObserverRuntime: queue waits, runs and commits are observed once per
// job / group, with the job's kind and priority.
func TestObserverRuntime(t *testing.T) {
	obs := &fakeObserver{}
	r := startRuntime(t, quietConfig(Config{Workers: 1}), func(r *Runtime) { r.SetObserver(obs) })

	// Hold the applier so the next writes queue up and leave as one batch.
	g, gj := stall(t, r, true) // High
	slow := newJob(true, func(*keyspace.Tx) { time.Sleep(5 * time.Millisecond) })
	var jobs []*tjob
	for range 2 {
		j := newJob(true, nil)
		jobs = append(jobs, j)
		r.Submit(j, msgchan.Normal, time.Time{})
	}
	r.Submit(slow, msgchan.Normal, time.Time{})
	late := newJob(true, nil) // expired while queued: waited, never ran
	r.Submit(late, msgchan.Normal, time.Now().Add(-time.Second))
	low := newJob(true, nil)
	r.Submit(low, msgchan.Low, time.Time{})
	g.open()
	for _, j := range append(jobs, gj, slow, low) {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	if err := late.wait(t); err != ErrTimeout {
		t.Fatalf("late job: %v, want ErrTimeout", err)
	}
	c := countEvents(t, obs.take())
	if want := [3]int{1, 4, 1}; c.queue != want {
		t.Errorf("queue waits by priority = %v, want %v", c.queue, want)
	}
	if want := [3]int{1, 3, 1}; c.run[KindWrite] != want {
		t.Errorf("write runs by priority = %v, want %v", c.run[KindWrite], want)
	}
	if c.run[KindRead] != [3]int{} || c.run[KindBackground] != [3]int{} {
		t.Errorf("unexpected runs %v", c.run)
	}
	// The gate job commits alone; the four that ran after it as one group.
	if !slices.Equal(c.commits, []int{1, 4}) {
		t.Errorf("commit group sizes = %v, want [1 4]", c.commits)
	}

	// A job's run time covers its Run.
	obs2 := &fakeObserver{}
	r.SetObserver(obs2)
	slow = newJob(true, func(*keyspace.Tx) { time.Sleep(5 * time.Millisecond) })
	r.Submit(slow, msgchan.Normal, time.Time{})
	if err := slow.wait(t); err != nil {
		t.Fatal(err)
	}
	for _, e := range obs2.take() {
		if e.what == "run" && e.d < 5*time.Millisecond {
			t.Errorf("run of a 5ms job observed as %v", e.d)
		}
	}

	// Reads: a client read and the health probe.
	rd := newJob(false, nil)
	r.Submit(rd, msgchan.Normal, time.Time{})
	if err := rd.wait(t); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := r.Healthy(ctx); err != nil {
		t.Fatal(err)
	}
	c = countEvents(t, obs2.take())
	if want := [3]int{1, 1, 0}; c.queue != want {
		t.Errorf("read queue waits = %v, want %v", c.queue, want)
	}
	if want := [3]int{1, 1, 0}; c.run[KindRead] != want {
		t.Errorf("read runs = %v, want %v", c.run[KindRead], want)
	}
	if len(c.commits) != 0 {
		t.Errorf("reads committed %v", c.commits)
	}

	// No observer: nothing more is reported.
	r.SetObserver(nil)
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	if err := j.wait(t); err != nil {
		t.Fatal(err)
	}
	if ev := obs2.take(); len(ev) != 0 {
		t.Errorf("observed after SetObserver(nil): %+v", ev)
	}
}

// TestObserverQueueWaitCoversQueueing: a job queued behind a stalled
// applier reports a queue wait at least as long as the stall lasted after
// it was queued.
func TestObserverQueueWaitCoversQueueing(t *testing.T) {
	obs := &fakeObserver{}
	r := startRuntime(t, quietConfig(Config{Workers: 1}), func(r *Runtime) { r.SetObserver(obs) })
	g, _ := stall(t, r, true)
	j := newJob(true, nil)
	r.Submit(j, msgchan.Normal, time.Time{})
	time.Sleep(5 * time.Millisecond) // the time it sits in the queue
	g.open()
	if err := j.wait(t); err != nil {
		t.Fatal(err)
	}
	if !obs.has(func(e obsEvent) bool {
		return e.what == "queue" && e.prio == msgchan.Normal && e.d >= 5*time.Millisecond
	}) {
		t.Errorf("no Normal queue wait >= 5ms in %+v", obs.take())
	}
}

// TestObserverBackground: expiry steps are observed as background runs at
// Low priority.
func TestObserverBackground(t *testing.T) {
	obs := &fakeObserver{}
	startRuntime(t, Config{ExpireInterval: time.Millisecond, GCInterval: -1}, func(r *Runtime) { r.SetObserver(obs) })
	waitFor(t, "a background run", func() bool {
		return obs.has(func(e obsEvent) bool { return e.what == "run" && e.kind == KindBackground })
	})
	for _, e := range obs.take() {
		if e.what == "run" && e.kind == KindBackground && e.prio != msgchan.Low {
			t.Errorf("background run at %v", e.prio)
		}
	}
}

// TestObserverInline: single mode observes runs (with the priority given
// to Submit) and commits of one, never a queue wait.
func TestObserverInline(t *testing.T) {
	obs := &fakeObserver{}
	in := startInline(t, quietConfig(Config{}), func(in *Inline) { in.SetObserver(obs) })
	w := newJob(true, nil)
	in.Submit(w, msgchan.Low, time.Time{})
	rd := newJob(false, nil)
	in.Submit(rd, msgchan.Normal, time.Time{})
	for _, j := range []*tjob{w, rd} {
		if err := j.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	c := countEvents(t, obs.take())
	if c.queue != [3]int{} {
		t.Errorf("Inline observed queue waits %v", c.queue)
	}
	if want := [3]int{0, 0, 1}; c.run[KindWrite] != want {
		t.Errorf("write runs = %v, want %v", c.run[KindWrite], want)
	}
	if want := [3]int{0, 1, 0}; c.run[KindRead] != want {
		t.Errorf("read runs = %v, want %v", c.run[KindRead], want)
	}
	if !slices.Equal(c.commits, []int{1}) {
		t.Errorf("commits = %v, want [1]", c.commits)
	}
}

func TestRunKindString(t *testing.T) {
	for k, want := range map[RunKind]string{KindRead: "read", KindWrite: "write", KindBackground: "background", 7: "runkind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
