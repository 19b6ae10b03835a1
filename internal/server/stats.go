package server

import (
	"net"
	"slices"
	"strings"
	"sync/atomic"

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
	name   string
	calls  atomic.Uint64
	errors atomic.Uint64
	obs    Observer // nil: latency not observed
}

// observe counts one call of the command that took seconds (negative: not
// timed) and failed or not.
func (st *cmdStat) observe(seconds float64, failed bool) {
	if failed {
		st.errors.Add(1)
	}
	if st.obs != nil && seconds >= 0 {
		st.obs.Observe(seconds)
	}
}

// CommandStats are one command's cumulative counters.
type CommandStats struct {
	// Name is the lower-case command name, or OtherCommand.
	Name string
	// Calls counts the calls received, Errors those answered with an error.
	Calls, Errors uint64
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
		st.PerCommand[i] = CommandStats{Name: cs.name, Calls: cs.calls.Load(), Errors: cs.errors.Load()}
	}
	return st
}

// initCommandStats resolves one cmdStat (and latency observer) per command
// of the table plus OtherCommand. newObserver may be nil.
func (s *Server) initCommandStats(newObserver func(command string) Observer) {
	mk := func(name string) *cmdStat {
		st := &cmdStat{name: name}
		if newObserver != nil {
			st.obs = newObserver(name)
		}
		s.cmdList = append(s.cmdList, st)
		return st
	}
	cmds := s.table.All()
	s.cmdStats = make(map[*command.Command]*cmdStat, len(cmds))
	for _, c := range cmds {
		s.cmdStats[c] = mk(c.Name)
	}
	s.otherStat = mk(OtherCommand)
	slices.SortFunc(s.cmdList, func(a, b *cmdStat) int { return strings.Compare(a.name, b.name) })
}

// cmdStat returns the counters of cmd (nil: an unknown command).
// totalCommands is the number of commands received: the sum of the
// per-command call counts (unknown commands are counted as "other").
func (s *Server) totalCommands() uint64 {
	var n uint64
	for _, cs := range s.cmdList {
		n += cs.calls.Load()
	}
	return n
}

func (s *Server) cmdStat(cmd *command.Command) *cmdStat {
	if cmd == nil {
		return s.otherStat
	}
	if st := s.cmdStats[cmd]; st != nil {
		return st
	}
	return s.otherStat
}
