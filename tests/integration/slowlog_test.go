package integration

// SLOWLOG and LATENCY on a real kiwi process, through go-redis.

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// slowlogOf returns the slow log entries whose first argument is cmd (any
// case), newest first: go-redis sends its own commands on connect.
func slowlogOf(t *testing.T, ctx context.Context, c *redis.Client, cmd string) []redis.SlowLog {
	t.Helper()
	all, err := c.SlowLogGet(ctx, -1).Result()
	if err != nil {
		t.Fatalf("SLOWLOG GET -1: %v", err)
	}
	var out []redis.SlowLog
	for _, e := range all {
		if len(e.Args) > 0 && strings.EqualFold(e.Args[0], cmd) {
			out = append(out, e)
		}
	}
	return out
}

func TestSlowlog(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			// The option is read from the command line at start.
			p := startKiwi(t, "--runtime.mode", mode, "--slowlog-log-slower-than", "0", "--slowlog-max-len", "1000")
			c := p.Client(t, func(o *redis.Options) { o.ClientName = "slowtest" })
			ctx := ctxT(t)

			const n = 10
			for i := range n {
				if err := c.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			sets := slowlogOf(t, ctx, c, "set")
			if len(sets) != n {
				t.Fatalf("%d SET entries with threshold 0, want %d", len(sets), n)
			}
			e := sets[0]
			if got := strings.Join(e.Args, " "); got != "set k9 v" {
				t.Errorf("newest SET entry args = %q", got)
			}
			if e.ClientName != "slowtest" || !strings.HasPrefix(e.ClientAddr, "127.0.0.1:") || e.Duration < 0 ||
				time.Since(e.Time).Abs() > time.Minute {
				t.Errorf("entry = %+v", e)
			}
			for i := 1; i < len(sets); i++ {
				if sets[i].ID >= sets[i-1].ID {
					t.Fatalf("entries not newest first: %d then %d", sets[i-1].ID, sets[i].ID)
				}
			}

			// Truncation: 128 bytes per argument, 32 arguments per entry.
			long := strings.Repeat("x", 300)
			c.Set(ctx, long, "v", 0)
			keys := make([]string, 50)
			for i := range keys {
				keys[i] = "key" + strconv.Itoa(i)
			}
			c.Del(ctx, keys...)
			if e := slowlogOf(t, ctx, c, "set")[0]; e.Args[1] != strings.Repeat("x", 128)+"... (172 more bytes)" {
				t.Errorf("long argument logged as %q", e.Args[1])
			}
			del := slowlogOf(t, ctx, c, "del")[0]
			if len(del.Args) != 32 || del.Args[30] != "key29" || del.Args[31] != "... (20 more arguments)" {
				t.Errorf("DEL of 50 keys logged as %d args, last %q", len(del.Args), del.Args[len(del.Args)-1])
			}

			// slowlog-max-len bounds it, live.
			if err := c.ConfigSet(ctx, "slowlog-max-len", "5").Err(); err != nil {
				t.Fatal(err)
			}
			for range 20 {
				c.Ping(ctx)
			}
			if l := c.SlowLogLen(ctx).Val(); l != 5 {
				t.Errorf("SLOWLOG LEN with max-len 5 = %d", l)
			}
			if got := c.SlowLogGet(ctx, 3).Val(); len(got) != 3 {
				t.Errorf("SLOWLOG GET 3 = %d entries", len(got))
			}

			// RESET empties it.
			if err := c.SlowLogReset(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if got := slowlogOf(t, ctx, c, "ping"); len(got) != 0 {
				t.Errorf("%d PING entries after SLOWLOG RESET", len(got))
			}

			// -1 disables it.
			if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "-1").Err(); err != nil {
				t.Fatal(err)
			}
			c.SlowLogReset(ctx)
			for range 10 {
				c.Set(ctx, "a", "b", 0)
			}
			if l := c.SlowLogLen(ctx).Val(); l != 0 {
				t.Errorf("SLOWLOG LEN with threshold -1 = %d", l)
			}
			if v := c.ConfigGet(ctx, "slowlog-*").Val(); v["slowlog-log-slower-than"] != "-1" || v["slowlog-max-len"] != "5" {
				t.Errorf("CONFIG GET slowlog-* = %v", v)
			}

			// Errors as Redis words them.
			if err := c.Do(ctx, "SLOWLOG", "GET", "-5").Err(); err == nil || err.Error() != "ERR count should be greater than or equal to -1" {
				t.Errorf("SLOWLOG GET -5: %v", err)
			}
			if err := c.Do(ctx, "SLOWLOG", "NOPE").Err(); err == nil || !strings.Contains(err.Error(), "Try SLOWLOG HELP") {
				t.Errorf("SLOWLOG NOPE: %v", err)
			}
			help, err := c.Do(ctx, "SLOWLOG", "HELP").StringSlice()
			if err != nil || len(help) == 0 || !strings.HasPrefix(help[0], "SLOWLOG <subcommand>") {
				t.Errorf("SLOWLOG HELP = %q, %v", help, err)
			}
		})
	}
}

