package server

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
)

// netHandler answers a Network command inside the network runtime.
type netHandler func(c *client, args [][]byte)

// connFlags are the flags most connection commands share.
const connFlags = command.Network | command.Loading | command.Stale | command.Fast

// netCommand is a Network command with its handler.
type netCommand struct {
	cmd *command.Command
	run netHandler
}

// registerNetworkCommands adds the commands answered without storage.
func (s *Server) registerNetworkCommands() {
	s.netCmds = make(map[string]netHandler)
	for _, nc := range s.networkCommands() {
		nc.cmd.Flags |= command.Network
		s.table.Add(nc.cmd)
		s.netCmds[nc.cmd.Name] = nc.run
	}
}

func (s *Server) networkCommands() []netCommand {
	conn := []string{"@fast", "@connection"}
	return append([]netCommand{
		{&command.Command{Name: "ping", Arity: -1, Flags: command.Fast, Group: "connection",
			Summary: "Returns the server's liveliness response.", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: conn, Tips: []string{"request_policy:all_shards", "response_policy:all_succeeded"}}, cmdPing},
		{&command.Command{Name: "echo", Arity: 2, Flags: connFlags, Group: "connection",
			Summary: "Returns the given string.", Since: "1.0.0", Complexity: "O(1)", ACLCategories: conn}, cmdEcho},
		{&command.Command{Name: "quit", Arity: -1, Flags: command.NoScript | connFlags | command.NoAuth | command.AllowBusy,
			Group: "connection", Summary: "Closes the connection.", Since: "1.0.0", Complexity: "O(1)", ACLCategories: conn}, cmdQuit},
		{&command.Command{Name: "hello", Arity: -1, Flags: command.NoScript | connFlags | command.NoAuth | command.AllowBusy,
			Group: "connection", Summary: "Handshakes with the Redis server.", Since: "6.0.0", Complexity: "O(1)", ACLCategories: conn}, cmdHello},
		{&command.Command{Name: "auth", Arity: -2, Flags: command.NoScript | connFlags | command.NoAuth | command.AllowBusy,
			Group: "connection", Summary: "Authenticates the connection.", Since: "1.0.0",
			Complexity: "O(N) where N is the number of passwords defined for the user", ACLCategories: conn}, cmdAuth},
		{&command.Command{Name: "select", Arity: 2, Flags: connFlags, Group: "connection",
			Summary: "Changes the selected database.", Since: "1.0.0", Complexity: "O(1)", ACLCategories: conn}, cmdSelect},
		{&command.Command{Name: "time", Arity: 1, Flags: connFlags, Group: "server",
			Summary: "Returns the server time.", Since: "2.6.0", Complexity: "O(1)",
			ACLCategories: []string{"@fast"}, Tips: []string{"nondeterministic_output"}}, cmdTime},
		{&command.Command{Name: "dbsize", Arity: 1, Flags: command.ReadOnly | command.Fast, Group: "server",
			Summary: "Returns the number of keys in the database.", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: []string{"@keyspace", "@read", "@fast"},
			Tips:          []string{"request_policy:all_shards", "response_policy:agg_sum"}}, cmdDBSize},
		{&command.Command{Name: "shutdown", Arity: -1,
			Flags: command.Admin | command.NoScript | command.Loading | command.Stale | command.NoMulti | command.AllowBusy,
			Group: "server", Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
			Since: "1.0.0", Complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
			ACLCategories: []string{"@admin", "@slow", "@dangerous"}}, cmdShutdown},
		{&command.Command{Name: "info", Arity: -1, Flags: command.Loading | command.Stale, Group: "server",
			Summary: "Returns information and statistics about the server.", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: []string{"@slow", "@dangerous"},
			Tips:          []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}}, cmdInfo},
		s.clientCommand(),
		s.configCommand(),
		s.commandCommand(),
		s.slowlogCommand(),
		s.latencyCommand(),
		s.functionCommand(),
		s.scriptCommand(),
	}, slices.Concat(s.saveCommands(), s.transactionCommands(), s.pubsubCommands())...)
}

func cmdPing(c *client, args [][]byte) {
	if c.pubsubPing(args) {
		return
	}
	if len(args) > 2 {
		c.replyError(command.WrongArgs("ping"))
		return
	}
	if len(args) == 2 {
		c.out.WriteBulk(args[1])
		return
	}
	c.out.WriteSimple("PONG")
}

func cmdEcho(c *client, args [][]byte) { c.out.WriteBulk(args[1]) }

func cmdQuit(c *client, _ [][]byte) {
	c.out.WriteOK()
	c.quit = true
}

func cmdTime(c *client, _ [][]byte) {
	now := time.Now()
	c.out.WriteArrayLen(2)
	c.out.WriteBulkInt(now.Unix())
	c.out.WriteBulkInt(int64(now.Nanosecond() / 1000))
}

