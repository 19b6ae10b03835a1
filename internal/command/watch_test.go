package command

import (
	"slices"
	"strings"
	"testing"

	"github.com/kiwidb/kiwi/internal/keyspace"
)

// fakeWatches records touches of watched keys.
type fakeWatches struct {
	watched, waited map[int][]string
	touched         []string
}

func (w *fakeWatches) Active() bool { return len(w.watched) > 0 || len(w.waited) > 0 }

func (w *fakeWatches) Touch(db int, key []byte) {
	w.touched = append(w.touched, string(rune('0'+db))+":"+string(key))
}

func (w *fakeWatches) Serve(*keyspace.Tx) {}

// Watched returns the watched and the waited keys of db, as the server's.
func (w *fakeWatches) Watched(db int) [][]byte {
	var out [][]byte
	for _, k := range slices.Concat(w.watched[db], w.waited[db]) {
		out = append(out, []byte(k))
	}
	return out
}

// TestWatchTouches checks which commands report modified keys: write
// commands that wrote something, with their key arguments; FLUSHDB and
// FLUSHALL the watched keys that exist.
func TestWatchTouches(t *testing.T) {
	s := newKiwiSession(t)
	w := &fakeWatches{watched: map[int][]string{0: {"a", "gone"}, 1: {"b", "nokey"}}}
	s.watches = w
	steps := []struct {
		cmd  string
		want string // touched keys after the command, space-separated
	}{
		{"SET a 1", "0:a"},
		{"SETNX a 2", ""},           // wrote nothing
		{"GET a", ""},               // read
		{"DEL nokey", ""},           // wrote nothing
		{"MSET a 1 c 2", "0:a 0:c"}, // every key argument
		{"SADD x m", "0:x"},
		{"SINTERSTORE dst x", "0:dst 0:x"}, // sources too: an over-approximation
		{"INCR a", "0:a"},
		{"SORT x", ""},                        // a write command that wrote nothing
		{"SORT x ALPHA STORE a", "0:x 0:a"},   // the source too, as SINTERSTORE
		{"SORT nokey STORE gone", ""},         // empty result, no destination: as Redis
		{"SORT nokey STORE a", "0:nokey 0:a"}, // empty result deletes a
		{"SET a 1", "0:a"},

		{"HSET h f v", "0:h"},
		{"FLUSHDB", "0:a"}, // "gone" does not exist
	}
	for _, st := range steps {
		w.touched = nil
		s.run(strings.Fields(st.cmd)...)
		if got := strings.Join(w.touched, " "); got != st.want {
			t.Errorf("%s: touched %q, want %q", st.cmd, got, st.want)
		}
	}
	s.db = 1
	s.run("SET", "b", "v")
	s.db = 0
	w.touched = nil
	s.run("FLUSHALL")
	if !slices.Equal(w.touched, []string{"1:b"}) {
		t.Errorf("FLUSHALL touched %q, want [1:b]", w.touched)
	}
	// Nothing watched: nothing reported.
	w.watched, w.touched = nil, nil
	s.run("SET", "a", "1")
	if len(w.touched) != 0 {
		t.Errorf("touched %q with nothing watched", w.touched)
	}
}

func TestKeyArgs(t *testing.T) {
	table := NewTable()
	Register(table)
	cases := map[string]string{
		"GET k":                            "k",
		"MSET a 1 b 2":                     "a b",
		"DEL a b c":                        "a b c",
		"SMOVE s d m":                      "s d",
		"SINTERSTORE d a b":                "d a b",
		"SINTERCARD 2 a b":                 "a b",
		"SINTERCARD 3 a b":                 "",
		"SINTERCARD x a b":                 "",
		"LMPOP 2 a b LEFT":                 "a b",
		"SORT k":                           "k",
		"SORT k STORE d":                   "k d",
		"SORT k store x STORE bad store d": "k d",
		"SORT k BY store GET store LIMIT store 1": "k",
		"SORT k STORE":      "k",
		"SORT_RO k STORE d": "k",
	}
	for line, want := range cases {
		args := strings.Fields(line)
		bs := make([][]byte, len(args))
		for i, a := range args {
			bs[i] = []byte(a)
		}
		var got []string
		for _, k := range table.Lookup(bs[0]).KeyArgs(bs) {
			got = append(got, string(k))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: keys %q, want %q", line, got, want)
		}
	}
}

// TestSwapDBTouches checks Redis's rules for SWAPDB (touchAllWatchedKeysInDb
// on both databases, scanDatabaseForReadyKeys): a watched or waited key of
// either database is touched when it exists, live, in either.
func TestSwapDBTouches(t *testing.T) {
	s := newKiwiSession(t)
	w := &fakeWatches{
		watched: map[int][]string{0: {"x", "missing", "stale"}, 1: {"y"}, 2: {"x"}},
		waited:  map[int][]string{1: {"list"}},
	}
	s.watches = w
	s.run("SET", "x", "30")
	s.run("SET", "stale", "v", "PX", "1")
	s.db = 1
	s.run("SET", "y", "1")
	s.run("SET", "stale", "v", "PX", "1")
	s.db = 0
	s.run("RPUSH", "list", "a")
	s.now += 2 // "stale" expired in both databases
	w.touched = nil
	s.run("SWAPDB", "0", "1")
	slices.Sort(w.touched)
	want := []string{"0:x", "1:list", "1:y"}
	if !slices.Equal(w.touched, want) {
		t.Errorf("SWAPDB 0 1 touched %q, want %q", w.touched, want)
	}
	w.touched = nil
	for _, cmd := range [][]string{{"SWAPDB", "0", "0"}, {"SWAPDB", "0", "16"}, {"SWAPDB", "3", "4"}} {
		s.run(cmd...)
	}
	if len(w.touched) != 0 {
		t.Errorf("touched %q", w.touched)
	}
}
