package slowlog

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func ids(es []Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestAddGetNewestFirst(t *testing.T) {
	l := New(3)
	now := time.Unix(1700000000, 0)
	for i := range 5 {
		l.Add(now, time.Duration(i)*time.Millisecond, args("set", fmt.Sprint(i)), nil, "1.2.3.4:5", "n")
	}
	if l.Len() != 3 {
		t.Fatalf("Len = %d, want 3", l.Len())
	}
	got := l.Get(-1)
	if fmt.Sprint(ids(got)) != "[4 3 2]" {
		t.Fatalf("ids = %v, want [4 3 2]", ids(got))
	}
	e := got[0]
	if e.Time != now.Unix() || e.Micros != 4000 || e.Addr != "1.2.3.4:5" || e.Name != "n" ||
		string(bytes.Join(e.Args, []byte(" "))) != "set 4" {
		t.Fatalf("entry = %+v", e)
	}
	if got := l.Get(2); fmt.Sprint(ids(got)) != "[4 3]" {
		t.Fatalf("Get(2) = %v", ids(got))
	}
	if got := l.Get(0); len(got) != 0 {
		t.Fatalf("Get(0) = %v", ids(got))
	}
	if got := l.Get(100); len(got) != 3 {
		t.Fatalf("Get(100) = %v", ids(got))
	}
}

func TestSetMaxLenAndReset(t *testing.T) {
	l := New(4)
	now := time.Now()
	for range 6 { // wraps the ring
		l.Add(now, 0, args("ping"), nil, "", "")
	}
	l.SetMaxLen(2)
	if got := l.Get(-1); fmt.Sprint(ids(got)) != "[5 4]" {
		t.Fatalf("after shrink: %v", ids(got))
	}
	l.SetMaxLen(3)
	l.Add(now, 0, args("ping"), nil, "", "")
	l.Add(now, 0, args("ping"), nil, "", "")
	if got := l.Get(-1); fmt.Sprint(ids(got)) != "[7 6 5]" {
		t.Fatalf("after grow: %v", ids(got))
	}
	l.Reset()
	if l.Len() != 0 {
		t.Fatalf("Len after Reset = %d", l.Len())
	}
	l.Add(now, 0, args("ping"), nil, "", "")
	if got := l.Get(-1); fmt.Sprint(ids(got)) != "[8]" {
		t.Fatalf("ids continue after Reset: %v", ids(got))
	}
	l.SetMaxLen(0)
	l.Add(now, 0, args("ping"), nil, "", "")
	if l.Len() != 0 {
		t.Fatalf("max-len 0 recorded an entry")
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("x", 200)
	got := Truncate(args("set", long, "v"), nil)
	if want := strings.Repeat("x", 128) + "... (72 more bytes)"; string(got[1]) != want {
		t.Errorf("long arg = %q", got[1])
	}
	exact := strings.Repeat("y", MaxArgLen)
	if got := Truncate(args("get", exact), nil); string(got[1]) != exact {
		t.Errorf("128-byte arg changed: %q", got[1])
	}

	many := []string{"rpush", "l"}
	for i := 1; i <= 40; i++ {
		many = append(many, fmt.Sprint(i))
	}
	got = Truncate(args(many...), nil)
	if len(got) != MaxArgs {
		t.Fatalf("%d args kept, want %d", len(got), MaxArgs)
	}
	if string(got[30]) != "29" || string(got[31]) != "... (11 more arguments)" {
		t.Errorf("last kept %q, marker %q", got[30], got[31])
	}
	exactly := args(many[:32]...)
	if got := Truncate(exactly, nil); len(got) != 32 || string(got[31]) != "30" {
		t.Errorf("32 args were truncated: %q", got[31])
	}

	in := args("auth", "user", "secret")
	got = Truncate(in, func(i int) bool { return i > 0 })
	if string(got[1]) != Redacted || string(got[2]) != Redacted || string(got[0]) != "auth" {
		t.Errorf("redacted = %q", got)
	}
	in[0][0] = 'X'
	if string(got[0]) != "auth" {
		t.Error("Truncate shares memory with its input")
	}
}

func TestConcurrent(t *testing.T) {
	l := New(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				l.Add(time.Now(), time.Microsecond, args("get", fmt.Sprint(g, i)), nil, "", "")
				if i%50 == 0 {
					l.Get(-1)
					l.SetMaxLen(8 + i%16)
				}
			}
		}()
	}
	wg.Wait()
	got := l.Get(-1)
	if len(got) > 24 {
		t.Fatalf("%d entries kept", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID >= got[i-1].ID {
			t.Fatalf("not newest first: %v", ids(got))
		}
	}
}
