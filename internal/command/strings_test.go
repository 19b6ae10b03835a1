package command

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/resp"
)

func TestParseCursor(t *testing.T) {
	for s, want := range map[string]uint64{"0": 0, "": 0, "+7": 7, "-1": math.MaxUint64, "18446744073709551615": math.MaxUint64, "007": 7} {
		if got, ok := parseCursor([]byte(s)); !ok || got != want {
			t.Errorf("parseCursor(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"+", "-", " 1", "1 ", "18446744073709551616", "1.5", "abc"} {
		if _, ok := parseCursor([]byte(s)); ok {
			t.Errorf("parseCursor(%q) accepted", s)
		}
	}
}

// TestLongDouble checks INCRBYFLOAT arithmetic on values whose float64
// results differ from x87 long double ones (expectations from
// redis-server 7.0.15 on amd64).
func TestLongDouble(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"10.6", "-5.0e3", "-4989.39999999999999991"},
		{"3.0e3", "0", "3000"},
		{"1", "0.1", "1.1"},
		{"1.6", "-1.6", "0"},
		{"2.5", "1e-17", "2.50000000000000001"},
		{"-0.00000000000000000001", "0", "0"},
		{"123456789012345678901234567890", "1", "123456789012345678899921813504"},
	}
	for _, tt := range tests {
		a, ok1 := parseLongDouble([]byte(tt.a))
		b, ok2 := parseLongDouble([]byte(tt.b))
		if !ok1 || !ok2 {
			t.Fatalf("parse %q %q: %v %v", tt.a, tt.b, ok1, ok2)
		}
		sum, ok := addLongDouble(a, b)
		if !ok {
			t.Fatalf("%s + %s overflowed", tt.a, tt.b)
		}
		if got := string(formatLongDouble(sum)); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzParseLongDouble checks that arbitrary input never panics and that
// accepted input formats to something that parses again to the same value.
func FuzzParseLongDouble(f *testing.F) {
	for _, s := range []string{"1.5", "-0x1p3", "1e4000", "inf", ".5", "1e-4950", "0x.8p-16440"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseLongDouble([]byte(s))
		if !ok || v.IsInf() {
			return
		}
		out := formatLongDouble(v)
		if _, ok := parseLongDouble(out); !ok && v.Sign() != 0 && v.MantExp(nil) > -50 {
			t.Fatalf("%q formatted as %q, which does not parse", s, out)
		}
	})
}

func benchSession(b *testing.B, n int) *kiwiSession {
	s := newKiwiSession(b)
	g := s.ks.BeginGroup()
	for i := range n {
		if _, err := g.SetString(0, fmt.Appendf(nil, "key:%06d", i), []byte("value-0123456789"), s.now, keyspace.SetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := g.Commit(false); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSet runs SET through Batch, one command per commit group (the
// whole write path: child Tx, overlay, engine batch commit without fsync).
func BenchmarkSet(b *testing.B) {
	s := benchSession(b, 0)
	out := resp.NewWriter(2)
	args := [][]byte{[]byte("SET"), []byte("key:000000"), []byte("value-0123456789")}
	batch := &Batch{Calls: []Call{{Cmd: s.table.Lookup(args[0]), Args: args}}, Now: s.now, Out: out}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out.Reset()
		args[1] = strconv.AppendInt(args[1][:4], int64(100000+i%10000), 10)
		g := s.ks.BeginGroup()
		batch.Run(g)
		if err := g.Commit(false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetGroup100 runs SETs 100 to a commit group (group commit).
func BenchmarkSetGroup100(b *testing.B) {
	s := benchSession(b, 0)
	out := resp.NewWriter(2)
	args := [][]byte{[]byte("SET"), []byte("key:000000"), []byte("value-0123456789")}
	batch := &Batch{Calls: []Call{{Cmd: s.table.Lookup(args[0]), Args: args}}, Now: s.now, Out: out}
	b.ReportAllocs()
	g := s.ks.BeginGroup()
	for i := 0; b.Loop(); i++ {
		out.Reset()
		args[1] = strconv.AppendInt(args[1][:4], int64(100000+i%10000), 10)
		batch.Run(g)
		if i%100 == 99 {
			if err := g.Commit(false); err != nil {
				b.Fatal(err)
			}
			g = s.ks.BeginGroup()
		}
	}
	_ = g.Commit(false)
}

// BenchmarkGet runs GET through Batch on a read transaction per command.
func BenchmarkGet(b *testing.B) {
	s := benchSession(b, 10000)
	out := resp.NewWriter(2)
	args := [][]byte{[]byte("GET"), []byte("key:000000")}
	batch := &Batch{Calls: []Call{{Cmd: s.table.Lookup(args[0]), Args: args}}, Now: s.now, Out: out}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		out.Reset()
		args[1] = fmt.Appendf(args[1][:4], "%06d", i%10000)
		tx, err := s.ks.ReadTx()
		if err != nil {
			b.Fatal(err)
		}
		batch.Run(tx)
		tx.Close()
		if out.Bytes()[0] != '$' {
			b.Fatalf("GET = %q", out.Bytes())
		}
	}
}
