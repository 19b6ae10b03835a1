package integration

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestLiveConfigUnderLoad changes the live runtime options with CONFIG SET
// (storage workers, channel capacity, network slots, group size, request
// timeout; up and down, several times, one at a time and together) while
// eight clients run SET/GET/INCR, single and pipelined. No request may fail,
// the shared counter must equal the INCRs acknowledged, and CONFIG GET and
// /metrics must show every new value.
func TestLiveConfigUnderLoad(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run("pebble/"+mode, func(t *testing.T) {
			testLiveConfigUnderLoad(t, mode)
		})
	}
}

// liveStep is one CONFIG SET and what it must lead to.
type liveStep struct {
	pairs []string // name, value, name, value, ...
	// want are /metrics gauges the change must show (-1: the default the
	// server derives from GOMAXPROCS, filled in at run time).
	want map[string]float64
}

func testLiveConfigUnderLoad(t *testing.T, mode string) {
	// Generous timeouts: a tiny channel with eight busy clients makes
	// submitters wait, and on a loaded test machine an fsync can stall for
	// seconds (seen: 2s in single mode, five writers queued behind it timed
	// out); the test is about resizing, not about OVERLOADED or TIMEOUT
	// replies. A submitter never woken after a resize still fails (after
	// 10s) and is reported. request-timeout never goes below 10s here.
	p := startKiwi(t, "--storage.engine", "pebble", "--runtime.mode", mode,
		"--runtime.backpressure-timeout", "10s", "--runtime.request-timeout", "15s")
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	admin := p.Client(t)

	_, body := adminGet(t, p, "/metrics")
	procs := metricValue(t, body, "go_sched_gomaxprocs_threads")
	if procs < 1 {
		t.Fatalf("go_sched_gomaxprocs_threads = %v", procs)
	}
	const (
		workers  = "kiwi_storage_workers"
		capacity = "kiwi_storage_queue_capacity"
		slots    = "kiwi_network_slots"
	)
	dual := mode == "dual"
	// storage gauges: what dual mode must show; single mode has neither
	// workers nor a channel and reports 0 whatever the options say.
	storage := func(name string, v float64) map[string]float64 {
		if !dual {
			return map[string]float64{name: 0}
		}
		return map[string]float64{name: v}
	}
	steps := []liveStep{
		{pairs: []string{"runtime.storage-workers", "1"}, want: storage(workers, 1)},
		{pairs: []string{"runtime.channel-capacity", "2"}, want: storage(capacity, 2)},
		{pairs: []string{"runtime.network-slots", "1"}, want: map[string]float64{slots: 1}},
		{pairs: []string{"runtime.max-group-size", "1"}},
		{pairs: []string{"runtime.request-timeout", "10s"}},
		{pairs: []string{"runtime.storage-workers", "16"}, want: storage(workers, 16)},
		{pairs: []string{"runtime.channel-capacity", "50000"}, want: storage(capacity, 50000)},
		{pairs: []string{"runtime.network-slots", "64"}, want: map[string]float64{slots: 64}},
		{pairs: []string{"runtime.max-group-size", "1000"}},
		{pairs: []string{"runtime.request-timeout", "30s"}},
		{pairs: []string{"runtime.storage-workers", "2"}, want: storage(workers, 2)},
		{pairs: []string{"runtime.network-slots", "2"}, want: map[string]float64{slots: 2}},
		{pairs: []string{"runtime.channel-capacity", "8"}, want: storage(capacity, 8)},
		{pairs: []string{"runtime.max-group-size", "4"}},
		// Several options in one atomic CONFIG SET.
		{pairs: []string{
			"runtime.storage-workers", "3", "runtime.channel-capacity", "5",
			"runtime.network-slots", "3", "runtime.max-group-size", "2", "runtime.request-timeout", "12s",
		}, want: merge(storage(workers, 3), storage(capacity, 5), map[string]float64{slots: 3})},
		{pairs: []string{"runtime.storage-workers", "12"}, want: storage(workers, 12)},
		// Back to the defaults: 0 means a multiple of GOMAXPROCS.
		{pairs: []string{
			"runtime.storage-workers", "0", "runtime.channel-capacity", "10000",
			"runtime.network-slots", "0", "runtime.max-group-size", "256", "runtime.request-timeout", "20s",
		}, want: merge(storage(workers, 2*procs), storage(capacity, 10000), map[string]float64{slots: 4 * procs})},
	}

	load := startLiveLoad(ctx, t, p, 8)

	var failedSeen int64
	for i, st := range append(steps, steps...) {
		before := load.ops.Load()
		args := []any{"CONFIG", "SET"}
		for _, a := range st.pairs {
			args = append(args, a)
		}
		if err := admin.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("step %d: CONFIG SET %v: %v", i, st.pairs, err)
		}
		for k := 0; k < len(st.pairs); k += 2 {
			name, want := st.pairs[k], st.pairs[k+1]
			got, err := admin.ConfigGet(ctx, name).Result()
			if err != nil {
				t.Fatalf("step %d: CONFIG GET %s: %v", i, name, err)
			}
			if got[name] != want {
				t.Errorf("step %d: CONFIG GET %s = %q, want %q", i, name, got[name], want)
			}
		}
		if len(st.want) > 0 {
			waitMetrics(ctx, t, p, st.want, fmt.Sprintf("step %d (%v)", i, st.pairs))
		}
		// Every configuration serves traffic before the next change.
		waitUntil(ctx, t, fmt.Sprintf("step %d (%v): load progress", i, st.pairs), func() bool {
			return load.ops.Load() >= before+100
		})
		if f := load.failed.Load(); f > failedSeen {
			t.Errorf("step %d (%v): %d requests failed (listed below)", i, st.pairs, f-failedSeen)
			failedSeen = f
		}
	}

	// A storm: changes back to back, no waiting in between, until the load
	// has completed 300 more operations; then one last change whose effect
	// is checked.
	stormStart := load.ops.Load()
	storms := 0
	for ; load.ops.Load() < stormStart+300; storms++ {
		if ctx.Err() != nil {
			t.Fatalf("storm: the load made %d operations in %d changes before the deadline", load.ops.Load()-stormStart, storms)
		}
		i := storms
		v := []any{"CONFIG", "SET",
			"runtime.storage-workers", strconv.Itoa(1 + i%17),
			"runtime.channel-capacity", strconv.Itoa(1 + (i*7)%64),
			"runtime.network-slots", strconv.Itoa(1 + (i*5)%9),
			"runtime.max-group-size", strconv.Itoa(1 + (i*3)%300),
		}
		if err := admin.Do(ctx, v...).Err(); err != nil {
			t.Fatalf("storm %d: CONFIG SET: %v", storms, err)
		}
	}
	t.Logf("%s: %d operations completed during %d back-to-back CONFIG SETs", mode, load.ops.Load()-stormStart, storms)
	if err := admin.Do(ctx, "CONFIG", "SET", "runtime.storage-workers", "5",
		"runtime.channel-capacity", "7", "runtime.network-slots", "6").Err(); err != nil {
		t.Fatal(err)
	}
	waitMetrics(ctx, t, p, merge(storage(workers, 5), storage(capacity, 7), map[string]float64{slots: 6}), "after the storm")
	settled := load.ops.Load()
	waitUntil(ctx, t, "load progress after the storm", func() bool {
		return load.ops.Load() >= settled+100
	})

	load.stop()
	ops, incrs := load.ops.Load(), load.incrs.Load()
	t.Logf("%s: %d operations, %d INCRs acknowledged, %d failures", mode, ops, incrs, load.failed.Load())
	for _, e := range load.errs() {
		t.Errorf("load failure: %s", e)
	}
	got, err := admin.Get(ctx, liveCounter).Int64()
	if err != nil {
		t.Fatalf("GET %s: %v", liveCounter, err)
	}
	if got != incrs {
		t.Errorf("%s = %d, want %d (the INCRs acknowledged)", liveCounter, got, incrs)
	}
	_, body = adminGet(t, p, "/metrics")
	if v := metricValue(t, body, `kiwi_storage_jobs_total{result="timeout"}`); v != 0 {
		t.Errorf("storage jobs timed out: %v", v)
	}
	if v := metricValue(t, body, `kiwi_storage_backpressure_rejected_total`); v != 0 {
		t.Errorf("submits rejected as OVERLOADED: %v", v)
	}
	if v := metricValue(t, body, `kiwi_storage_commit_errors_total`); v != 0 {
		t.Errorf("failed group commits: %v", v)
	}
}

