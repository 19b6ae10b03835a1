package server

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
)

// called accounts one command that ran and took d (measured as
// kiwi_command_duration_seconds measures it): its counters, its latency
// histogram, and, when d reaches their thresholds, the slow log and the
// latency monitor. Each threshold costs one atomic load when it is not
// reached; nothing here takes a lock or allocates then.
func (c *client) called(st *cmdStat, args [][]byte, d time.Duration, failed bool) {
	s := c.s
	st.calls.Add(1)
	us := d.Microseconds()
	st.usec.Add(uint64(max(us, 0)))
	if failed {
		st.failed.Add(1)
	}
	if st.obs != nil {
		st.obs.Observe(d.Seconds())
	}
	if t := s.slowlogThreshold.Load(); t >= 0 && us >= t && st.cmd != nil && st.cmd.Flags&command.SkipSlowlog == 0 {
		c.mu.Lock()
		name := c.name
		c.mu.Unlock()
		s.slowlog.Add(time.Now(), d, args, redaction(st.cmd.Name, args), c.raddr, name)
	}
	if t := s.latencyThreshold.Load(); t > 0 {
		if ms := d.Milliseconds(); ms >= t {
			s.latency.Add(st.latencyEvent, time.Now(), ms)
		}
	}
}

// applyObservability makes the slow log and the latency monitor follow
// the configuration.
func (s *Server) applyObservability(cfg *config.Config) {
	s.slowlogThreshold.Store(int64(cfg.SlowlogLogSlowerThan))
	s.slowlog.SetMaxLen(cfg.SlowlogMaxLen)
	s.latencyThreshold.Store(int64(cfg.LatencyMonitorThreshold))
}

// sensitiveOptions are the options whose CONFIG SET value the slow log
// hides.
var sensitiveOptions = map[string]bool{"requirepass": true}

// redaction returns which arguments of a command the slow log must hide,
// as Redis does (passwords of AUTH, HELLO … AUTH, CONFIG SET requirepass),
// or nil when none.
func redaction(name string, args [][]byte) func(i int) bool {
	var hide []int
	switch name {
	case "auth":
		return func(i int) bool { return i > 0 }
	case "hello":
		for i := 2; i < len(args); i++ {
			more := len(args) - i - 1
			switch opt := strings.ToLower(string(args[i])); {
			case opt == "auth" && more >= 2:
				hide = append(hide, i+1, i+2)
				i += 2
			case opt == "setname" && more >= 1:
				i++
			default:
				i = len(args)
			}
		}
	case "config":
		if len(args) >= 2 && bytes.EqualFold(args[1], []byte("set")) {
			for i := 2; i+1 < len(args); i += 2 {
				if sensitiveOptions[strings.ToLower(string(args[i]))] {
					hide = append(hide, i+1)
				}
			}
		}
	}
	if len(hide) == 0 {
		return nil
	}
	return func(i int) bool {
		for _, h := range hide {
			if h == i {
				return true
			}
		}
		return false
	}
}

func (s *Server) slowlogCommand() netCommand {
	flags := command.Admin | command.Loading | command.Stale
	cats := []string{"@admin", "@slow", "@dangerous"}
	sub := func(name string, arity int, summary, complexity string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "server",
			Summary: summary, Since: "2.2.12", Complexity: complexity, ACLCategories: cats,
			Tips: []string{"request_policy:all_nodes", "nondeterministic_output"}}, run}
	}
	help := sub("help", 2, "Show helpful text about the different subcommands", "O(1)", slowlogHelp)
	help.cmd.Flags, help.cmd.ACLCategories, help.cmd.Tips = command.Loading|command.Stale, []string{"@slow"}, nil
	return container(&command.Command{Name: "slowlog", Arity: -2, Group: "server",
		Summary: "A container for slow log commands.", Since: "2.2.12", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("get", -2, "Returns the slow log's entries.", "O(N) where N is the number of entries returned", slowlogGet),
		sub("len", 2, "Returns the number of entries in the slow log.", "O(1)", slowlogLen),
		sub("reset", 2, "Clears all entries from the slow log.", "O(N) where N is the number of entries in the slowlog", slowlogReset),
		help,
	})
}

