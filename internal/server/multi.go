package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/keyspace"
)

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// MULTI queues the connection's commands (after the checks every command
// gets: unknown name, arity, auth; a failed check marks the transaction,
// which EXEC then refuses with EXECABORT, as Redis 7 does). EXEC sends
// every queued command, network commands included, to the storage
// runtime as ONE write job: the applier runs it in one step, so no other
// client's command runs between two of its commands, and its writes commit
// in one group. Each command runs in its own savepoint, so a command that
// fails at run time fails alone (Redis does not roll back either).
//
// WATCH registers keys in the server's watchRegistry. Every write command
// that modified something reports its key arguments to the registry on the
// applier goroutine (command.Watches), which marks the watching
// connections dirty; EXEC checks the mark at the start of its applier step,
// so the check and the transaction are atomic with respect to all writes.
// A write command's keys are all its key arguments (the sources of
// SINTERSTORE too): WATCH may abort a transaction that Redis would have
// let through, never the reverse. Keys deleted by expiry do not touch
// watchers.

// multiState is a connection's open MULTI block.
type multiState struct {
	active bool
	// aborted: a command was refused while queueing; EXEC answers
	// EXECABORT.
	aborted bool
	calls   []command.Call // queued, with arguments owned here
	stats   []*cmdStat
}

// reset closes the block and drops the queue.
func (m *multiState) reset() {
	clear(m.calls)
	clear(m.stats)
	m.calls, m.stats = m.calls[:0], m.stats[:0]
	m.active, m.aborted = false, false
}

// multiPassThrough are the commands that run at once inside MULTI instead
// of being queued (Redis's processCommand list).
var multiPassThrough = map[string]bool{
	"exec": true, "discard": true, "multi": true, "watch": true, "quit": true, "reset": true,
}

