package command

import (
	"math"
	"strings"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// OBJECT and MEMORY: introspection containers whose subcommands read one
// key. They run in the storage runtime (as read commands); their help and
// key-less subcommands are answered there too, which costs nothing.
//
// Kiwi stores every value the same way whatever its size (docs/keyspace.md),
// so OBJECT ENCODING answers the encoding Redis 7.0 would use for the
// value under its default thresholds, for clients and tools that inspect
// it. OBJECT IDLETIME and REFCOUNT are constant (Kiwi tracks no access
// times; values are never shared); FREQ answers Redis's error for a
// server without an LFU policy. MEMORY USAGE is the value's size on disk
// before compression (keyspace.Tx.ValueSize).

// subcommandDoc describes a subcommand for COMMAND DOCS.
type subcommandDoc struct {
	name, summary, since, complexity string
	arity                            int
}

func containerSubs(parent string, flags Flags, acl []string, subs []subcommandDoc) []*Command {
	out := make([]*Command, len(subs))
	for i, s := range subs {
		c := &Command{Name: parent + "|" + s.name, Arity: s.arity, Flags: flags, Group: "generic",
			Summary: s.summary, Since: s.since, Complexity: s.complexity, ACLCategories: acl}
		if s.arity == 3 || s.arity == -3 {
			c.FirstKey, c.LastKey, c.KeyStep = 2, 2, 1
		}
		out[i] = c
	}
	return out
}

// introspectionCommands returns OBJECT and MEMORY.
func introspectionCommands() []*Command {
	readKey := []string{"@keyspace", "@read", "@slow"}
	// Containers carry no flags in COMMAND INFO (their subcommands do);
	// without Write they run as reads.
	object := &Command{Name: "object", Arity: -2, Group: "generic",
		Summary: "A container for object introspection commands", Since: "2.2.3", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}, Run: cmdObject,
		Subcommands: containerSubs("object", ReadOnly, readKey, []subcommandDoc{
			{"encoding", "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)", 3},
			{"freq", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)", 3},
			{"idletime", "Get the time since a Redis object was last accessed", "2.2.3", "O(1)", 3},
			{"refcount", "Get the number of references to the value of the key", "2.2.3", "O(1)", 3},
			{"help", "Show helpful text about the different subcommands", "6.2.0", "O(1)", 2},
		})}
	memory := &Command{Name: "memory", Arity: -2, Group: "server",
		Summary: "A container for memory diagnostics commands", Since: "4.0.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}, Run: cmdMemory,
		Subcommands: containerSubs("memory", ReadOnly, []string{"@read", "@slow"}, []subcommandDoc{
			{"usage", "Estimate the memory usage of a key", "4.0.0", "O(N) where N is the number of samples.", -3},
			{"doctor", "Outputs memory problems report", "4.0.0", "O(1)", 2},
			{"malloc-stats", "Show allocator internal stats", "4.0.0", "Depends on how much memory is allocated, could be slow", 2},
			{"purge", "Ask the allocator to release memory", "4.0.0", "Depends on how much memory is allocated, could be slow", 2},
			{"help", "Show helpful text about the different subcommands", "4.0.0", "O(1)", 2},
		})}
	return []*Command{object, memory}
}

// subcommand returns the lower-case subcommand of a container call, or
// replies with Redis's error when the arity does not fit (ok false).
func subcommand(c *Ctx) (name string, ok bool) {
	name = strings.ToLower(string(c.Args[1]))
	for _, s := range c.Cmd.Subcommands {
		if s.Name[len(c.Cmd.Name)+1:] != name {
			continue
		}
		if !s.CheckArity(len(c.Args)) {
			c.Error(WrongArgs(s.Name))
			return "", false
		}
		return name, true
	}
	c.Error("ERR unknown subcommand '" + truncateArg(c.Args[1]) + "'. Try " + strings.ToUpper(c.Cmd.Name) + " HELP.")
	return "", false
}

// truncateArg shortens an argument echoed in an error as Redis does.
func truncateArg(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

// writeHelp answers a HELP subcommand with Redis's lines.
func writeHelp(c *Ctx, lines ...string) {
	c.Out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.Out.WriteSimple(l)
	}
}

// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP
func cmdObject(c *Ctx) {
	sub, ok := subcommand(c)
	if !ok {
		return
	}
	if sub == "help" {
		writeHelp(c,
			"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ENCODING <key>",
			"    Return the kind of internal representation used in order to store the value",
			"    associated with a <key>.",
			"FREQ <key>",
			"    Return the access frequency index of the <key>. The returned integer is",
			"    proportional to the logarithm of the recent access frequency of the key.",
			"IDLETIME <key>",
			"    Return the idle time of the <key>, that is the approximated number of",
			"    seconds elapsed since the last access to the key.",
			"REFCOUNT <key>",
			"    Return the number of references of the value associated with the specified",
			"    <key>.",
			"HELP",
			"    Prints this help.")
		return
	}
	key := c.Args[2]
	m, found, err := c.Tx.GetMeta(c.DB, key, c.Now)
	switch {
	case err != nil:
		replyErr(c, err)
		return
	case !found:
		c.Out.WriteNull()
		return
	}
	switch sub {
	case "encoding":
		enc, err := redisEncoding(c, key, &m)
		if err != nil {
			replyErr(c, err)
			return
		}
		c.Out.WriteBulkString(enc)
	case "freq":
		c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
			"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	case "idletime":
		c.Out.WriteInt(0)
	case "refcount":
		c.Out.WriteInt(1)
	}
}

// redisEncoding returns the encoding Redis 7.0 would report for the value
// m of key under its default thresholds.
func redisEncoding(c *Ctx, key []byte, m *keyspace.Meta) (string, error) {
	switch m.Type {
	case keyspace.TypeString:
		if m.Len <= 20 {
			v, _, err := c.Tx.GetString(c.DB, key, c.Now)
			if err != nil {
				return "", err
			}
			if _, ok := redisnum.ParseInt(v); ok {
				return "int", nil
			}
		}
		if m.Len <= 44 {
			return "embstr", nil
		}
		return "raw", nil
	case keyspace.TypeHash:
		return small(m.Len, 128, "listpack", "hashtable"), nil
	case keyspace.TypeList:
		return "quicklist", nil
	case keyspace.TypeStream:
		return "stream", nil
	case keyspace.TypeZSet:
		return small(m.Len, 128, "listpack", "skiplist"), nil
	case keyspace.TypeSet:
		if m.Len > 512 {
			return "hashtable", nil
		}
		e, err := c.Tx.SetMembers(c.DB, key, c.Now)
		if err != nil {
			return "", err
		}
		for i := range e.Len() {
			if _, ok := redisnum.ParseInt(e.At(i)); !ok {
				return "hashtable", nil
			}
		}
		return "intset", nil
	}
	return "unknown", nil
}

func small(n, limit int64, a, b string) string {
	if n <= limit {
		return a
	}
	return b
}

// MEMORY USAGE key [SAMPLES count], MEMORY DOCTOR|MALLOC-STATS|PURGE|HELP
func cmdMemory(c *Ctx) {
	sub, ok := subcommand(c)
	if !ok {
		return
	}
	switch sub {
	case "help":
		writeHelp(c,
			"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"DOCTOR",
			"    Return memory problems reports.",
			"MALLOC-STATS",
			"    Return internal statistics report from the memory allocator.",
			"PURGE",
			"    Attempt to purge dirty pages for reclamation by the allocator.",
			"USAGE <key> [SAMPLES <count>]",
			"    Return memory in bytes used by <key> and its value. Nested values are",
			"    sampled up to <count> times (default: 5, 0 means sample all).",
			"HELP",
			"    Prints this help.")
	case "doctor":
		c.Out.WriteVerbatim("txt", "Kiwi keeps its data on disk; see INFO memory and INFO storage for its memory use.")
	case "malloc-stats":
		c.Out.WriteVerbatim("txt", "Stats not supported for the current allocator")
	case "purge":
		c.Out.WriteOK()
	case "usage":
		samples := int64(5)
		for i := 3; i < len(c.Args); i++ {
			if !equalFold(c.Args[i], "samples") || i+1 >= len(c.Args) {
				c.Error(ErrSyntax)
				return
			}
			i++
			n, ok := intArg(c, c.Args[i])
			if !ok {
				return
			}
			if n < 0 {
				c.Error(ErrSyntax)
				return
			}
			samples = n
			if samples == 0 {
				samples = math.MaxInt64
			}
		}
		size, found, err := c.Tx.ValueSize(c.DB, c.Args[2], c.Now, int(min(samples, math.MaxInt32)))
		switch {
		case err != nil:
			replyErr(c, err)
		case !found:
			c.Out.WriteNull()
		default:
			c.Out.WriteInt(size)
		}
	}
}