func cmdDBSize(c *client, _ [][]byte) {
	c.mu.Lock()
	db := c.db
	c.mu.Unlock()
	c.out.WriteInt(c.s.ks.KeyCount(db))
}

func cmdSelect(c *client, args [][]byte) {
	n, err := strconv.ParseInt(string(args[1]), 10, 64)
	if err != nil {
		c.replyError(command.ErrNotInteger)
		return
	}
	if n < 0 || n >= int64(c.s.ks.Databases()) {
		c.replyError("ERR DB index is out of range")
		return
	}
	c.mu.Lock()
	c.db = int(n)
	c.mu.Unlock()
	c.out.WriteOK()
}

const (
	errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPass    = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

// checkAuth checks a username/password pair against requirepass, as
// Redis's default user does.
func (c *client) checkAuth(user, pass []byte) bool {
	want := c.s.Config().RequirePass
	if string(user) != "default" {
		return false
	}
	return want == "" || string(pass) == want
}

func cmdAuth(c *client, args [][]byte) {
	switch len(args) {
	case 2:
		if c.s.Config().RequirePass == "" {
			c.replyError(errNoPass)
			return
		}
		if !c.checkAuth([]byte("default"), args[1]) {
			c.replyError(errWrongPass)
			return
		}
	case 3:
		if !c.checkAuth(args[1], args[2]) {
			c.replyError(errWrongPass)
			return
		}
	default:
		c.replyError(command.ErrSyntax)
		return
	}
	c.authed = true
	c.out.WriteOK()
}

func cmdHello(c *client, args [][]byte) {
	proto := 0
	if len(args) >= 2 {
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			c.replyError("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.replyError("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var setName []byte
	hasName, authed := false, false
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			if !c.checkAuth(args[i+1], args[i+2]) {
				c.replyError(errWrongPass)
				return
			}
			authed = true
			i += 2
		case opt == "setname" && more >= 1:
			setName, hasName = args[i+1], true
			i++
		default:
			c.replyError("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if authed {
		c.authed = true
	}
	if !c.authed {
		c.replyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if hasName {
		if !validClientName(setName) {
			c.replyError(errBadClientName)
			return
		}
	}
	c.mu.Lock()
	if hasName {
		c.name = string(setName)
	}
	if proto != 0 {
		c.proto = proto
	}
	proto = c.proto
	c.mu.Unlock()
	c.out.SetProto(proto)

	w := c.out
	w.WriteMapLen(7)
	w.WriteBulkString("server")
	w.WriteBulkString("redis")
	w.WriteBulkString("version")
	w.WriteBulkString(redisVersion)
	w.WriteBulkString("proto")
	w.WriteInt(int64(proto))
	w.WriteBulkString("id")
	w.WriteInt(c.id)
	w.WriteBulkString("mode")
	w.WriteBulkString("standalone")
	w.WriteBulkString("role")
	w.WriteBulkString("master")
	w.WriteBulkString("modules")
	w.WriteArrayLen(0)
}

func cmdShutdown(c *client, args [][]byte) {
	nosave := false
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			nosave = true
		case "save", "now", "force":
		case "abort":
			c.replyError("ERR No shutdown in progress.")
			return
		default:
			c.replyError(command.ErrSyntax)
			return
		}
	}
	if c.s.scriptBusy(c.s.Config()) {
		if !nosave { // only SHUTDOWN NOSAVE stops a busy script
			c.replyError(c.s.scripts.BusyError())
			return
		}
		c.s.scripts.Abort()
	}
	c.s.log.Warn("SHUTDOWN requested by client", "client", c.id, "addr", c.raddr)
	// Like Redis, a successful SHUTDOWN closes the connection without a reply.
	c.quit = true
	if c.s.shutdown != nil {
		c.s.shutdown()
	}
}

// subcommands dispatches a container command (CLIENT, CONFIG, COMMAND) to
// its subcommand, with Redis's arity and unknown-subcommand errors.
func subcommands(container string, subs map[string]netCommand) netHandler {
	upper := strings.ToUpper(container)
	return func(c *client, args [][]byte) {
		name := strings.ToLower(string(args[1]))
		sub, ok := subs[name]
		if !ok {
			c.replyError("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + upper + " HELP.")
			return
		}
		if !sub.cmd.CheckArity(len(args)) {
			c.replyError(command.WrongArgs(container + "|" + name))
			return
		}
		sub.run(c, args)
	}
}

// container builds a container command from its subcommands.
func container(cmd *command.Command, subs []netCommand) netCommand {
	m := make(map[string]netCommand, len(subs))
	for _, sc := range subs {
		m[sc.cmd.Name] = sc
		full := *sc.cmd
		full.Name = cmd.Name + "|" + sc.cmd.Name
		full.Arity = sc.cmd.Arity
		cmd.Subcommands = append(cmd.Subcommands, &full)
	}
	return netCommand{cmd, subcommands(cmd.Name, m)}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
