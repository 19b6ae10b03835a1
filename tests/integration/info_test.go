package integration

// INFO sections (memory, persistence, stats, commandstats, storage, …),
// CONFIG RESETSTAT, and CONFIG REWRITE, on a real kiwi process.

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// infoHeaders returns the "# Title" headers of an INFO reply, in order.
func infoHeaders(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if h, ok := strings.CutPrefix(l, "# "); ok {
			out = append(out, h)
		}
	}
	return out
}

// cmdstatRe is Redis 7's INFO commandstats line.
var cmdstatRe = regexp.MustCompile(`^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)

// cmdstat holds one parsed commandstats line.
type cmdstat struct {
	calls, usec, rejected, failed int64
	perCall                       float64
}

// commandStats reads INFO commandstats; every line must be in Redis's
// format.
func commandStats(t *testing.T, c *redis.Client) map[string]cmdstat {
	t.Helper()
	info, err := c.Info(ctxT(t), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cmdstat{}
	for _, l := range strings.Split(info, "\r\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		m := cmdstatRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("commandstats line %q is not in Redis's format", l)
		}
		n := func(i int) int64 { v, _ := strconv.ParseInt(m[i], 10, 64); return v }
		pc, _ := strconv.ParseFloat(m[4], 64)
		out[m[1]] = cmdstat{calls: n(2), usec: n(3), rejected: n(5), failed: n(6), perCall: pc}
	}
	return out
}

func TestInfoSections(t *testing.T) {
	p := startKiwi(t)
	c := p.Client(t)
	ctx := ctxT(t)

	def := strings.Join(infoHeaders(c.Info(ctx).Val()), ",")
	if want := "Server,Clients,Memory,Persistence,Stats,Replication,CPU,Cluster,Runtime,Storage,Keyspace"; def != want {
		t.Errorf("INFO sections = %s, want %s", def, want)
	}
	if all := infoHeaders(c.Info(ctx, "all").Val()); !strings.Contains(strings.Join(all, ","), "Commandstats") {
		t.Errorf("INFO all lacks Commandstats: %v", all)
	}
	if got := strings.Join(infoHeaders(c.Info(ctx, "PERSISTENCE", "memory").Val()), ","); got != "Memory,Persistence" {
		t.Errorf("INFO PERSISTENCE memory = %s", got)
	}

	m, err := c.InfoMap(ctx, "everything").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"Memory":      {"maxmemory": "0", "mem_allocator": "go", "maxmemory_policy": "noeviction"},
		"Persistence": {"loading": "0", "aof_enabled": "0", "rdb_bgsave_in_progress": "0", "rdb_changes_since_last_save": "0", "storage_engine": "pebble", "storage_sync": "1"},
		"Replication": {"role": "master", "connected_slaves": "0"},
		"Storage":     {"engine": "pebble"},
	}
	for sec, fields := range want {
		for k, v := range fields {
			if got := m[sec][k]; got != v {
				t.Errorf("INFO %s %s = %q, want %q", sec, k, got, v)
			}
		}
	}
	ints := map[string][]string{
		"Memory":      {"used_memory", "used_memory_rss", "go_heap_sys", "engine_memtable_bytes"},
		"Persistence": {"rdb_last_save_time"},
		"Storage": {"engine_disk_usage_bytes", "engine_memtable_bytes", "engine_l0_files", "engine_l0_sublevels",
			"engine_pending_compaction_bytes", "engine_compactions", "engine_flushes", "engine_write_stalls"},
		"CPU": {},
	}
	for sec, fields := range ints {
		for _, k := range fields {
			if _, err := strconv.ParseInt(m[sec][k], 10, 64); err != nil {
				t.Errorf("INFO %s %s = %q, want an integer", sec, k, m[sec][k])
			}
		}
	}
	if v, err := strconv.ParseFloat(m["CPU"]["used_cpu_user"], 64); err != nil || v <= 0 {
		t.Errorf("used_cpu_user = %q", m["CPU"]["used_cpu_user"])
	}

	// INFO storage shows the numbers /metrics shows (same source). The
	// counters can only move forward between the two reads.
	_, body := adminGet(t, p, "/metrics")
	for field, series := range map[string]string{
		"engine_flushes":      `kiwi_engine_flushes_total{engine="pebble"}`,
		"engine_compactions":  `kiwi_engine_compactions_total{engine="pebble"}`,
		"engine_write_stalls": `kiwi_engine_write_stalls_total{engine="pebble"}`,
	} {
		info, _ := strconv.ParseFloat(m["Storage"][field], 64)
		if mv := metricValue(t, body, series); mv < info {
			t.Errorf("%s = %v in INFO, %v in /metrics", field, info, mv)
		}
	}
}

func TestInfoCommandStatsAndResetStat(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			p := startKiwi(t, "--runtime.mode", mode)
			c := p.Client(t)
			ctx := ctxT(t)

			const sets, gets, bad = 40, 25, 3
			pipe := c.Pipeline()
			for i := range sets {
				pipe.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
			}
			for i := range gets {
				pipe.Get(ctx, "k"+strconv.Itoa(i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for range bad {
				if err := c.Incr(ctx, "k0").Err(); err == nil {
					t.Fatal("INCR of a non-integer succeeded")
				}
			}
			if err := c.Do(ctx, "GET").Err(); err == nil {
				t.Fatal("GET without a key succeeded")
			}
			cs := commandStats(t, c)
			if s := cs["set"]; s.calls != sets || s.failed != 0 || s.rejected != 0 {
				t.Errorf("cmdstat_set = %+v, want %d calls", s, sets)
			}
			if g := cs["get"]; g.calls != gets || g.rejected != 1 || g.failed != 0 {
				t.Errorf("cmdstat_get = %+v, want %d calls, 1 rejected", g, gets)
			}
			if in := cs["incr"]; in.calls != bad || in.failed != bad {
				t.Errorf("cmdstat_incr = %+v, want %d calls all failed", in, bad)
			}
			if s := cs["set"]; s.usec <= 0 || s.perCall <= 0 {
				t.Errorf("cmdstat_set usec = %d, per call %v", s.usec, s.perCall)
			}

			// The same counters feed /metrics: received = calls + rejected.
			_, body := adminGet(t, p, "/metrics")
			for cmd, want := range map[string]float64{"set": sets, "get": gets + 1, "incr": bad} {
				if v := metricValue(t, body, `kiwi_commands_total{command="`+cmd+`"}`); v != want {
					t.Errorf(`kiwi_commands_total{command=%q} = %v, want %v`, cmd, v, want)
				}
			}
			if v := metricValue(t, body, `kiwi_command_errors_total{command="get"}`); v != 1 {
				t.Errorf("get errors in /metrics = %v, want 1", v)
			}
			setsBefore := metricValue(t, body, `kiwi_commands_total{command="set"}`)

			stats := c.InfoMap(ctx, "stats").Val()["Stats"]
			if n, _ := strconv.Atoi(stats["total_commands_processed"]); n < sets+gets+bad {
				t.Errorf("total_commands_processed = %d, want >= %d", n, sets+gets+bad)
			}

			if err := c.ConfigResetStat(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			cs = commandStats(t, c)
			for name, s := range cs {
				if name != "config" && name != "info" {
					t.Errorf("after CONFIG RESETSTAT cmdstat_%s = %+v", name, s)
				}
			}
			stats = c.InfoMap(ctx, "stats").Val()["Stats"]
			for _, k := range []string{"total_error_replies", "rejected_connections", "expired_keys"} {
				if stats[k] != "0" {
					t.Errorf("after CONFIG RESETSTAT %s = %s, want 0", k, stats[k])
				}
			}
			if n, _ := strconv.Atoi(stats["total_connections_received"]); n > 1 {
				t.Errorf("after CONFIG RESETSTAT total_connections_received = %d", n)
			}
			if n, _ := strconv.Atoi(stats["total_commands_processed"]); n > 3 {
				t.Errorf("after CONFIG RESETSTAT total_commands_processed = %d", n)
			}
			c.Set(ctx, "x", "y", 0)
			if s := commandStats(t, c)["set"]; s.calls != 1 {
				t.Errorf("cmdstat_set after reset and one SET = %+v", s)
			}
			// /metrics stays monotonic.
			_, body = adminGet(t, p, "/metrics")
			if v := metricValue(t, body, `kiwi_commands_total{command="set"}`); v != setsBefore+1 {
				t.Errorf("kiwi_commands_total{set} after RESETSTAT = %v, want %v", v, setsBefore+1)
			}
		})
	}
}

func TestInfoConfigFileAndRewrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kiwi.toml")
	if err := os.WriteFile(file, []byte("# my settings\nmaxclients = 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startKiwi(t, "--config", file)
	c := p.Client(t)
	ctx := ctxT(t)
	if got := c.InfoMap(ctx, "server").Val()["Server"]["config_file"]; got != file {
		t.Errorf("config_file = %q, want %q", got, file)
	}
	if err := c.ConfigSet(ctx, "maxclients", "77").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "2500").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v", err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "# my settings") || !regexp.MustCompile(`(?m)^maxclients = 77`).MatchString(s) ||
		!regexp.MustCompile(`(?m)^slowlog-log-slower-than = 2500`).MatchString(s) {
		t.Errorf("rewritten file:\n%s", s)
	}
	p.Restart()
	c = p.Client(t)
	got := c.ConfigGet(ctx, "*").Val()
	if got["maxclients"] != "77" || got["slowlog-log-slower-than"] != "2500" {
		t.Errorf("after restart: maxclients %q, slowlog-log-slower-than %q", got["maxclients"], got["slowlog-log-slower-than"])
	}

	// Without a config file: Redis's error.
	q := startKiwi(t)
	err = q.Client(t).ConfigRewrite(ctx).Err()
	if err == nil || err.Error() != "ERR The server is running without a config file" {
		t.Errorf("CONFIG REWRITE without a file: %v", err)
	}
}