// queue adds a command to the open MULTI block and answers +QUEUED, or
// refuses it (and marks the block) if it may not run in a transaction.
func (c *client) queue(cmd *command.Command, args [][]byte, st *cmdStat) {
	m := &c.multi
	if cmd.Flags&command.NoMulti != 0 {
		m.aborted = true
		c.replyError("ERR Command not allowed inside a transaction")
		st.reject()
		return
	}
	owned := make([][]byte, len(args))
	size := 0
	for _, a := range args {
		size += len(a)
	}
	buf := make([]byte, 0, size)
	for i, a := range args {
		buf = append(buf, a...)
		owned[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	m.calls = append(m.calls, command.Call{Cmd: cmd, Args: owned})
	m.stats = append(m.stats, st)
	c.out.WriteSimple("QUEUED")
}

// rejectQueued marks an open MULTI block after a command was refused
// before it could be queued (unknown command, arity, auth).
func (c *client) rejectQueued() {
	if c.multi.active {
		c.multi.aborted = true
	}
}

func (s *Server) transactionCommands() []netCommand {
	tx := []string{"@fast", "@transaction"}
	flags := command.NoScript | command.Loading | command.Stale | command.Fast | command.AllowBusy
	return []netCommand{
		{&command.Command{Name: "multi", Arity: 1, Flags: flags, Group: "transactions",
			Summary: "Mark the start of a transaction block", Since: "1.2.0", Complexity: "O(1)", ACLCategories: tx}, cmdMulti},
		{&command.Command{Name: "exec", Arity: 1, Flags: command.NoScript | command.Loading | command.Stale | command.SkipSlowlog,
			Group: "transactions", Summary: "Execute all commands issued after MULTI", Since: "1.2.0",
			Complexity: "Depends on commands in the transaction", ACLCategories: []string{"@slow", "@transaction"}}, cmdExec},
		{&command.Command{Name: "discard", Arity: 1, Flags: flags, Group: "transactions",
			Summary: "Discard all commands issued after MULTI", Since: "2.0.0",
			Complexity: "O(N), when N is the number of queued commands", ACLCategories: tx}, cmdDiscard},
		{&command.Command{Name: "watch", Arity: -2, Flags: flags, FirstKey: 1, LastKey: -1, KeyStep: 1, Group: "transactions",
			Summary: "Watch the given keys to determine execution of the MULTI/EXEC block", Since: "2.2.0",
			Complexity: "O(1) for every key.", ACLCategories: tx}, cmdWatch},
		{&command.Command{Name: "unwatch", Arity: 1, Flags: flags, Group: "transactions",
			Summary: "Forget about all watched keys", Since: "2.2.0", Complexity: "O(1)", ACLCategories: tx}, cmdUnwatch},
	}
}

func cmdMulti(c *client, _ [][]byte) {
	if c.multi.active {
		c.replyError("ERR MULTI calls can not be nested")
		return
	}
	c.multi.active = true
	c.out.WriteOK()
}

func cmdDiscard(c *client, _ [][]byte) {
	if !c.multi.active {
		c.replyError("ERR DISCARD without MULTI")
		return
	}
	c.multi.reset()
	c.s.watches.unwatchAll(c)
	c.out.WriteOK()
}

func cmdWatch(c *client, args [][]byte) {
	if c.multi.active {
		c.replyError("ERR WATCH inside MULTI is not allowed")
		return
	}
	db := c.selectedDB()
	for _, k := range args[1:] {
		c.s.watches.watch(c, db, k)
	}
	// Registered: every write applied from now on touches c. A write
	// applied before but not yet committed is invisible to c's reads
	// until its group commits, and would not touch c: ask the applier,
	// in its order, whether the open group holds one.
	cfg := c.s.Config()
	now := time.Now()
	j := &watchJob{c: c, db: db, keys: args[1:], done: make(chan error, 1)}
	if err := c.submitAndWait(j, j.done, cfg, now); err != nil {
		c.watch.dirty.Store(true) // unknown: EXEC must not trust it
		c.replyError(storageErrorReply(err))
		return
	}
	c.out.WriteOK()
}

// watchJob is WATCH's applier step: it marks the connection dirty if the
// open commit group holds an uncommitted write to a watched key
// (keyspace.Tx.Unsettled).
type watchJob struct {
	c    *client
	db   int
	keys [][]byte
	done chan error
	err  error
}

func (j *watchJob) Write() bool { return true }

func (j *watchJob) Run(tx *keyspace.Tx) {
	now := time.Now().UnixMilli()
	for _, k := range j.keys {
		at, live, err := tx.Expiry(j.db, k, now)
		if err == nil && live && at > 0 {
			j.c.watch.expiresAt = append(j.c.watch.expiresAt, at)
		}
		unsettled, err := tx.Unsettled(j.db, k)
		if err != nil {
			j.err = err
			j.c.watch.dirty.Store(true)
			return
		}
		if unsettled {
			j.c.watch.dirty.Store(true)
			return
		}
	}
}

func (j *watchJob) Finish(err error) {
	if err == nil {
		err = j.err
	}
	j.done <- err
}

func cmdUnwatch(c *client, _ [][]byte) {
	c.s.watches.unwatchAll(c)
	c.out.WriteOK()
}

func cmdExec(c *client, _ [][]byte) {
	m := &c.multi
	switch {
	case !m.active:
		c.replyError("ERR EXEC without MULTI")
		return
	case m.aborted:
		m.reset()
		c.s.watches.unwatchAll(c)
		c.replyError("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	c.runExec(c.s.Config())
	m.reset()
	c.s.watches.unwatchAll(c)
}

// selectedDB returns the connection's database.
func (c *client) selectedDB() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.db
}

// runExec runs the queued commands as one storage job on the applier (see
// the top of this file) and writes EXEC's reply: the array of their
// replies, a null array if a watched key was modified, or one error if
// the storage runtime could not run the job.
func (c *client) runExec(cfg *config.Config) {
	m := &c.multi
	j := &c.job
	b := &j.batch
	b.Reset()
	b.Calls = append(b.Calls, m.calls...)
	now := time.Now()
	c.prepareBatch(cfg, now)
	b.Network = c.runQueuedNetwork
	b.NoBlock = true
	j.write, j.exec, j.execAborted = true, c, false
	mark := c.out.Len()
	err := c.submitAndWait(j, j.done, cfg, now)
	j.exec, b.Network = nil, nil
	switch {
	case err != nil:
		c.out.Truncate(mark)
		c.replyError(storageErrorReply(err))
	case j.execAborted:
	default:
		c.s.stats.errorReplies.Add(int64(b.Errors))
		elapsed := time.Since(now)
		for i, st := range m.stats {
			c.called(st, b.Calls[i].Args, elapsed, b.Calls[i].Failed)
		}
	}
	b.Reset()
}

// runQueuedNetwork runs a queued network command inside EXEC's storage
// job (on the applier goroutine, while this connection's goroutine waits
// for the job): PING, ECHO, SELECT, CONFIG... A SELECT moves the rest of
// the transaction to the new database.
func (c *client) runQueuedNetwork(b *command.Batch, call *command.Call) {
	errs := c.errs
	c.s.netCmds[call.Cmd.Name](c, call.Args)
	call.Failed = c.errs != errs
	b.DB = c.selectedDB()
}

// watchKey names a watched key.
type watchKey struct {
	db  int
	key string
}

// watchRegistry is the server's WATCH table: for every watched key, the
// connections watching it. It implements command.Watches for the storage
// commands. Safe for concurrent use.
type watchRegistry struct {
	n  atomic.Int64 // watched (connection, key) pairs: the fast path
	mu sync.Mutex
	// keys maps a watched key to its watchers.
	keys map[watchKey]map[*client]struct{}
}

func newWatchRegistry() *watchRegistry {
	return &watchRegistry{keys: make(map[watchKey]map[*client]struct{})}
}

// watchState is what a connection watches.
type watchState struct {
	keys []watchKey
	// dirty is set when a watched key was modified: EXEC then fails.
	dirty atomic.Bool
	// expiresAt holds the expiry times (Unix ms) of the watched keys
	// that were live with a TTL when watched: once one has passed, the
	// key expired since WATCH, which Redis counts as a modification.
	expiresAt []int64
}

// expiredSince reports whether a watched key that was live when watched
// has expired by now (Unix ms).
func (w *watchState) expiredSince(now int64) bool {
	for _, at := range w.expiresAt {
		if at <= now {
			return true
		}
	}
	return false
}

// watch makes c watch key in db (again: no-op).
func (r *watchRegistry) watch(c *client, db int, key []byte) {
	wk := watchKey{db: db, key: string(key)}
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.keys[wk]
	if set == nil {
		set = make(map[*client]struct{})
		r.keys[wk] = set
	}
	if _, dup := set[c]; dup {
		return
	}
	set[c] = struct{}{}
	c.watch.keys = append(c.watch.keys, wk)
	r.n.Add(1)
}

// unwatchAll forgets every key c watches and clears its dirty mark.
func (r *watchRegistry) unwatchAll(c *client) {
	if len(c.watch.keys) > 0 {
		r.mu.Lock()
		for _, wk := range c.watch.keys {
			set := r.keys[wk]
			delete(set, c)
			if len(set) == 0 {
				delete(r.keys, wk)
			}
		}
		r.n.Add(-int64(len(c.watch.keys)))
		r.mu.Unlock()
		clear(c.watch.keys)
		c.watch.keys = c.watch.keys[:0]
		c.watch.expiresAt = c.watch.expiresAt[:0]
	}
	c.watch.dirty.Store(false)
}

// Active implements command.Watches.
func (r *watchRegistry) Active() bool { return r.n.Load() > 0 }

// Touch implements command.Watches: the watchers of key become dirty.
func (r *watchRegistry) Touch(db int, key []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.keys[watchKey{db: db, key: string(key)}] {
		c.watch.dirty.Store(true)
	}
}

// Watched implements command.Watches.
func (r *watchRegistry) Watched(db int) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return keysOfDB(r.keys, db)
}

// keysOfDB returns the keys of db in a registry's key index (WATCH's or
// the blocked clients').
func keysOfDB[V any](keys map[watchKey]V, db int) [][]byte {
	var out [][]byte
	for wk := range keys {
		if wk.db == db {
			out = append(out, []byte(wk.key))
		}
	}
	return out
}