// latencyLatest returns LATENCY LATEST as event → [time, latest, max].
func latencyLatest(t *testing.T, ctx context.Context, c *redis.Client) map[string][3]int64 {
	t.Helper()
	v, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil {
		t.Fatalf("LATENCY LATEST: %v", err)
	}
	out := map[string][3]int64{}
	for _, it := range v {
		e, ok := it.([]any)
		if !ok || len(e) != 4 {
			t.Fatalf("LATENCY LATEST entry %#v", it)
		}
		name, _ := e[0].(string)
		var nums [3]int64
		for i := range nums {
			nums[i], _ = e[i+1].(int64)
		}
		out[name] = nums
	}
	return out
}

func TestLatencyMonitor(t *testing.T) {
	p := startKiwi(t)
	c := p.Client(t)
	ctx := ctxT(t)

	if got := latencyLatest(t, ctx, c); len(got) != 0 {
		t.Fatalf("LATENCY LATEST with the monitor off = %v", got)
	}
	if err := c.ConfigSet(ctx, "latency-monitor-threshold", "1").Err(); err != nil {
		t.Fatal(err)
	}
	// A pipeline of SETs is one storage request; each SET is charged the
	// whole request, which under -race and with fsync takes well over a
	// millisecond. Retry a few times in case the machine is fast.
	val := strings.Repeat("v", 1024)
	var latest map[string][3]int64
	for try := 0; try < 20; try++ {
		pipe := c.Pipeline()
		for i := range 1000 {
			pipe.Set(ctx, "k"+strconv.Itoa(i), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if latest = latencyLatest(t, ctx, c); len(latest) > 0 {
			break
		}
	}
	ev, ok := latest["command"] // SET is not a fast command
	if !ok {
		t.Fatalf("no 'command' latency event after slow pipelines: %v", latest)
	}
	if ev[1] < 1 || ev[2] < ev[1] || time.Since(time.Unix(ev[0], 0)).Abs() > time.Minute {
		t.Errorf("command event = %v", ev)
	}
	hist, err := c.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
	if err != nil || len(hist) == 0 {
		t.Fatalf("LATENCY HISTORY command = %v, %v", hist, err)
	}
	if s, ok := hist[0].([]any); !ok || len(s) != 2 {
		t.Errorf("history sample %#v", hist[0])
	}
	if n, err := c.Do(ctx, "LATENCY", "RESET").Int(); err != nil || n < 1 {
		t.Errorf("LATENCY RESET = %d, %v", n, err)
	}
	if err := c.ConfigSet(ctx, "latency-monitor-threshold", "0").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "a", "b", 0)
	if got := latencyLatest(t, ctx, c); len(got) != 0 {
		t.Errorf("LATENCY LATEST after RESET with the monitor off = %v", got)
	}
	help, err := c.Do(ctx, "LATENCY", "HELP").StringSlice()
	if err != nil || len(help) == 0 || !strings.HasPrefix(help[0], "LATENCY <subcommand>") {
		t.Errorf("LATENCY HELP = %q, %v", help, err)
	}
}
