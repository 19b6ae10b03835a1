package server

import (
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/resp"
	"github.com/kiwidb/kiwi/internal/script"
)

// Scripting (docs/scripting.md). EVAL, EVALSHA, EVAL_RO and EVALSHA_RO
// are storage commands: package script runs them on the applier, one
// script at a time, as one step against the keyspace. The network side is
// here: SCRIPT, the Lua client that runs the network commands a script
// calls (PING, SELECT, PUBLISH...), and the BUSY replies. While a script
// has run longer than busy-reply-threshold (lua-time-limit), every other
// command but those Redis flags allow-busy (and SCRIPT KILL, FUNCTION
// KILL/STATS) is refused with BUSY by the connection goroutines, which
// never wait for the storage runtime to do so; a command refused inside
// MULTI makes EXEC fail, and EXEC refused discards the transaction.

// scriptHost is the script.Host of the server: scripts run the network
// commands they call as the Lua client, a connection without a socket.
type scriptHost struct {
	s  *Server
	lc *client
}

var _ script.Host = (*scriptHost)(nil)

func newScriptHost(s *Server) *scriptHost {
	lc := &client{s: s, out: resp.NewWriter(2), proto: 2, authed: true, created: time.Now(), raddr: "lua", laddr: "lua"}
	return &scriptHost{s: s, lc: lc}
}

// Lookup implements script.Host.
func (h *scriptHost) Lookup(name []byte) *command.Command { return h.s.table.Lookup(name) }

// Network implements script.Host. It runs on the goroutine that runs the
// script (one script at a time), which owns the Lua client meanwhile.
func (h *scriptHost) Network(cmd *command.Command, args [][]byte, db int, out *resp.Writer) (int, bool) {
	lc := h.lc
	lc.out = out
	lc.mu.Lock()
	lc.db = db
	lc.mu.Unlock()
	errs := lc.errs
	h.s.netCmds[cmd.Name](lc, args)
	lc.out = nil
	return lc.selectedDB(), lc.errs != errs
}

// Called implements script.Host.
func (h *scriptHost) Called(cmd *command.Command, args [][]byte, d time.Duration, failed bool) {
	h.lc.called(h.s.cmdStat(cmd), args, d, failed)
}

// Rejected implements script.Host.
func (h *scriptHost) Rejected(cmd *command.Command) { h.s.cmdStat(cmd).reject() }

func (s *Server) scriptCommand() netCommand {
	acl := []string{"@slow", "@scripting"}
	sub := func(name string, arity int, flags command.Flags, tips []string, summary, since, complexity string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "scripting", Summary: summary,
			Since: since, Complexity: complexity, ACLCategories: acl, Tips: tips}, run}
	}
	all := func(resp string) []string { return []string{"request_policy:all_nodes", "response_policy:" + resp} }
	return container(&command.Command{Name: "script", Arity: -2, Group: "scripting",
		Summary: "A container for Lua scripts management commands", Since: "2.6.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("debug", 3, command.NoScript, nil, "Set the debug mode for executed scripts.", "3.2.0", "O(1)", scriptDebug),
		sub("exists", -3, command.NoScript, []string{"request_policy:all_shards", "response_policy:agg_logical_and"},
			"Check existence of scripts in the script cache.", "2.6.0",
			"O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", scriptExists),
		sub("flush", -2, command.NoScript, all("all_succeeded"), "Remove all the scripts from the script cache.", "2.6.0",
			"O(N) with N being the number of scripts in cache", scriptFlush),
		sub("help", 2, command.Loading|command.Stale, nil, "Show helpful text about the different subcommands", "5.0.0",
			"O(1)", scriptHelp),
		sub("kill", 2, command.NoScript|command.AllowBusy, []string{"request_policy:all_shards", "response_policy:one_succeeded"},
			"Kill the script currently in execution.", "2.6.0", "O(1)", scriptKill),
		sub("load", 3, command.NoScript|command.Stale, all("all_succeeded"), "Load the specified Lua script into the script cache.",
			"2.6.0", "O(N) with N being the length in bytes of the script body.", scriptLoad),
	})
}

func scriptDebug(c *client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "no":
		c.out.WriteOK()
	case "yes", "sync":
		c.replyError("ERR Kiwi has no Lua debugger: SCRIPT DEBUG NO is the only mode")
	default:
		c.replyError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

func scriptExists(c *client, args [][]byte) {
	c.out.WriteArrayLen(len(args) - 2)
	for _, sha := range args[2:] {
		if c.s.scripts.Exists(string(sha)) {
			c.out.WriteInt(1)
		} else {
			c.out.WriteInt(0)
		}
	}
}

func scriptFlush(c *client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async")) {
		c.replyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	c.s.scripts.Flush()
	c.out.WriteOK()
}

func scriptHelp(c *client, _ [][]byte) {
	writeHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}

func scriptKill(c *client, _ [][]byte) {
	if msg := c.s.scripts.Kill(true); msg != "" {
		c.replyError(msg)
		return
	}
	c.out.WriteOK()
}

func scriptLoad(c *client, args [][]byte) {
	sha, msg := c.s.scripts.Load(string(args[2]))
	if msg != "" {
		c.replyError(msg)
		return
	}
	c.out.WriteBulkString(sha)
}

// scriptBusy reports whether a script has run longer than
// busy-reply-threshold: other commands are then refused (busyAllowed).
func (s *Server) scriptBusy(cfg *config.Config) bool {
	return s.scripts.Busy(time.Duration(cfg.Compat.LuaTimeLimit) * time.Millisecond)
}

// busyAllowed reports whether a command may run while a script is busy:
// Redis's allow-busy commands and subcommands.
func busyAllowed(cmd *command.Command, args [][]byte) bool {
	if cmd.Flags&command.AllowBusy != 0 {
		return true
	}
	if len(cmd.Subcommands) == 0 || len(args) < 2 {
		return false
	}
	full := cmd.Name + "|" + strings.ToLower(string(args[1]))
	for _, sc := range cmd.Subcommands {
		if sc.Name == full {
			return sc.Flags&command.AllowBusy != 0
		}
	}
	return false
}

// rejectBusy answers a command refused because a script is busy, as
// Redis's rejectCommand: an open transaction is flagged (EXEC will fail);
// EXEC itself discards the transaction.
func (c *client) rejectBusy(cmd *command.Command) {
	if cmd.Name == "exec" {
		c.multi.reset()
		c.s.watches.unwatchAll(c)
		c.replyError("EXECABORT Transaction discarded because of: " + c.s.scripts.BusyError())
		return
	}
	c.replyError(c.s.scripts.BusyError())
	c.rejectQueued()
}