func merge(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// waitMetrics polls /metrics until every gauge in want has its value.
func waitMetrics(ctx context.Context, t *testing.T, p *proc, want map[string]float64, what string) {
	t.Helper()
	var last map[string]float64
	ok := poll(ctx, func() bool {
		code, body := adminGet(t, p, "/metrics")
		if code != http.StatusOK {
			return false
		}
		sc, err := parseExposition(body)
		if err != nil {
			t.Fatalf("parsing /metrics: %v", err)
		}
		last = map[string]float64{}
		done := true
		for name, v := range want {
			ss := sc.samples[name]
			if len(ss) != 1 {
				t.Fatalf("%s: %d samples of %s", what, len(ss), name)
			}
			last[name] = ss[0].value
			done = done && ss[0].value == v
		}
		return done
	})
	if !ok {
		t.Fatalf("%s: /metrics shows %v, want %v", what, last, want)
	}
}

// waitUntil polls cond until it holds, failing the test at ctx's deadline.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll(ctx, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// poll calls cond every 10ms until it returns true (true) or ctx ends, or
// 30s pass (false).
func poll(ctx context.Context, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
	return true
}

// liveCounter is the key every load client INCRs.
const liveCounter = "live:counter"

// liveLoad is a running client load.
type liveLoad struct {
	ops, incrs, failed atomic.Int64
	stopping           atomic.Bool
	wg                 sync.WaitGroup
	mu                 sync.Mutex
	failures           []string
}

// startLiveLoad starts n clients, each on its own connection, looping over
// SET, GET (checked), INCR of the shared counter, and every fourth round a
// pipeline of SETs, INCRs and GETs. It runs until stop or ctx ends. A
// failed request is recorded, never retried. stop lets the round in
// progress finish, so that no INCR is cut off between being applied and
// being acknowledged.
func startLiveLoad(ctx context.Context, t *testing.T, p *proc, n int) *liveLoad {
	l := &liveLoad{}
	for w := range n {
		c := p.Client(t, func(o *redis.Options) {
			o.PoolSize = 1
			o.ReadTimeout = 50 * time.Second
			o.WriteTimeout = 50 * time.Second
		})
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stopping.Load() && ctx.Err() == nil; i++ {
				l.round(ctx, c, w, i)
			}
		}()
	}
	// Registered after the clients' Close, so it runs before them.
	t.Cleanup(l.stop)
	return l
}

