package command

import "testing"

func TestFlushCounters(t *testing.T) {
	s := newKiwiSession(t)
	for db := range 3 {
		s.db = db
		s.run("MSET", "a", "1", "b", "2")
		s.run("SET", "t", "v", "EX", "100")
		s.run("SETRANGE", "big", "10000", "x")
	}
	s.db = 1
	if got := s.run("FLUSHDB"); got != "+OK\r\n" {
		t.Fatalf("FLUSHDB = %q", got)
	}
	if n := s.ks.KeyCount(1); n != 0 {
		t.Fatalf("db 1 has %d keys after FLUSHDB", n)
	}
	if n, e := s.ks.KeyCount(0), s.ks.ExpireCount(0); n != 4 || e != 1 {
		t.Fatalf("db 0 counts %d %d, want 4 1", n, e)
	}
	if got := s.run("FLUSHALL", "ASYNC"); got != "+OK\r\n" {
		t.Fatalf("FLUSHALL = %q", got)
	}
	for db := range 3 {
		if n, e := s.ks.KeyCount(db), s.ks.ExpireCount(db); n != 0 || e != 0 {
			t.Fatalf("db %d counts %d %d after FLUSHALL", db, n, e)
		}
	}
	// The chunked values' data records are garbage for the sweep.
	g := s.ks.BeginGroup()
	removed, more, err := g.SweepGarbage(1000)
	if err != nil || more || removed != 6 {
		t.Fatalf("SweepGarbage = %d %v %v, want 3 chunks and 3 markers", removed, more, err)
	}
	if err := g.Commit(false); err != nil {
		t.Fatal(err)
	}
}
