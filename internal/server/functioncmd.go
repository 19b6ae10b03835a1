package server

import (
	"strings"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/script"
)

// FUNCTION: Kiwi runs EVAL scripts (scriptcmd.go) but has no functions. The container
// answers as a Redis 7.0 server with no library loaded does: FLUSH is OK
// (test harnesses and clients call it to reset a server), LIST is empty,
// STATS reports no running script and an empty Lua engine, DELETE finds no
// library, KILL finds nothing running. LOAD and RESTORE, which would create
// functions, are refused with an error that says why.

func (s *Server) functionCommand() netCommand {
	script := []string{"@slow", "@scripting"}
	writeScript := []string{"@write", "@slow", "@scripting"}
	sub := func(name string, arity int, flags command.Flags, acl []string, summary, complexity string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "scripting",
			Summary: summary, Since: "7.0.0", Complexity: complexity, ACLCategories: acl}, run}
	}
	return container(&command.Command{Name: "function", Arity: -2, Group: "scripting",
		Summary: "A container for function commands", Since: "7.0.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("flush", -2, command.NoScript, writeScript, "Deleting all functions",
			"O(N) where N is the number of functions deleted", functionFlush),
		sub("list", -2, command.NoScript, script, "List information about all the functions",
			"O(N) where N is the number of functions", functionList),
		sub("stats", 2, command.NoScript|command.AllowBusy, script,
			"Return information about the function currently running (name, description, duration)", "O(1)", functionStats),
		sub("delete", 3, command.NoScript, writeScript, "Delete a function by name", "O(1)", functionDelete),
		sub("kill", 2, command.NoScript|command.AllowBusy, script, "Kill the function currently in execution.", "O(1)", functionKill),
		sub("load", -3, command.NoScript|command.DenyOOM, writeScript,
			"Create a function with the given arguments (name, code, description)",
			"O(1) (considering compilation time is redundant)", functionUnsupported),
		sub("restore", -3, command.NoScript|command.DenyOOM, writeScript, "Restore all the functions on the given payload",
			"O(N) where N is the number of functions on the payload", functionUnsupported),
		sub("dump", 2, command.NoScript, script, "Dump all functions into a serialized binary payload",
			"O(N) where N is the number of functions", functionUnsupported),
		sub("help", 2, command.Loading|command.Stale, script, "Show helpful text about the different subcommands", "O(1)", functionHelp),
	})
}

func functionFlush(c *client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async")) {
		c.replyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.out.WriteOK()
}

func functionList(c *client, args [][]byte) {
	for i := 2; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "withcode"):
		case strings.EqualFold(string(args[i]), "libraryname"):
			if i+1 >= len(args) {
				c.replyError("ERR library name argument was not given")
				return
			}
			i++
		default:
			c.replyError("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	c.out.WriteArrayLen(0)
}

func functionStats(c *client, _ [][]byte) {
	c.out.WriteMapLen(2)
	c.out.WriteBulkString("running_script")
	c.out.WriteNull()
	c.out.WriteBulkString("engines")
	c.out.WriteMapLen(1)
	c.out.WriteBulkString("LUA")
	c.out.WriteMapLen(2)
	c.out.WriteBulkString("libraries_count")
	c.out.WriteInt(0)
	c.out.WriteBulkString("functions_count")
	c.out.WriteInt(0)
}

func functionDelete(c *client, _ [][]byte) { c.replyError("ERR Library not found") }

func functionKill(c *client, _ [][]byte) {
	if c.s.scripts.Running() { // an EVAL script: SCRIPT KILL stops it
		c.replyError(script.ErrBusy)
		return
	}
	c.replyError(script.ErrNotBusy)
}

func functionUnsupported(c *client, _ [][]byte) {
	c.replyError("ERR Kiwi does not support functions: use EVAL")
}

func functionHelp(c *client, _ [][]byte) {
	lines := []string{
		"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"FLUSH [ASYNC|SYNC]",
		"    Kiwi has no functions: always OK.",
		"LIST [LIBRARYNAME <pattern>] [WITHCODE]",
		"    Kiwi has no functions: always empty.",
		"STATS",
		"    Return information about the current function running.",
		"DELETE <library-name>, KILL",
		"    Kiwi has no functions or running scripts.",
		"LOAD, RESTORE, DUMP",
		"    Not supported: Kiwi has no functions (use EVAL).",
		"HELP",
		"    Prints this help.",
	}
	c.out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
}
