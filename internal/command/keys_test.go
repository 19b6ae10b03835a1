package command

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// scanPage runs SCAN and returns the next cursor and the keys.
func scanPage(t *testing.T, s *kiwiSession, cursor string, args ...string) (string, []string) {
	t.Helper()
	raw := s.do(toArgs(append([]string{"SCAN", cursor}, args...)))
	v, err := readValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || v.kind != '*' || len(v.elems) != 2 {
		t.Fatalf("SCAN reply %q: %v", raw, err)
	}
	var keys []string
	for _, e := range v.elems[1].elems {
		keys = append(keys, e.str)
	}
	return v.elems[0].str, keys
}

func toArgs(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestScanCursors runs full SCANs through the command layer while other
// keys come and go, checking Redis's guarantee: every key present for the
// whole iteration is returned.
func TestScanCursors(t *testing.T) {
	s := newKiwiSession(t)
	r := rand.New(rand.NewPCG(1, 1))
	stable := map[string]bool{}
	for i := range 300 {
		k := fmt.Sprintf("key:%d", i)
		stable[k] = true
		s.run("SET", k, "v")
	}
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 10000 {
			t.Fatal("SCAN does not terminate")
		}
		var keys []string
		cursor, keys = scanPage(t, s, cursor, "COUNT", strconv.Itoa(1+r.IntN(15)))
		for _, k := range keys {
			seen[k]++
		}
		if cursor == "0" {
			break
		}
		s.run("SET", fmt.Sprintf("key:%d.new", r.IntN(300)), "v")
		s.run("DEL", fmt.Sprintf("key:%d.new", r.IntN(300)))
	}
	for k := range stable {
		if seen[k] != 1 {
			t.Errorf("%s returned %d times", k, seen[k])
		}
	}
	// MATCH and TYPE filter; the cursor still walks the whole range.
	total := 0
	cursor = "0"
	for {
		var keys []string
		cursor, keys = scanPage(t, s, cursor, "MATCH", "key:1?", "TYPE", "string", "COUNT", "3")
		total += len(keys)
		if cursor == "0" {
			break
		}
	}
	if total != 10 {
		t.Errorf("MATCH key:1? returned %d keys, want 10", total)
	}
}

func TestRandomKeyReturnsLiveKeys(t *testing.T) {
	s := newKiwiSession(t)
	s.run("MSET", "a", "1", "b", "2", "c", "3")
	s.run("SET", "gone", "v", "PX", "10")
	s.now += 20
	seen := map[string]bool{}
	for range 100 {
		got := s.run("RANDOMKEY")
		if got != "$1\r\na\r\n" && got != "$1\r\nb\r\n" && got != "$1\r\nc\r\n" {
			t.Fatalf("RANDOMKEY = %q", got)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("RANDOMKEY always returned the same key")
	}
}
