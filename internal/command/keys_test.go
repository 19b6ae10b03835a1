package command

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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

// TestWriteCommandsRemoveExpiredKeys: every write command that meets an
// expired key removes it at once, as Redis does, whether it then succeeds
// or replies with an error (the batch discards a failed command's writes,
// but not that removal): DBSIZE drops without waiting for active expiry.
func TestWriteCommandsRemoveExpiredKeys(t *testing.T) {
	for _, tc := range []struct {
		cmd   []string
		reply string
		keys  int64 // keys left besides "o" (and "l" when used)
	}{
		{[]string{"GETDEL", "k"}, "$-1\r\n", 0},
		{[]string{"GETEX", "k"}, "$-1\r\n", 0},
		{[]string{"GETEX", "k", "PERSIST"}, "$-1\r\n", 0},
		{[]string{"GETEX", "k", "EX", "100"}, "$-1\r\n", 0},
		{[]string{"GETEX", "k", "EX", "nan"}, "$-1\r\n", 0}, // looked up before the expiry is parsed
		{[]string{"RENAME", "k", "x"}, "-ERR no such key\r\n", 0},
		{[]string{"RENAMENX", "k", "x"}, "-ERR no such key\r\n", 0},
		{[]string{"RENAME", "k", "k"}, "-ERR no such key\r\n", 0},
		{[]string{"INCRBYFLOAT", "k", "abc"}, "-ERR value is not a valid float\r\n", 0},
		{[]string{"SETRANGE", "k", "600000000", "x"}, "-" + ErrStringTooLong + "\r\n", 0},
		{[]string{"MSETNX", "k", "1", "o", "2"}, ":0\r\n", 0},
		{[]string{"BITOP", "AND", "d", "k", "l"}, "-" + ErrWrongType + "\r\n", 0},
		{[]string{"EXPIRE", "k", "100"}, ":0\r\n", 0},
		{[]string{"PERSIST", "k"}, ":0\r\n", 0},
		{[]string{"DEL", "k"}, ":0\r\n", 0},
		{[]string{"SET", "k", "v", "XX"}, "$-1\r\n", 0},
		{[]string{"GETSET", "k", "v"}, "$-1\r\n", 1},
		{[]string{"INCR", "k"}, ":1\r\n", 1},
		{[]string{"RENAME", "o", "k"}, "+OK\r\n", 0},
	} {
		t.Run(strings.Join(tc.cmd, " "), func(t *testing.T) {
			s := newKiwiSession(t)
			s.run("SET", "o", "1")
			base := int64(1)
			if slices.Contains(tc.cmd, "l") {
				s.run("LPUSH", "l", "x")
				base++
			}
			s.run("SET", "k", strings.Repeat("v", 10000), "PX", "10") // chunked
			s.now += 20
			if got := s.run(tc.cmd...); got != tc.reply {
				t.Fatalf("reply %q, want %q", got, tc.reply)
			}
			if n, e := s.ks.KeyCount(0), s.ks.ExpireCount(0); n != base+tc.keys || e != 0 {
				t.Fatalf("counts %d %d, want %d 0", n, e, base+tc.keys)
			}
			// The expired value's data records went to the sweep.
			g := s.ks.BeginGroup()
			removed, more, err := g.SweepGarbage(1000)
			if err != nil || more || removed != 3+1 {
				t.Fatalf("SweepGarbage = %d %v %v, want 3 chunks and 1 marker", removed, more, err)
			}
			if err := g.Commit(false); err != nil {
				t.Fatal(err)
			}
		})
	}
}
