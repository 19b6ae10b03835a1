// Package command is the contract between the network runtime and the
// command implementations: a Command describes one Redis command (name,
// arity, flags, key positions, documentation) and, for commands that touch
// the keyspace, the handler that runs it inside the storage runtime.
//
// Commands that need no storage (PING, AUTH, CLIENT, ...) are described here
// too, so that arity checks, COMMAND INFO and COMMAND DOCS treat every
// command alike, but their handlers live in the network runtime (package
// server) and Run is nil.
package command

import (
	"strings"
)

// Flags describe how a command is routed and what it may do.
type Flags uint32

// Command flags. Names follow Redis's COMMAND INFO flags where one exists.
const (
	// Write commands may modify the keyspace; they run on the applier.
	Write Flags = 1 << iota
	// ReadOnly commands only read the keyspace; they run on read workers.
	ReadOnly
	// Network commands are answered by the network runtime and never reach
	// storage.
	Network
	// Admin commands are administrative (CONFIG, SHUTDOWN, ...).
	Admin
	// Fast commands run in O(1) or O(log N).
	Fast
	// NoAuth commands are allowed before AUTH.
	NoAuth
	// Loading commands are allowed while the dataset loads.
	Loading
	// Stale commands are allowed on a stale replica.
	Stale
	// DenyOOM commands may be refused when memory is short.
	DenyOOM
	// NoScript commands are refused inside scripts.
	NoScript
	// SkipSlowlog commands are never logged to the slow log.
	SkipSlowlog
	// AllowBusy commands are allowed while a script runs.
	AllowBusy
	// NoMulti commands are refused inside MULTI.
	NoMulti
	// MovableKeys commands find their keys by parsing their arguments
	// (a numkeys argument: SINTERCARD, ZUNION, LMPOP...); FirstKey,
	// LastKey and KeyStep are then 0, as in Redis's COMMAND INFO.
	MovableKeys
	// Blocking commands may wait for data (BLPOP...): the network runtime
	// runs each alone and waits between attempts (see Ctx.Block).
	Blocking
	// PubSub commands belong to Pub/Sub (SUBSCRIBE, PUBLISH...).
	PubSub
	// NoAsyncLoading commands are refused while a dataset loads
	// asynchronously (Redis's flag; reported by COMMAND INFO only).
	NoAsyncLoading
	// SkipMonitor commands are not shown to MONITOR (Redis's flag;
	// reported by COMMAND INFO only).
	SkipMonitor
	// NoMandatoryKeys commands may be called without keys although they
	// take some (Redis's flag; reported by COMMAND INFO only).
	NoMandatoryKeys
	// Atomic commands run on the applier like Write commands although
	// they are not flagged write: scripts (EVAL, EVAL_RO...), which must
	// run as one step against the keyspace. Kiwi's own flag, not reported
	// by COMMAND INFO.
	Atomic
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"}, {PubSub, "pubsub"},
	{NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"}, {Stale, "stale"}, {SkipMonitor, "skip_monitor"},
	{SkipSlowlog, "skip_slowlog"}, {Fast, "fast"}, {NoAuth, "no_auth"}, {NoMandatoryKeys, "no_mandatory_keys"},
	{NoAsyncLoading, "no_async_loading"}, {NoMulti, "no_multi"},
	{MovableKeys, "movablekeys"}, {AllowBusy, "allow_busy"},
}

// Names returns the Redis names of the flags, in COMMAND INFO order.
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Command describes one Redis command.
type Command struct {
	// Name is the lower-case command name.
	Name string
	// Arity is Redis's arity: n > 0 means exactly n arguments including the
	// name, n < 0 means at least -n.
	Arity int
	Flags Flags
	// FirstKey, LastKey and KeyStep give the key positions as in COMMAND
	// INFO (LastKey -1 means the last argument). Zero FirstKey: no keys.
	FirstKey, LastKey, KeyStep int
	// Group is the COMMAND DOCS group ("string", "generic", "server", ...).
	Group string
	// Summary, Since and Complexity feed COMMAND DOCS.
	Summary, Since, Complexity string
	// ACLCategories are the COMMAND INFO categories ("@string", "@fast", ...).
	ACLCategories []string
	// Tips are COMMAND INFO's command tips ("nondeterministic_output", ...).
	Tips []string
	// Subcommands are the container's subcommands (CONFIG GET, ...).
	Subcommands []*Command
	// Keys returns the key arguments of a MovableKeys command (nil for
	// the others, whose keys FirstKey, LastKey and KeyStep give).
	Keys func(args [][]byte) [][]byte
	// Run executes the command against the keyspace. It is nil for Network
	// commands. Run writes exactly one reply to c.Out and reports failure
	// with c.Error or c.Fail; it may panic only on bugs (the caller turns
	// a panic into an error reply for this command alone).
	Run func(c *Ctx)
}

// CheckArity reports whether argc (including the name) fits the arity.
func (c *Command) CheckArity(argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// KeyArgs returns the arguments of args (a call of c, name included) that
// are keys.
func (c *Command) KeyArgs(args [][]byte) [][]byte {
	if c.Keys != nil {
		return c.Keys(args)
	}
	if c.FirstKey <= 0 || c.FirstKey >= len(args) {
		return nil
	}
	last := c.LastKey
	if last < 0 {
		last += len(args)
	}
	last = min(last, len(args)-1)
	step := max(c.KeyStep, 1)
	keys := make([][]byte, 0, (last-c.FirstKey)/step+1)
	for i := c.FirstKey; i <= last; i += step {
		keys = append(keys, args[i])
	}
	return keys
}

// NumKeysAt returns the Keys function of a command whose argument pos is a
// key count followed by that many keys (SINTERCARD numkeys key..., LMPOP,
// ZUNION...), with extra more fixed keys first (the destination of
// ZUNIONSTORE: pos 2, extra 1). A bad count gives no keys: the command
// rejects it anyway.
func NumKeysAt(pos, extra int) func(args [][]byte) [][]byte {
	return func(args [][]byte) [][]byte {
		if pos >= len(args) {
			return nil
		}
		n := 0
		for _, ch := range args[pos] {
			if ch < '0' || ch > '9' || n > len(args) {
				return nil
			}
			n = n*10 + int(ch-'0')
		}
		if n <= 0 || pos+1+n > len(args) {
			return nil
		}
		keys := append([][]byte(nil), args[pos-extra:pos]...)
		return append(keys, args[pos+1:pos+1+n]...)
	}
}

// IsWrite reports whether the command may modify the keyspace: it has the
// Write flag, or it is a container with a subcommand that has it (XGROUP,
// whose own COMMAND INFO flags are empty as in Redis).
func (c *Command) IsWrite() bool {
	if c.Flags&Write != 0 {
		return true
	}
	for _, s := range c.Subcommands {
		if s.Flags&Write != 0 {
			return true
		}
	}
	return false
}

// OnApplier reports whether the command must run on the applier: writes
// (IsWrite: a container with a writing subcommand too) and Atomic
// commands.
func (c *Command) OnApplier() bool { return c.IsWrite() || c.Flags&Atomic != 0 }

// Table is the set of commands a server knows, looked up by name
// case-insensitively. A Table is built once at start and then only read,
// so it is safe for concurrent lookups.
type Table struct {
	byName map[string]*Command
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{byName: make(map[string]*Command)} }

// Add registers commands; a name registered twice panics (a programming
// error caught at start-up).
func (t *Table) Add(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := t.byName[c.Name]; dup {
			panic("command: duplicate command " + c.Name)
		}
		t.byName[c.Name] = c
	}
}

// Lookup returns the command named name (any case), or nil.
func (t *Table) Lookup(name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return t.byName[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return t.byName[string(buf[:len(name)])]
}

// All returns every command in the table, in no particular order.
func (t *Table) All() []*Command {
	out := make([]*Command, 0, len(t.byName))
	for _, c := range t.byName {
		out = append(out, c)
	}
	return out
}

// Len returns the number of commands.
func (t *Table) Len() int { return len(t.byName) }
