package command

import (
	"testing"

	"github.com/kiwidb/kiwi/internal/resp"
)

// TestBatchRetriesStaleRead: when a read command's view goes stale (a key
// it read first changed before its second read), the Batch drops its reply
// and runs it again on a pinned view; the client sees one reply, from a
// consistent view.
func TestBatchRetriesStaleRead(t *testing.T) {
	s := newKiwiSession(t)
	s.run("SET", "a", "1")
	s.run("SET", "b", "1")
	runs := 0
	// MGET a b, with a concurrent "MSET a 2 b 2" between its two reads
	// on the first run.
	mget := &Command{Name: "mgetrace", Arity: 3, Flags: ReadOnly, Run: func(c *Ctx) {
		runs++
		a, _, err := c.Tx.GetString(c.DB, c.Args[1], c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		if runs == 1 {
			s.run("MSET", "a", "2", "b", "2")
		}
		b, _, err := c.Tx.GetString(c.DB, c.Args[2], c.Now)
		if err != nil {
			replyErr(c, err)
			return
		}
		c.Out.WriteArrayLen(2)
		c.Out.WriteBulk(a)
		c.Out.WriteBulk(b)
	}}
	get := s.table.Lookup([]byte("get"))
	out := resp.NewWriter(2)
	b := &Batch{Calls: []Call{
		{Cmd: get, Args: toArgs([]string{"GET", "a"})},
		{Cmd: mget, Args: toArgs([]string{"MGETRACE", "a", "b"})},
		{Cmd: get, Args: toArgs([]string{"GET", "b"})},
	}, Now: s.now, Out: out}
	tx, err := s.ks.ReadTx()
	if err != nil {
		t.Fatal(err)
	}
	b.Run(tx)
	tx.Close()
	if runs != 2 {
		t.Fatalf("command ran %d times, want 2 (stale, then pinned)", runs)
	}
	want := "$1\r\n1\r\n*2\r\n$1\r\n2\r\n$1\r\n2\r\n$1\r\n2\r\n"
	if got := string(out.Bytes()); got != want {
		t.Fatalf("replies %q, want %q", got, want)
	}
}

// TestBatchReadAllocs: a GET through a Batch on a read transaction
// allocates nothing in the command and keyspace layers (what remains is
// the engine's copy of the value).
func TestBatchReadAllocs(t *testing.T) {
	s := newKiwiSession(t)
	s.run("SET", "k", "value")
	out := resp.NewWriter(2)
	b := &Batch{Calls: []Call{{Cmd: s.table.Lookup([]byte("get")), Args: toArgs([]string{"GET", "k"})}}, Now: s.now, Out: out}
	n := testing.AllocsPerRun(500, func() {
		out.Reset()
		tx, _ := s.ks.ReadTx()
		b.Run(tx)
		tx.Close()
	})
	if n > 1 && !raceEnabled {
		t.Fatalf("%.1f allocations per GET batch, want <= 1", n)
	}
}
