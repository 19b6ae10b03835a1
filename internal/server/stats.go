package server

import (
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/slots"
)

// OtherCommand is the command name under which calls to unknown commands are
// counted, so that the per-command label set stays bounded.
const OtherCommand = "other"

// Observer receives one latency sample in seconds (prometheus.Observer
// satisfies it).
type Observer interface{ Observe(seconds float64) }

// cmdStat is one command's counters, resolved once in New so that the hot
// path does no allocation and no name lookups.
type cmdStat struct {
	name string
	// cmd is the command (nil for otherStat).
	cmd *command.Command
	// calls counts the calls that ran (Redis's commandstats calls),
	// rejected those refused before running (unknown command, arity,
	// NOAUTH), failed those that ran and replied with an error. usec is
	// the time charged to the calls that ran, in microseconds.
	calls, rejected, failed, usec atomic.Uint64
	obs                           Observer // nil: latency not observed
	// latencyEvent is the latency monitor event of the command.
	latencyEvent string

	// base is the value of the counters at the last CONFIG RESETSTAT,
	// subtracted by INFO commandstats. Guarded by Server.baseMu.
	base cmdCounts
}

// cmdCounts are the counters of one command at one moment.
type cmdCounts struct {
	calls, rejected, failed, usec uint64
}

func (st *cmdStat) load() cmdCounts {
	return cmdCounts{st.calls.Load(), st.rejected.Load(), st.failed.Load(), st.usec.Load()}
}

// reject counts one call refused before it ran.
func (st *cmdStat) reject() { st.rejected.Add(1) }

// CommandStats are one command's cumulative counters.
type CommandStats struct {
	// Name is the lower-case command name, or OtherCommand.
	Name string
	// Calls counts the calls received, Errors those answered with an error.
	// Calls = Ran + Rejected; Errors = Failed + Rejected.
	Calls, Errors uint64
	// Ran counts the calls that ran, Rejected those refused before running
	// (unknown command, wrong arity, NOAUTH), Failed those that ran and
	// replied with an error.
	Ran, Rejected, Failed uint64
	// Time is the total time charged to the calls that ran, measured as
	// kiwi_command_duration_seconds measures it.
	Time time.Duration
}

// Stats is a snapshot of the network runtime's state and cumulative
// counters.
type Stats struct {
	// Serving reports whether the accept loop is running.
	Serving bool
	// Addr is the listening address (nil before Serve).
	Addr net.Addr
	// ConnectedClients is the number of open client connections.
	ConnectedClients int
	// ConnectionsAccepted counts accepted connections (including those
	// then refused); ConnectionsRejected those refused at maxclients.
	ConnectionsAccepted, ConnectionsRejected uint64
	// Commands counts every command received; ErrorReplies every error
	// reply sent.
	Commands, ErrorReplies uint64
	// NetInputBytes and NetOutputBytes count the bytes read and written.
	NetInputBytes, NetOutputBytes uint64
	// Slots is the network-stage slot pool.
	Slots slots.Stats
	// PerCommand holds every command of the table plus OtherCommand,
	// sorted by name.
	PerCommand []CommandStats
	// BlockedClients is the number of clients blocked in BLPOP & co.
	BlockedClients int64
	// PubSub holds the Pub/Sub registry sizes and output-limit
	// disconnections.
	PubSub PubSubStats
}

// Serving reports whether the accept loop runs, and the address it listens
// on (admin health probes dial it).
func (s *Server) Serving() (bool, net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil || s.closing {
		return false, nil
	}
	return s.serving.Load(), s.ln.Addr()
}

// Stats returns a snapshot of the network runtime's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Serving:             s.serving.Load(),
		BlockedClients:      s.blocked.blockedClients(),
		PubSub:              s.PubSubStats(),
		ConnectionsAccepted: uint64(s.stats.connsReceived.Load()),
		ConnectionsRejected: uint64(s.stats.connsRejected.Load()),
		Commands:            s.totalCommands(),
		ErrorReplies:        uint64(s.stats.errorReplies.Load()),
		NetInputBytes:       uint64(s.stats.netInput.Load()),
		NetOutputBytes:      uint64(s.stats.netOutput.Load()),
		Slots:               s.slots.Stats(),
		PerCommand:          make([]CommandStats, len(s.cmdList)),
	}
	s.mu.Lock()
	st.ConnectedClients = len(s.clients)
	if s.ln != nil {
		st.Addr = s.ln.Addr()
	}
	s.mu.Unlock()
	for i, cs := range s.cmdList {
		n := cs.load()
		st.PerCommand[i] = CommandStats{Name: cs.name, Calls: n.calls + n.rejected, Errors: n.failed + n.rejected,
			Ran: n.calls, Rejected: n.rejected, Failed: n.failed, Time: time.Duration(n.usec) * time.Microsecond}
	}
	return st
}

// initCommandStats resolves one cmdStat (and latency observer) per command
// of the table plus OtherCommand. newObserver may be nil.
func (s *Server) initCommandStats(newObserver func(command string) Observer) {
	mk := func(name string) *cmdStat {
		st := &cmdStat{name: name, latencyEvent: "command"}
		if newObserver != nil {
			st.obs = newObserver(name)
		}
		s.cmdList = append(s.cmdList, st)
		return st
	}
	cmds := s.table.All()
	s.cmdStats = make(map[*command.Command]*cmdStat, len(cmds))
	for _, c := range cmds {
		st := mk(c.Name)
		st.cmd = c
		if c.Flags&command.Fast != 0 {
			st.latencyEvent = "fast-command"
		}
		s.cmdStats[c] = st
	}
	s.otherStat = mk(OtherCommand)
	slices.SortFunc(s.cmdList, func(a, b *cmdStat) int { return strings.Compare(a.name, b.name) })
}

// totalCommands is the number of commands received: the sum of the
// per-command counts of calls run and rejected (unknown commands are
// counted as "other").
func (s *Server) totalCommands() uint64 {
	var n uint64
	for _, cs := range s.cmdList {
		n += cs.calls.Load() + cs.rejected.Load()
	}
	return n
}

// cmdStat returns the counters of cmd (nil: an unknown command).
func (s *Server) cmdStat(cmd *command.Command) *cmdStat {
	if cmd == nil {
		return s.otherStat
	}
	if st := s.cmdStats[cmd]; st != nil {
		return st
	}
	return s.otherStat
}
