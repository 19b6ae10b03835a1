package server

import (
	"slices"
	"strings"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/resp"
)

func (s *Server) commandCommand() netCommand {
	flags := command.Loading | command.Stale
	cats := []string{"@slow", "@connection"}
	sub := func(name string, arity int, summary string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "server",
			Summary: summary, Since: "2.8.13", Complexity: "O(N) where N is the number of commands",
			ACLCategories: cats}, run}
	}
	c := container(&command.Command{Name: "command", Arity: -1, Flags: flags, Group: "server",
		Summary: "Returns detailed information about all commands.", Since: "2.8.13",
		Complexity: "O(N) where N is the total number of Redis commands", ACLCategories: cats,
		Tips: []string{"nondeterministic_output_order"}}, []netCommand{
		sub("count", 2, "Returns a count of commands.", commandCount),
		sub("info", -2, "Returns information about one, multiple or all commands.", commandInfo),
		sub("docs", -2, "Returns documentary information about one, multiple or all commands.", commandDocs),
		sub("list", -2, "Returns a list of command names.", commandList),
		sub("getkeys", -4, "Extracts the key names from an arbitrary command.", commandGetKeys),
		sub("help", 2, "Returns helpful text about the different subcommands.", commandHelp),
	})
	dispatch := c.run
	c.run = func(cl *client, args [][]byte) {
		if len(args) == 1 {
			writeCommandInfos(cl.out, cl.s.sortedCommands())
			return
		}
		dispatch(cl, args)
	}
	return c
}

// sortedCommands returns every top-level command ordered by name.
func (s *Server) sortedCommands() []*command.Command {
	all := s.table.All()
	slices.SortFunc(all, func(a, b *command.Command) int { return strings.Compare(a.Name, b.Name) })
	return all
}

func commandCount(c *client, _ [][]byte) { c.out.WriteInt(int64(c.s.table.Len())) }

func commandList(c *client, args [][]byte) {
	if len(args) > 2 {
		// FILTERBY is not supported yet.
		c.replyError(command.ErrSyntax)
		return
	}
	all := c.s.sortedCommands()
	c.out.WriteArrayLen(len(all))
	for _, cmd := range all {
		c.out.WriteBulkString(cmd.Name)
	}
}

func commandInfo(c *client, args [][]byte) {
	if len(args) == 2 {
		writeCommandInfos(c.out, c.s.sortedCommands())
		return
	}
	c.out.WriteArrayLen(len(args) - 2)
	for _, name := range args[2:] {
		cmd := c.s.lookupFull(name)
		if cmd == nil {
			c.out.WriteNullArray()
			continue
		}
		writeCommandInfo(c.out, cmd)
	}
}

// lookupFull finds a command by name or "container|sub" name.
func (s *Server) lookupFull(name []byte) *command.Command {
	parent, sub, ok := strings.Cut(strings.ToLower(string(name)), "|")
	cmd := s.table.Lookup([]byte(parent))
	if cmd == nil || !ok {
		return cmd
	}
	for _, sc := range cmd.Subcommands {
		if sc.Name == parent+"|"+sub {
			return sc
		}
	}
	return nil
}

func writeCommandInfos(w *resp.Writer, cmds []*command.Command) {
	w.WriteArrayLen(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(w, cmd)
	}
}

func writeStrings(w *resp.Writer, ss []string, set bool) {
	if set {
		w.WriteSetLen(len(ss))
	} else {
		w.WriteArrayLen(len(ss))
	}
	for _, s := range ss {
		w.WriteSimple(s)
	}
}

// writeCommandInfo writes one COMMAND INFO entry (10 fields, Redis 7).
func writeCommandInfo(w *resp.Writer, cmd *command.Command) {
	w.WriteArrayLen(10)
	w.WriteBulkString(cmd.Name)
	w.WriteInt(int64(cmd.Arity))
	writeStrings(w, cmd.Flags.Names(), true)
	w.WriteInt(int64(cmd.FirstKey))
	w.WriteInt(int64(cmd.LastKey))
	w.WriteInt(int64(cmd.KeyStep))
	writeStrings(w, cmd.ACLCategories, true)
	tips := cmd.Tips
	w.WriteArrayLen(len(tips))
	for _, t := range tips {
		w.WriteBulkString(t)
	}
	writeKeySpecs(w, cmd)
	w.WriteArrayLen(len(cmd.Subcommands))
	for _, sc := range cmd.Subcommands {
		writeCommandInfo(w, sc)
	}
}

