package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPReload changes a live option through the file and SIGHUP, then
// checks that a broken file is refused and the running configuration kept,
// and that a changed restart-only option is only reported as pending.
func TestSIGHUPReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kiwi.toml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("maxclients = 100\n")
	p := startKiwi(t, "--config", file)
	ctx := ctxT(t)
	c := p.Client(t)
	maxclients := func() string { return c.ConfigGet(ctx, "maxclients").Val()["maxclients"] }
	if v := maxclients(); v != "100" {
		t.Fatalf("maxclients from the file = %q", v)
	}
	hup := func() {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log:\n%s", what, p.log.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	write("maxclients = 77\n[storage]\nexpire-batch = 123\n")
	hup()
	waitFor("maxclients 77 after SIGHUP", func() bool { return maxclients() == "77" })
	if v := c.ConfigGet(ctx, "storage.expire-batch").Val()["storage.expire-batch"]; v != "123" {
		t.Errorf("storage.expire-batch after reload = %q", v)
	}

	// A broken file: the reload is refused whole, the old values stay.
	write("maxclients = 5\nport = \"not a number\"\n")
	hup()
	waitFor("the reload error in the log", func() bool {
		return strings.Contains(p.log.String(), "config reload failed")
	})
	if v := maxclients(); v != "77" {
		t.Fatalf("a broken file changed maxclients to %q", v)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("server unusable after a broken reload: %v", err)
	}

	// A restart-only option is reported, not applied.
	write("maxclients = 77\ndatabases = 4\n")
	hup()
	waitFor("the pending restart-only option in the log", func() bool {
		return strings.Contains(p.log.String(), "wait for a restart")
	})
	if v := c.ConfigGet(ctx, "databases").Val()["databases"]; v != "16" {
		t.Fatalf("databases changed live to %q", v)
	}
}