// opTimeout bounds one request (or pipeline) of the load.
const opTimeout = 45 * time.Second

func (l *liveLoad) round(ctx context.Context, c *redis.Client, w, i int) {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	key := "live:" + strconv.Itoa(w) + ":" + strconv.Itoa(i%100)
	val := strconv.Itoa(i)
	check := func(what string, err error) bool {
		if err == nil {
			l.ops.Add(1)
			return true
		}
		l.fail(fmt.Sprintf("client %d round %d %s: %v", w, i, what, err))
		return false
	}
	if i%4 == 3 {
		pipe := c.Pipeline()
		var incrs []*redis.IntCmd
		var gets []*redis.StringCmd
		for k := range 5 {
			pk := key + ":p" + strconv.Itoa(k)
			pipe.Set(octx, pk, val, 0)
			incrs = append(incrs, pipe.Incr(octx, liveCounter))
			gets = append(gets, pipe.Get(octx, pk))
		}
		_, err := pipe.Exec(octx)
		if err != nil {
			// Count the INCRs that were acknowledged before the failure.
			for _, ic := range incrs {
				if ic.Err() == nil {
					l.incrs.Add(1)
				}
			}
			check("pipeline", err)
			return
		}
		l.incrs.Add(int64(len(incrs)))
		for _, g := range gets {
			if g.Val() != val {
				l.fail(fmt.Sprintf("client %d round %d: pipelined GET = %q, want %q", w, i, g.Val(), val))
				return
			}
		}
		check("pipeline", nil)
		return
	}
	if !check("SET", c.Set(octx, key, val, 0).Err()) {
		return
	}
	got, err := c.Get(octx, key).Result()
	if !check("GET", err) {
		return
	}
	if got != val {
		l.fail(fmt.Sprintf("client %d round %d: GET %s = %q, want %q", w, i, key, got, val))
		return
	}
	if _, err := c.Incr(octx, liveCounter).Result(); check("INCR", err) {
		l.incrs.Add(1)
	}
}

func (l *liveLoad) fail(msg string) {
	l.failed.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, time.Now().Format("15:04:05.000")+" "+msg)
	}
}

func (l *liveLoad) errs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.failures...)
}

// stop ends the load and waits for the clients.
func (l *liveLoad) stop() {
	l.stopping.Store(true)
	l.wg.Wait()
}
