package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const defaultOutputLimitsText = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// TestClientOutputBufferLimit checks client-output-buffer-limit against
// Redis 7.0.15: CONFIG GET form, CONFIG SET of some classes keeping the
// others, error replies, and the parsed limits.
func TestClientOutputBufferLimit(t *testing.T) {
	c := Default()
	if got, _ := c.String("client-output-buffer-limit"); got != defaultOutputLimitsText {
		t.Fatalf("default = %q", got)
	}
	if got := c.OutputBufferLimitOf(OutputClassPubSub); got != (OutputBufferLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60}) {
		t.Fatalf("pubsub default = %+v", got)
	}
	// Redis: CONFIG SET client-output-buffer-limit "PUBSUB 1mb 512kb 5
	// Replica 1gb 0 0", then CONFIG GET.
	if err := c.Set("client-output-buffer-limit", "PUBSUB 1mb 512kb 5 Replica 1gb 0 0"); err != nil {
		t.Fatal(err)
	}
	want := "normal 0 0 0 slave 1073741824 0 0 pubsub 1048576 524288 5"
	if got, _ := c.String("client-output-buffer-limit"); got != want {
		t.Fatalf("after SET = %q, want %q", got, want)
	}
	// One class: the others keep their current values.
	if err := c.Set("client-output-buffer-limit", "normal 1 2 3"); err != nil {
		t.Fatal(err)
	}
	want = "normal 1 2 3 slave 1073741824 0 0 pubsub 1048576 524288 5"
	if got, _ := c.String("client-output-buffer-limit"); got != want {
		t.Fatalf("after second SET = %q, want %q", got, want)
	}
	if got := c.OutputBufferLimitOf(OutputClassPubSub); got != (OutputBufferLimit{Hard: 1 << 20, Soft: 512 << 10, SoftSeconds: 5}) {
		t.Fatalf("pubsub = %+v", got)
	}
	// Empty: no change.
	if err := c.Set("client-output-buffer-limit", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.String("client-output-buffer-limit"); got != want {
		t.Fatalf("after empty SET = %q, want %q", got, want)
	}
	for value, reason := range map[string]string{
		"pubsub 1mb":                "Wrong number of arguments in buffer limit configuration.",
		"master 1 1 1":              "Invalid client class specified in buffer limit configuration.",
		"pubsub 1x 1 1":             "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"pubsub 1 1 -1":             "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"normal 0 0 0 pubsub 1 1 x": "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
	} {
		err := c.Set("client-output-buffer-limit", value)
		wantErr := "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - " + reason
		if err == nil || err.Error() != wantErr {
			t.Errorf("SET %q: %v, want %q", value, err, wantErr)
		}
	}
	// A failed SET changes nothing (not even the valid classes before
	// the bad one).
	if got, _ := c.String("client-output-buffer-limit"); got != want {
		t.Fatalf("after failed SETs = %q, want %q", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestClientOutputBufferLimitSources: the file and the command line take
// Redis's syntax over the defaults; the CONFIG GET form loads back to
// itself (CONFIG REWRITE).
func TestClientOutputBufferLimitSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiwi.toml")
	if err := os.WriteFile(path, []byte(`client-output-buffer-limit = "pubsub 64mb 16mb 30"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30"
	if c.ClientOutputBufferLimit != want {
		t.Fatalf("file: %q, want %q", c.ClientOutputBufferLimit, want)
	}
	c2, _, err := Parse([]string{"--client-output-buffer-limit", want})
	if err != nil {
		t.Fatal(err)
	}
	if c2.ClientOutputBufferLimit != want {
		t.Fatalf("command line: %q", c2.ClientOutputBufferLimit)
	}
	if err := os.WriteFile(path, []byte(`client-output-buffer-limit = "pubsub 64mb"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "Wrong number of arguments in buffer limit configuration.") {
		t.Fatalf("bad file value: %v", err)
	}
	if err := Rewrite(path, c); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.ClientOutputBufferLimit != want {
		t.Fatalf("rewritten file loads %q", back.ClientOutputBufferLimit)
	}
}
