package server

import (
	"strings"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/script"
)

// FUNCTION: the libraries of package script (FCALL runs their functions).
// They live in memory only: a restart loses them, and DUMP and RESTORE,
// whose payload is Redis's RDB encoding, are refused with an error that
// says so.

func (s *Server) functionCommand() netCommand {
	scripting := []string{"@slow", "@scripting"}
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
		sub("list", -2, command.NoScript, scripting, "List information about all the functions",
			"O(N) where N is the number of functions", functionList),
		sub("stats", 2, command.NoScript|command.AllowBusy, scripting,
			"Return information about the function currently running (name, description, duration)", "O(1)", functionStats),
		sub("delete", 3, command.NoScript, writeScript, "Delete a function by name", "O(1)", functionDelete),
		sub("kill", 2, command.NoScript|command.AllowBusy, scripting, "Kill the function currently in execution.", "O(1)", functionKill),
		sub("load", -3, command.NoScript|command.DenyOOM, writeScript,
			"Create a function with the given arguments (name, code, description)",
			"O(1) (considering compilation time is redundant)", functionLoad),
		sub("restore", -3, command.NoScript|command.DenyOOM, writeScript, "Restore all the functions on the given payload",
			"O(N) where N is the number of functions on the payload", functionUnsupported),
		sub("dump", 2, command.NoScript, scripting, "Dump all functions into a serialized binary payload",
			"O(N) where N is the number of functions", functionUnsupported),
		sub("help", 2, command.Loading|command.Stale, scripting, "Show helpful text about the different subcommands", "O(1)", functionHelp),
	})
}

func functionLoad(c *client, args [][]byte) {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if !strings.EqualFold(string(args[i]), "replace") {
			c.replyError("ERR Unknown option given: " + string(args[i]))
			return
		}
		replace = true
	}
	if i >= len(args) {
		c.replyError("ERR Function code is missing")
		return
	}
	name, msg := c.s.scripts.LoadLibrary(string(args[i]), replace)
	if msg != "" {
		c.replyError(msg)
		return
	}
	c.out.WriteBulkString(name)
}

func functionFlush(c *client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async")) {
		c.replyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.s.scripts.FlushFunctions()
	c.out.WriteOK()
}

func functionList(c *client, args [][]byte) {
	withCode, pattern, hasPattern := false, "", false
	for i := 2; i < len(args); i++ {
		switch {
		case !withCode && strings.EqualFold(string(args[i]), "withcode"):
			withCode = true
		case !hasPattern && strings.EqualFold(string(args[i]), "libraryname"):
			if i+1 >= len(args) {
				c.replyError("ERR library name argument was not given")
				return
			}
			i++
			pattern, hasPattern = string(args[i]), true
		default:
			c.replyError("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range c.s.scripts.Libraries() {
		if !hasPattern || keyspace.Match([]byte(strings.ToLower(pattern)), []byte(strings.ToLower(l.Name))) {
			libs = append(libs, l)
		}
	}
	w := c.out
	w.WriteArrayLen(len(libs))
	for _, l := range libs {
		if withCode {
			w.WriteMapLen(4)
		} else {
			w.WriteMapLen(3)
		}
		w.WriteBulkString("library_name")
		w.WriteBulkString(l.Name)
		w.WriteBulkString("engine")
		w.WriteBulkString("LUA")
		w.WriteBulkString("functions")
		w.WriteArrayLen(len(l.Functions))
		for _, f := range l.Functions {
			w.WriteMapLen(3)
			w.WriteBulkString("name")
			w.WriteBulkString(f.Name)
			w.WriteBulkString("description")
			if f.Description != "" {
				w.WriteBulkString(f.Description)
			} else {
				w.WriteNull()
			}
			w.WriteBulkString("flags")
			names := f.Flags.FlagNames()
			w.WriteSetLen(len(names))
			for _, n := range names {
				w.WriteBulkString(n)
			}
		}
		if withCode {
			w.WriteBulkString("library_code")
			w.WriteBulkString(l.Code)
		}
	}
}

func functionStats(c *client, _ [][]byte) {
	sc := c.s.scripts
	name, args, d, ok := sc.RunningFunction()
	if !ok && sc.Running() {
		c.replyError(script.ErrBusy) // an EVAL script runs
		return
	}
	w := c.out
	w.WriteMapLen(2)
	w.WriteBulkString("running_script")
	if ok {
		w.WriteMapLen(3)
		w.WriteBulkString("name")
		w.WriteBulkString(name)
		w.WriteBulkString("command")
		w.WriteArrayLen(len(args))
		for _, a := range args {
			w.WriteBulkString(a)
		}
		w.WriteBulkString("duration_ms")
		w.WriteInt(d.Milliseconds())
	} else {
		w.WriteNull()
	}
	libs, funcs := sc.FunctionCount()
	w.WriteBulkString("engines")
	w.WriteMapLen(1)
	w.WriteBulkString("LUA")
	w.WriteMapLen(2)
	w.WriteBulkString("libraries_count")
	w.WriteInt(int64(libs))
	w.WriteBulkString("functions_count")
	w.WriteInt(int64(funcs))
}

func functionDelete(c *client, args [][]byte) {
	if msg := c.s.scripts.DeleteLibrary(string(args[2])); msg != "" {
		c.replyError(msg)
		return
	}
	c.out.WriteOK()
}

func functionKill(c *client, _ [][]byte) {
	if msg := c.s.scripts.Kill(false); msg != "" {
		c.replyError(msg)
		return
	}
	c.out.WriteOK()
}

func functionUnsupported(c *client, _ [][]byte) {
	c.replyError("ERR Kiwi does not support FUNCTION DUMP and RESTORE")
}

func functionHelp(c *client, _ [][]byte) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this case there is a chance of failure",
		"      in case of functions name collision with another library).",
	)
}