func slowlogGet(c *client, args [][]byte) {
	count := int64(10)
	if len(args) > 3 {
		c.replyError("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.")
		return
	}
	if len(args) == 3 {
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil || n < -1 {
			c.replyError("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	entries := c.s.slowlog.Get(int(min(count, int64(^uint(0)>>1))))
	w := c.out
	w.WriteArrayLen(len(entries))
	for _, e := range entries {
		w.WriteArrayLen(6)
		w.WriteInt(e.ID)
		w.WriteInt(e.Time)
		w.WriteInt(e.Micros)
		w.WriteArrayLen(len(e.Args))
		for _, a := range e.Args {
			w.WriteBulk(a)
		}
		w.WriteBulkString(e.Addr)
		w.WriteBulkString(e.Name)
	}
}

func slowlogLen(c *client, _ [][]byte) { c.out.WriteInt(int64(c.s.slowlog.Len())) }

func slowlogReset(c *client, _ [][]byte) {
	c.s.slowlog.Reset()
	c.out.WriteOK()
}

func slowlogHelp(c *client, _ [][]byte) {
	writeHelp(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}

// writeHelp writes a container's HELP reply as Redis formats it.
func writeHelp(c *client, container string, lines ...string) {
	c.out.WriteArrayLen(len(lines) + 3)
	c.out.WriteSimple(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
	c.out.WriteSimple("HELP")
	c.out.WriteSimple("    Prints this help.")
}

func (s *Server) latencyCommand() netCommand {
	flags := command.Admin | command.NoScript | command.Loading | command.Stale
	cats := []string{"@admin", "@slow", "@dangerous"}
	sub := func(name string, arity int, summary string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "server",
			Summary: summary, Since: "2.8.13", Complexity: "O(1)", ACLCategories: cats,
			Tips: []string{"nondeterministic_output", "request_policy:all_nodes", "response_policy:special"}}, run}
	}
	help := sub("help", 2, "Returns helpful text about the different subcommands.", latencyHelp)
	help.cmd.Flags, help.cmd.ACLCategories, help.cmd.Tips = command.Loading|command.Stale, []string{"@slow"}, nil
	return container(&command.Command{Name: "latency", Arity: -2, Group: "server",
		Summary: "A container for latency diagnostics commands.", Since: "2.8.13", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("latest", 2, "Returns the latest latency samples for all events.", latencyLatest),
		sub("history", 3, "Returns timestamp-latency samples for an event.", latencyHistory),
		sub("reset", -2, "Resets the latency data for one or more events.", latencyReset),
		help,
	})
}

func latencyLatest(c *client, _ [][]byte) {
	latest := c.s.latency.Latest()
	w := c.out
	w.WriteArrayLen(len(latest))
	for _, l := range latest {
		w.WriteArrayLen(4)
		w.WriteBulkString(l.Event)
		w.WriteInt(l.Time)
		w.WriteInt(l.Millis)
		w.WriteInt(l.Max)
	}
}

func latencyHistory(c *client, args [][]byte) {
	samples := c.s.latency.History(string(args[2]))
	w := c.out
	w.WriteArrayLen(len(samples))
	for _, sm := range samples {
		w.WriteArrayLen(2)
		w.WriteInt(sm.Time)
		w.WriteInt(sm.Millis)
	}
}

func latencyReset(c *client, args [][]byte) {
	events := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		events = append(events, string(a))
	}
	c.out.WriteInt(int64(c.s.latency.Reset(events...)))
}

func latencyHelp(c *client, _ [][]byte) {
	writeHelp(c, "LATENCY",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
	)
}
