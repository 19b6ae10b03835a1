package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated option table in docs/configuration.md")

const docsPath = "../../docs/configuration.md"

// TestDocs fails if the option table in docs/configuration.md differs from
// what the option table renders. Regenerate it with
//
//	go test ./internal/config -run TestDocs -update
func TestDocs(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("%v (the option reference must exist)", err)
	}
	doc := string(data)
	begin := strings.Index(doc, docsBegin)
	end := strings.Index(doc, docsEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s: markers not found; it must contain\n%s\n…\n%s", docsPath, docsBegin, docsEnd)
	}
	head := doc[:begin+len(docsBegin)]
	want := "\n\n" + markdownTable() + "\n"
	if doc[len(head):end] == want {
		return
	}
	if !*update {
		t.Fatalf("%s: option table is out of date; run: go test ./internal/config -run TestDocs -update", docsPath)
	}
	if err := os.WriteFile(docsPath, []byte(head+want+doc[end:]), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote the option table in %s", docsPath)
}

// TestDocsMentionFlags keeps the hand-written parts of the docs honest
// about the command-line flags.
func TestDocsMentionFlags(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"--config", "--default-config", "--help", "--version", "CONFIG SET", "CONFIG GET"} {
		if !strings.Contains(string(data), s) {
			t.Errorf("%s does not mention %s", docsPath, s)
		}
	}
}
