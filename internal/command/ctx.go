package command

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
	"github.com/kiwidb/kiwi/internal/resp"
)

// Redis error replies shared by many commands, byte-identical to Redis 7.
const (
	ErrSyntax        = "ERR syntax error"
	ErrNotInteger    = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNoSuchKey     = "ERR no such key"
	ErrOutOfRange    = "ERR index out of range"
	ErrNotFloatIncr  = "ERR increment would produce NaN or Infinity"
	ErrBitOffset     = "ERR bit offset is not an integer or out of range"
	ErrBitValue      = "ERR bit is not an integer or out of range"
	ErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
)

// WrongArgs returns the arity error for command name, as Redis words it.
func WrongArgs(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

// Ctx is what a handler sees: the arguments, the selected database, the
// request time, the transaction to run against and the reply writer.
type Ctx struct {
	// Args are the command's arguments; Args[0] is the name as sent. The
	// slices belong to the connection's read buffer: copy what you keep
	// beyond Run (the keyspace copies what it stores).
	Args [][]byte
	// DB is the selected database.
	DB int
	// Now is the request time in Unix milliseconds, fixed for the whole
	// request so every command of a pipeline (and every replica) agrees.
	Now int64
	// Tx is the transaction: read-only for ReadOnly commands.
	Tx *keyspace.Tx
	// Out receives the reply.
	Out *resp.Writer
	// Cmd is the command being run.
	Cmd *Command
	// MaxBulk is the largest string value a command may create
	// (proto-max-bulk-len).
	MaxBulk int64
	// Watches is the batch's (may be nil).
	Watches Watches
	// NoBlock is set when a Blocking command must not wait (inside
	// MULTI/EXEC): it then answers as if its timeout expired at once.
	NoBlock bool
	// Retry is set when a Blocking command runs again after it blocked
	// (woken by a write to one of its keys, or re-attempted).
	Retry bool
	// StreamLimits are stream-node-max-entries and stream-node-max-bytes.
	StreamLimits keyspace.StreamLimits
	// blocked is set by Block; blockFor is its timeout; retryArgs the
	// arguments to run again with (nil: the same).
	blocked   bool
	blockFor  time.Duration
	retryArgs [][]byte
	// modified, when modifiedSet, replaces the key arguments as the keys
	// the command reports to Watches (see Modified).
	modified    [][]byte
	modifiedSet bool

	failed bool
	// kept is set by ErrorKeepWrites: an error reply, writes kept.
	kept bool
	// touched: a command run through Call reported keys (blocked
	// clients are served after this command).
	touched bool
	// fault is the storage error given to Fail (logged by Batch once the
	// command's failure stands).
	fault error
	// logger is the batch's Logger (for the commands run through Call).
	logger *slog.Logger
}

// Watches is where write commands report the keys they modified: the
// network runtime implements it for WATCH and for the clients blocked on
// keys. Its methods are called on the storage goroutine that runs the
// write, in commit order, so a watcher is marked, and a blocked client
// served, before any later command runs.
type Watches interface {
	// Active reports whether any key is watched or waited on (the fast
	// path: nothing else is called when it is false).
	Active() bool
	// Touch reports that a write command modified key in db.
	Touch(db int, key []byte)
	// Watched returns the keys watched or waited on (blocked clients) in
	// db, for FLUSHDB, FLUSHALL and SWAPDB to touch those that exist (a
	// touched waited key may serve its clients now).
	Watched(db int) [][]byte
	// Serve runs, in tx, the commands of the clients blocked on the keys
	// touched so far, as Redis serves blocked clients after each command
	// (after a whole EXEC). It is called after every write command that
	// touched a key and must tolerate being called again from inside the
	// commands it runs.
	Serve(tx *keyspace.Tx)
}

// Error writes an error reply and marks the command failed: its writes are
// discarded.
func (c *Ctx) Error(msg string) {
	c.failed = true
	c.Out.WriteError(msg)
}

// ErrorKeepWrites writes an error reply but, unlike Error, keeps what the
// command wrote: a script that fails after some writes (Redis does not roll
// scripts back).
func (c *Ctx) ErrorKeepWrites(msg string) {
	c.kept = true
	c.Out.WriteError(msg)
}

// Call runs another command as part of this one, as a script's redis.call
// does: in its own child of c.Tx (like every command of a batch: a failing
// command leaves none of its writes), in database db, at c's request time,
// with its reply written to out. Blocking commands answer at once
// (NoBlock), and the clients blocked on the keys it writes are served only
// after this command has finished. cmd must be a storage command (Run set).
// It returns the call, Failed set when the reply is an error.
func (c *Ctx) Call(cmd *Command, args [][]byte, db int, out *resp.Writer) Call {
	b := Batch{Calls: []Call{{Cmd: cmd, Args: args}}, DB: db, Now: c.Now, MaxBulk: c.MaxBulk, Out: out,
		Logger: c.logger, Watches: c.Watches, NoBlock: true, nested: true}
	b.Run(c.Tx)
	if b.touched {
		c.touched = true
	}
	return b.Calls[0]
}

// Fail reports an unexpected (storage) error as an error reply and marks the
// command failed. Unlike the client's errors (Error), it is a server-side
// fault: the Batch logs it (Batch.Logger), unless the command is run
// again because its read view went stale.
func (c *Ctx) Fail(err error) {
	c.fault = err
	c.Error("ERR " + err.Error())
}

// touch reports key as modified although the command may have written
// nothing (Redis signals some no-op writes, e.g. LTRIM, to WATCH).
func (c *Ctx) touch(key []byte) {
	if w := c.Watches; w != nil && w.Active() {
		w.Touch(c.DB, key)
	}
}

// Notify emits the keyspace notification event of class about key in the
// command's database, as Redis's notifyKeyspaceEvent. The event is
// published only if the command succeeds and its writes commit, and only
// when notify-keyspace-events selects class (a cheap check otherwise).
func (c *Ctx) Notify(class notify.Class, event string, key []byte) {
	c.Tx.Emit(class, event, c.DB, key)
}

// notifyRemoval emits the event of a command that removed elements from
// the collection at key, then its "del" event if that removed the last
// element (Redis deletes empty collections and says so after the
// command's own event). The existence check runs only when "del" is
// wanted.
func (c *Ctx) notifyRemoval(class notify.Class, event string, key []byte) {
	c.Notify(class, event, key)
	if !c.Tx.Notifies(notify.Generic) {
		return
	}
	if ok, err := c.Tx.Exists(c.DB, key, c.Now); err == nil && !ok {
		c.Notify(notify.Generic, "del", key)
	}
}

// existsForEvent reports whether key exists now, for a STORE command that
// must know whether its empty result deleted an existing destination
// (the "del" event). It reads only when that event is wanted.
func (c *Ctx) existsForEvent(key []byte) bool {
	if !c.Tx.Notifies(notify.Generic) {
		return false
	}
	ok, err := c.Tx.Exists(c.DB, key, c.Now)
	return err == nil && ok
}

// notifyStored emits the events of a STORE command that wrote n elements
// to dst: event (of class), or "del" when the empty result deleted dst,
// which existed before (existsForEvent).
func (c *Ctx) notifyStored(class notify.Class, event string, dst []byte, n int64, existed bool) {
	switch {
	case n > 0:
		c.Notify(class, event, dst)
	case existed:
		c.Notify(notify.Generic, "del", dst)
	}
}

// NotifyDB is Notify for a key of another database (MOVE, COPY ... DB).
func (c *Ctx) NotifyDB(class notify.Class, event string, db int, key []byte) {
	c.Tx.Emit(class, event, db, key)
}

// Modified narrows the keys a successful write reports as modified (to
// WATCH and to blocked clients) to keys, instead of every key argument:
// for commands that may leave one of their keys untouched, as SMOVE does
// with a destination that already holds the member (Redis signals only
// the keys it changed).
func (c *Ctx) Modified(keys ...[]byte) {
	c.modified, c.modifiedSet = keys, true
}

// Block reports that a Blocking command found no data and wants to wait
// up to timeout (0: forever) before it is run again. It writes no reply
// and nothing the command did stays. Handlers call it only when NoBlock
// is false.
func (c *Ctx) Block(timeout time.Duration) {
	c.blocked, c.blockFor = true, timeout
}

// BlockWith is Block for a command that must run again with other
// arguments than it was called with: XREAD resolves "$" to the stream's
// last ID at its first attempt, as Redis does when it blocks. args must
// not alias the call's arguments (which belong to the connection's read
// buffer).
func (c *Ctx) BlockWith(timeout time.Duration, args [][]byte) {
	c.Block(timeout)
	c.retryArgs = args
}

// Failed reports whether Error or Fail was called.
func (c *Ctx) Failed() bool { return c.failed }

// Call is one parsed command ready to run.
type Call struct {
	Cmd  *Command
	Args [][]byte
	// Failed is set when the call's reply is an error (per-command error
	// counters read it after the batch ran).
	Failed bool
	// Blocked is set when a Blocking command found no data (Ctx.Block):
	// it wrote no reply and must run again after a key event or its
	// BlockTimeout (0: none), with RetryArgs if set (Ctx.BlockWith).
	Blocked      bool
	BlockTimeout time.Duration
	RetryArgs    [][]byte
	// Retry is set by the caller when the call runs again after it
	// blocked (Ctx.Retry).
	Retry bool
}

// Batch is a run of consecutive storage commands from one connection. It is
// executed in order within one storage request (read worker or applier),
// each command in its own child transaction, so a failing command never
// leaves half of its writes behind and never affects its neighbours.
type Batch struct {
	Calls   []Call
	DB      int
	Now     int64
	MaxBulk int64
	Out     *resp.Writer
	// Logger receives the server-side faults of the batch's commands, at
	// Error: panics recovered from handlers, and storage errors (Ctx.Fail,
	// a view that could not be pinned). Client errors (Ctx.Error) are not
	// logged. Nil discards them.
	Logger *slog.Logger
	// Errors counts the error replies the batch produced (INFO's
	// total_error_replies).
	Errors int
	// Watches, if set, is told about every key a write command of the
	// batch modified (WATCH).
	Watches Watches
	// NoBlock makes Blocking commands answer at once (MULTI/EXEC).
	NoBlock bool
	// nested: the batch runs for Ctx.Call, inside another command, which
	// serves the blocked clients once it has finished.
	nested bool
	// StreamLimits are the configuration's stream node sizes
	// (Ctx.StreamLimits; 0 means no limit, as in Redis).
	StreamLimits keyspace.StreamLimits
	// Network runs the calls of Network commands (Cmd.Run nil), which a
	// batch holds only for MULTI/EXEC: it writes the reply, sets
	// call.Failed on an error reply, and may change DB (SELECT).
	Network func(b *Batch, call *Call)

	ran bool
	// touched: a write command reported keys since the last Serve.
	touched bool
	start   int // Out.Len() when Run began
	ctx     Ctx // the running call's context (see exec)
}

// Reset empties the batch for reuse, keeping the Calls capacity.
func (b *Batch) Reset() {
	clear(b.Calls)
	b.Calls = b.Calls[:0]
	b.ran, b.start, b.Errors = false, 0, 0
	b.NoBlock = false
}

// HasWrite reports whether any call may write (then the batch goes to the
// applier whole).
func (b *Batch) HasWrite() bool {
	for i := range b.Calls {
		if b.Calls[i].Cmd.OnApplier() {
			return true
		}
	}
	return false
}

// Run executes every call against tx, appending one reply per call to Out.
func (b *Batch) Run(tx *keyspace.Tx) {
	b.ran, b.start = true, b.Out.Len()
	b.touched = false
	for i := range b.Calls {
		b.runOne(tx, &b.Calls[i])
		if b.touched && !b.NoBlock {
			b.touched = false
			b.Watches.Serve(tx)
		}
	}
	if b.touched && !b.nested { // after a whole EXEC
		b.touched = false
		b.Watches.Serve(tx)
	}
}

func (b *Batch) runOne(tx *keyspace.Tx, call *Call) {
	if call.Cmd.Run == nil {
		b.Network(b, call) // counts its own error replies
		return
	}
	mark := b.Out.Len()
	if b.exec(tx, call, mark, false) {
		// A read command's view changed under it (keyspace.ErrStaleRead):
		// nothing it replied counts. Run it again on a pinned view,
		// which cannot go stale.
		b.Out.Truncate(mark)
		b.exec(tx, call, mark, true)
	}
}

// exec runs call in a child of tx and merges or discards the child. It
// reports whether the child's read view went stale (then the reply
// written since mark must be dropped and the call run again, pinned).
func (b *Batch) exec(tx *keyspace.Tx, call *Call, mark int, pin bool) (stale bool) {
	child := tx.Begin()
	if pin {
		if err := child.Pin(); err != nil {
			child.Discard()
			b.Errors++
			call.Failed = true
			b.Out.WriteError("ERR " + err.Error())
			b.logFault(call, "pin", err)
			return false
		}
	}
	// The Ctx lives in the Batch so that handing it to the handler does
	// not allocate.
	b.ctx = Ctx{Args: call.Args, DB: b.DB, Now: b.Now, Tx: child, Out: b.Out, Cmd: call.Cmd, MaxBulk: b.MaxBulk,
		Watches: b.Watches, NoBlock: b.NoBlock, logger: b.Logger, Retry: call.Retry, StreamLimits: b.StreamLimits}
	c := &b.ctx
	defer func() {
		if r := recover(); r != nil {
			// A handler may trip over what a stale view returned: run
			// it again like any stale command (a real bug panics again).
			stale = child.Stale()
			child.Discard()
			b.Out.Truncate(mark)
			if stale {
				b.ctx = Ctx{}
				return
			}
			b.Errors++
			call.Failed = true
			b.Out.WriteError(fmt.Sprintf("ERR internal error in '%s': %v", call.Cmd.Name, r))
			if b.Logger != nil {
				b.Logger.Error("command panicked", "op", "run", "command", call.Cmd.Name, "db", b.DB,
					"panic", r, "stack", string(debug.Stack()))
			}
		}
		b.ctx = Ctx{}
	}()
	call.Cmd.Run(c)
	switch {
	case child.Stale():
		child.Discard()
		return true
	case c.blocked:
		b.Out.Truncate(mark)
		child.Discard()
		call.Blocked, call.BlockTimeout, call.RetryArgs = true, c.blockFor, c.retryArgs
	case c.failed:
		b.Errors++
		call.Failed = true
		child.Discard()
		if c.fault != nil {
			b.logFault(call, "run", c.fault)
		}
	default:
		if c.kept {
			b.Errors++
			call.Failed = true
		}
		if c.touched {
			b.touched = true
		}
		if w := b.Watches; w != nil && call.Cmd.IsWrite() && child.Pending() > 0 && w.Active() {
			keys := c.modified
			if !c.modifiedSet {
				keys = call.Cmd.KeyArgs(call.Args)
			}
			for _, k := range keys {
				w.Touch(b.DB, k)
			}
			b.touched = true
		}
		child.Merge()
	}
	return false
}

// logFault logs a storage error that failed call (op: what failed).
func (b *Batch) logFault(call *Call, op string, err error) {
	if b.Logger == nil {
		return
	}
	args := []any{"op", op, "command", call.Cmd.Name, "db", b.DB}
	if keys := call.Cmd.KeyArgs(call.Args); len(keys) > 0 {
		args = append(args, "key", string(keys[0]))
	}
	b.Logger.Error("command failed on a storage error", append(args, "err", err)...)
}

// FailAll replaces the batch's replies with one error reply per call: used
// when the commit group holding this batch could not be committed, so
// nothing it wrote exists, or when the batch was never run (deadline passed,
// storage unavailable). Replies written to Out before the batch are kept.
func (b *Batch) FailAll(msg string) {
	if b.ran {
		b.Out.Truncate(b.start)
	}
	for i := range b.Calls {
		b.Calls[i].Failed = true
		b.Out.WriteError(msg)
	}
	b.Errors = len(b.Calls)
}
