package command

import (
	"errors"
	"testing"

	"github.com/kiwidb/kiwi/internal/logging/logtest"
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

// TestBatchLogsFaultsOnce: a command's storage error (Ctx.Fail) and a
// recovered panic are logged once each, at Error, with the command, db
// and key; client errors (Ctx.Error) are not logged, nor is a failure on
// a stale view that the re-run on a pinned view replaces.
func TestBatchLogsFaultsOnce(t *testing.T) {
	s := newKiwiSession(t)
	s.run("SET", "a", "1")
	s.run("SET", "b", "1")
	runs := 0
	stale := &Command{Name: "stalefail", Arity: 3, FirstKey: 1, LastKey: 2, KeyStep: 1, Flags: ReadOnly, Run: func(c *Ctx) {
		runs++
		if _, _, err := c.Tx.GetString(c.DB, c.Args[1], c.Now); err != nil {
			replyErr(c, err)
			return
		}
		if runs == 1 {
			s.run("MSET", "a", "2", "b", "2")
			if _, _, err := c.Tx.GetString(c.DB, c.Args[2], c.Now); err != nil {
				replyErr(c, err)
				return
			}
			c.Fail(errors.New("what a stale view made up"))
			return
		}
		c.Out.WriteSimple("OK")
	}}
	fault := &Command{Name: "fault", Arity: 2, FirstKey: 1, LastKey: 1, KeyStep: 1, Flags: ReadOnly, Run: func(c *Ctx) {
		c.Fail(errors.New("engine: injected read failure"))
	}}
	clientErr := &Command{Name: "clienterr", Arity: 2, FirstKey: 1, LastKey: 1, KeyStep: 1, Flags: ReadOnly, Run: func(c *Ctx) {
		c.Error(ErrWrongType)
	}}
	boom := &Command{Name: "boom", Arity: 2, FirstKey: 1, LastKey: 1, KeyStep: 1, Flags: ReadOnly, Run: func(c *Ctx) {
		panic("handler bug")
	}}
	l, buf := logtest.New(t)
	out := resp.NewWriter(2)
	b := &Batch{Calls: []Call{
		{Cmd: stale, Args: toArgs([]string{"STALEFAIL", "a", "b"})},
		{Cmd: fault, Args: toArgs([]string{"FAULT", "k1"})},
		{Cmd: clientErr, Args: toArgs([]string{"CLIENTERR", "a"})},
		{Cmd: boom, Args: toArgs([]string{"BOOM", "a"})},
	}, DB: 0, Now: s.now, Out: out, Logger: l}
	tx, err := s.ks.ReadTx()
	if err != nil {
		t.Fatal(err)
	}
	b.Run(tx)
	tx.Close()
	if runs != 2 || b.Errors != 3 {
		t.Fatalf("stale command ran %d times (want 2), %d errors (want 3); replies %q", runs, b.Errors, out.Bytes())
	}
	recs := buf.Records()
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the storage error and the panic):\n%s", len(recs), buf.String())
	}
	want := []map[string]any{
		{"level": "ERROR", "msg": "command failed on a storage error", "op": "run", "command": "fault",
			"db": float64(0), "key": "k1", "err": "engine: injected read failure"},
		{"level": "ERROR", "msg": "command panicked", "op": "run", "command": "boom", "db": float64(0), "panic": "handler bug"},
	}
	for i, w := range want {
		for k, v := range w {
			if recs[i][k] != v {
				t.Errorf("record %d: %s = %v, want %v", i, k, recs[i][k], v)
			}
		}
	}
	if recs[1].Str("stack") == "" {
		t.Errorf("panic record has no stack")
	}
}
