package integration

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scrape GETs path from the admin listener and returns status and body.
func adminGet(t *testing.T, p *proc, path string) (int, string) {
	t.Helper()
	if p.AdminAddr == "" {
		t.Fatal("admin listener address not logged")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.AdminAddr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metricValue returns the value of the sample whose name and labels are
// exactly series (e.g. `kiwi_commands_total{command="set"}`).
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("series %s not found in /metrics", series)
	return 0
}

func TestMetricsAndHealth(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			p := startKiwi(t, "--runtime.mode", mode)
			c := p.Client(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			code, body := adminGet(t, p, "/metrics")
			if code != http.StatusOK {
				t.Fatalf("/metrics = %d", code)
			}
			setBefore := metricValue(t, body, `kiwi_commands_total{command="set"}`)

			const n, m, bad = 200, 150, 7
			pipe := c.Pipeline()
			for i := range n {
				pipe.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
			}
			for i := range m {
				pipe.Get(ctx, "k"+strconv.Itoa(i))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for range bad {
				// INCR of a non-integer value: an error reply from storage.
				if err := c.Incr(ctx, "k0").Err(); err == nil {
					t.Fatal("INCR of a non-integer succeeded")
				}
			}
			if err := c.Do(ctx, "NOSUCHCMD").Err(); err == nil || err == redis.Nil {
				t.Fatalf("unknown command: %v", err)
			}

			_, body = adminGet(t, p, "/metrics")
			checks := []struct {
				series string
				min    float64
			}{
				{`kiwi_commands_total{command="set"}`, setBefore + n},
				{`kiwi_commands_total{command="get"}`, m},
				{`kiwi_commands_total{command="incr"}`, bad},
				{`kiwi_command_errors_total{command="incr"}`, bad},
				{`kiwi_commands_total{command="other"}`, 1},
				{`kiwi_command_errors_total{command="other"}`, 1},
				{`kiwi_command_duration_seconds_count{command="set"}`, n},
				{`kiwi_command_duration_seconds_count{command="get"}`, m},
				{`kiwi_connections_accepted_total`, 1},
				{`kiwi_connections`, 1},
				{`kiwi_runtime_up{runtime="network"}`, 1},
				{`kiwi_storage_jobs_total{result="ok"}`, 1},
				{`kiwi_network_bytes_total{direction="in"}`, 1},
			}
			for _, ck := range checks {
				if v := metricValue(t, body, ck.series); v < ck.min {
					t.Errorf("%s = %v, want >= %v", ck.series, v, ck.min)
				}
			}
			if v := metricValue(t, body, `kiwi_command_errors_total{command="set"}`); v != 0 {
				t.Errorf("set errors = %v, want 0", v)
			}
			if !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "process_cpu_seconds_total ") {
				t.Error("Go or process collector missing")
			}
			if !strings.Contains(body, `kiwi_engine_disk_usage_bytes{engine="pebble"}`) {
				t.Error("engine metrics missing")
			}
			if mode == "dual" {
				if v := metricValue(t, body, `kiwi_storage_commit_groups_total`); v < 1 {
					t.Errorf("commit groups = %v", v)
				}
			}

			for _, path := range []string{"/healthz/network", "/healthz/storage", "/healthz", "/readyz"} {
				code, body := adminGet(t, p, path)
				if code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
					t.Errorf("%s = %d %s", path, code, body)
				}
			}
		})
	}
}

func TestMetricsAdminDisabled(t *testing.T) {
	p := startKiwi(t, "--metrics.addr", "")
	if p.AdminAddr != "" {
		t.Fatalf("admin listener started at %s with metrics.addr empty", p.AdminAddr)
	}
	if err := p.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
