// Package slowlog is Kiwi's slow log: a bounded, newest-first record of the
// commands that took at least slowlog-log-slower-than microseconds, as
// Redis's SLOWLOG reports them.
//
// The caller (the network runtime) compares a command's duration with the
// threshold itself, with one atomic load, and calls Add only for the
// commands to record, so the common case takes no lock and allocates
// nothing. Add copies and truncates the arguments as Redis does (at most
// MaxArgs arguments, each at most MaxArgLen bytes), so an entry never
// holds more than a few kilobytes and the log at most maxLen entries.
package slowlog

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Redis's limits on what one entry keeps of a command's arguments
// (SLOWLOG_ENTRY_MAX_ARGC, SLOWLOG_ENTRY_MAX_STRING).
const (
	MaxArgs   = 32
	MaxArgLen = 128
)

// Redacted replaces an argument that must not be shown (a password).
const Redacted = "(redacted)"

// Entry is one logged command.
type Entry struct {
	// ID is unique and increasing; SLOWLOG RESET does not restart it.
	ID int64
	// Time is when the command finished, in Unix seconds.
	Time int64
	// Micros is the command's duration in microseconds.
	Micros int64
	// Args are the command and its arguments, truncated (see Truncate).
	Args [][]byte
	// Addr is the client's address, Name its name ("" if none).
	Addr, Name string
}

// Log is a bounded slow log, safe for concurrent use.
type Log struct {
	maxLen atomic.Int64

	mu sync.Mutex
	// ring holds the entries; once it has maxLen of them it is used as a
	// ring whose oldest entry is at head. Before that head is 0 and the
	// entries are in order.
	ring   []Entry
	head   int
	nextID int64
}

// New returns an empty log that keeps at most maxLen entries.
func New(maxLen int) *Log {
	l := &Log{}
	l.maxLen.Store(int64(max(maxLen, 0)))
	return l
}

// SetMaxLen changes the most entries kept, dropping the oldest at once if
// there are more.
func (l *Log) SetMaxLen(n int) {
	n = max(n, 0)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxLen.Store(int64(n))
	ordered := l.ordered()
	if len(ordered) > n {
		ordered = ordered[len(ordered)-n:]
	}
	l.ring = append([]Entry(nil), ordered...)
	l.head = 0
}

// MaxLen returns the most entries kept.
func (l *Log) MaxLen() int { return int(l.maxLen.Load()) }

// ordered returns the entries oldest first (sharing l.ring when it is in
// order). l.mu must be held.
func (l *Log) ordered() []Entry {
	if l.head == 0 {
		return l.ring
	}
	out := make([]Entry, 0, len(l.ring))
	out = append(out, l.ring[l.head:]...)
	return append(out, l.ring[:l.head]...)
}

// Add records a command that finished at now after d. args are copied
// (truncated as Truncate does); redact, if not nil, reports the argument
// positions to show as Redacted instead. With a maximum length of 0
// nothing is recorded.
func (l *Log) Add(now time.Time, d time.Duration, args [][]byte, redact func(i int) bool, addr, name string) {
	if l.maxLen.Load() == 0 {
		return
	}
	e := Entry{Time: now.Unix(), Micros: d.Microseconds(), Args: Truncate(args, redact), Addr: addr, Name: name}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(l.maxLen.Load()) // SetMaxLen changes it only under mu
	if n == 0 {
		return
	}
	e.ID = l.nextID
	l.nextID++
	if len(l.ring) < n {
		l.ring = append(l.ring, e)
		return
	}
	l.ring[l.head] = e
	l.head = (l.head + 1) % len(l.ring)
}

// Get returns up to count entries, newest first; count < 0 returns all.
func (l *Log) Get(count int) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.ring)
	if count < 0 || count > n {
		count = n
	}
	out := make([]Entry, count)
	for i := range out {
		out[i] = l.ring[(l.head+n-1-i)%n]
	}
	return out
}

// Len returns the number of entries.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ring)
}

// Reset removes every entry. IDs keep increasing, as in Redis.
func (l *Log) Reset() {
	l.mu.Lock()
	l.ring, l.head = nil, 0
	l.mu.Unlock()
}

// Truncate returns a copy of args as a slow log entry keeps them: when
// there are more than MaxArgs, the first MaxArgs-1 and then
// "... (N more arguments)"; each argument longer than MaxArgLen bytes cut
// to its first MaxArgLen bytes followed by "... (N more bytes)". Positions
// for which redact reports true become Redacted.
func Truncate(args [][]byte, redact func(i int) bool) [][]byte {
	n := min(len(args), MaxArgs)
	out := make([][]byte, n)
	for i := range n {
		a := args[i]
		switch {
		case n < len(args) && i == n-1:
			out[i] = fmt.Appendf(nil, "... (%d more arguments)", len(args)-n+1)
		case redact != nil && redact(i):
			out[i] = []byte(Redacted)
		case len(a) > MaxArgLen:
			out[i] = fmt.Appendf(append([]byte(nil), a[:MaxArgLen]...), "... (%d more bytes)", len(a)-MaxArgLen)
		default:
			out[i] = append([]byte(nil), a...)
		}
	}
	return out
}