// writeKeySpecs writes the key specification derived from FirstKey, LastKey
// and KeyStep (the "range" form Redis uses for simple commands).
func writeKeySpecs(w *resp.Writer, cmd *command.Command) {
	if cmd.FirstKey == 0 {
		w.WriteArrayLen(0)
		return
	}
	flags := []string{"RO", "access"}
	if cmd.IsWrite() {
		flags = []string{"RW", "update"}
	}
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	w.WriteArrayLen(1)
	w.WriteMapLen(3)
	w.WriteBulkString("flags")
	writeStrings(w, flags, true)
	w.WriteBulkString("begin_search")
	w.WriteMapLen(2)
	w.WriteBulkString("type")
	w.WriteBulkString("index")
	w.WriteBulkString("spec")
	w.WriteMapLen(1)
	w.WriteBulkString("index")
	w.WriteInt(int64(cmd.FirstKey))
	w.WriteBulkString("find_keys")
	w.WriteMapLen(2)
	w.WriteBulkString("type")
	w.WriteBulkString("range")
	w.WriteBulkString("spec")
	w.WriteMapLen(3)
	w.WriteBulkString("lastkey")
	w.WriteInt(int64(last))
	w.WriteBulkString("keystep")
	w.WriteInt(int64(cmd.KeyStep))
	w.WriteBulkString("limit")
	w.WriteInt(0)
}

func commandDocs(c *client, args [][]byte) {
	var cmds []*command.Command
	if len(args) == 2 {
		cmds = c.s.sortedCommands()
	} else {
		for _, name := range args[2:] {
			if cmd := c.s.lookupFull(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.out.WriteMapLen(len(cmds))
	for _, cmd := range cmds {
		c.out.WriteBulkString(cmd.Name)
		writeCommandDoc(c.out, cmd)
	}
}

func writeCommandDoc(w *resp.Writer, cmd *command.Command) {
	n := 4
	if len(cmd.Subcommands) > 0 {
		n++
	}
	w.WriteMapLen(n)
	w.WriteBulkString("summary")
	w.WriteBulkString(cmd.Summary)
	w.WriteBulkString("since")
	w.WriteBulkString(cmd.Since)
	w.WriteBulkString("group")
	w.WriteBulkString(cmd.Group)
	w.WriteBulkString("complexity")
	w.WriteBulkString(cmd.Complexity)
	if len(cmd.Subcommands) > 0 {
		w.WriteBulkString("subcommands")
		w.WriteMapLen(len(cmd.Subcommands))
		for _, sc := range cmd.Subcommands {
			w.WriteBulkString(sc.Name)
			writeCommandDoc(w, sc)
		}
	}
}

// commandGetKeys is COMMAND GETKEYS, as Redis's getKeysSubcommandImpl:
// the key arguments the command's key positions or, for movablekeys
// commands, its Keys function find.
func commandGetKeys(c *client, args [][]byte) {
	cmdArgs := args[2:]
	cmd := c.s.table.Lookup(cmdArgs[0])
	switch {
	case cmd == nil:
		c.replyError("ERR Invalid command specified")
		return
	case cmd.FirstKey == 0 && cmd.Keys == nil:
		c.replyError("ERR The command has no key arguments")
		return
	case !cmd.CheckArity(len(cmdArgs)):
		c.replyError("ERR Invalid number of arguments specified for command")
		return
	}
	keys := cmd.KeyArgs(cmdArgs)
	if len(keys) == 0 {
		c.replyError("ERR Invalid arguments specified for command")
		return
	}
	c.out.WriteArrayLen(len(keys))
	for _, k := range keys {
		c.out.WriteBulk(k)
	}
}

func commandHelp(c *client, _ [][]byte) {
	lines := []string{
		"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"(no subcommand)", "    Return details about all Redis commands.",
		"COUNT", "    Return the total number of commands in this Redis server.",
		"LIST", "    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
		"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
		"HELP", "    Print this help.",
	}
	c.out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
}
