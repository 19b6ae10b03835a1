package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
)

const errBadClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// validClientName applies Redis's rule: printable ASCII without spaces.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func (s *Server) clientCommand() netCommand {
	conn := []string{"@slow", "@connection"}
	admin := []string{"@admin", "@slow", "@dangerous", "@connection"}
	base := command.NoScript | command.Loading | command.Stale
	sub := func(name string, arity int, flags command.Flags, summary string, cats []string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "connection",
			Summary: summary, Since: "2.4.0", Complexity: "O(1)", ACLCategories: cats}, run}
	}
	return container(&command.Command{Name: "client", Arity: -2, Group: "connection",
		Summary: "A container for client connection commands.", Since: "2.4.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("id", 2, base, "Returns the unique client ID of the connection.", conn, clientID),
		sub("setname", 3, base, "Sets the connection name.", conn, clientSetName),
		sub("getname", 2, base, "Returns the name of the connection.", conn, clientGetName),
		sub("setinfo", 4, base, "Sets information specific to the client or connection.", conn, clientSetInfo),
		sub("info", 2, base, "Returns information about the connection.", conn, clientInfo),
		sub("list", -2, base|command.Admin, "Lists open connections.", admin, clientListCmd),
		sub("kill", -3, base|command.Admin, "Terminates open connections.", admin, clientKill),
		sub("no-evict", 3, base|command.Admin, "Sets the client eviction mode of the connection.", admin, clientNoEvict),
		sub("reply", 3, base, "Instructs the server whether to reply to commands.", conn, clientReply),
		sub("help", 2, command.Loading|command.Stale, "Returns helpful text about the different subcommands.", conn, clientHelp),
	})
}

func clientID(c *client, _ [][]byte) { c.out.WriteInt(c.id) }

func clientSetName(c *client, args [][]byte) {
	if !validClientName(args[2]) {
		c.replyError(errBadClientName)
		return
	}
	c.mu.Lock()
	c.name = string(args[2])
	c.mu.Unlock()
	c.out.WriteOK()
}

func clientGetName(c *client, _ [][]byte) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.out.WriteNull()
		return
	}
	c.out.WriteBulkString(name)
}

func clientSetInfo(c *client, args [][]byte) {
	val := string(args[3])
	for _, ch := range args[3] {
		if ch < '!' || ch > '~' {
			c.replyError("ERR " + string(args[2]) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch strings.ToLower(string(args[2])) {
	case "lib-name":
		c.libName = val
	case "lib-ver":
		c.libVer = val
	default:
		c.replyError("ERR Unrecognized option '" + string(args[2]) + "'")
		return
	}
	c.out.WriteOK()
}

func clientInfo(c *client, _ [][]byte) {
	c.out.WriteVerbatim("txt", c.infoLine(time.Now())+"\n")
}

func clientNoEvict(c *client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "on", "off":
		c.out.WriteOK()
	default:
		c.replyError(command.ErrSyntax)
	}
}

func clientHelp(c *client, _ [][]byte) {
	lines := []string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
		"    * USER <username>", "      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
		"    * ID <client-id>", "      Kill connections by client id.",
		"LIST [options ...]", "    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
		"    * ID <client-id> [<client-id> ...]", "      Return clients of specified IDs only.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
		"NO-EVICT (ON|OFF)", "    Accepted for compatibility; Kiwi never evicts clients.",
		"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
		"HELP", "    Print this help.",
	}
	c.out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
}

// infoLine formats the client as one CLIENT LIST / CLIENT INFO line.
func (c *client) infoLine(now time.Time) string {
	c.mu.Lock()
	name, db, proto, cmd, lib, ver := c.name, c.db, c.proto, c.lastCmd, c.libName, c.libVer
	c.mu.Unlock()
	if cmd == "" {
		cmd = "NULL"
	}
	age := int64(now.Sub(c.created) / time.Second)
	idle := (now.UnixNano() - c.lastActive.Load()) / int64(time.Second)
	flags, sub, psub, ssub, omem := c.pubsubFlags()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=-1 "+
		"qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=%d tot-mem=0 events=r cmd=%s "+
		"user=default redir=-1 resp=%d lib-name=%s lib-ver=%s",
		c.id, c.raddr, c.laddr, name, age, idle, flags, db, sub, psub, ssub, omem, cmd, proto, lib, ver)
}

func clientListCmd(c *client, args [][]byte) {
	var ids map[int64]bool
	typ := ""
	for i := 2; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "type" && i+1 < len(args):
			switch t := strings.ToLower(string(args[i+1])); t {
			case "normal", "pubsub":
				typ = t
			case "master", "replica", "slave":
				ids = map[int64]bool{} // Kiwi has no clients of these kinds yet.
			default:
				c.replyError("ERR Unknown client type '" + string(args[i+1]) + "'")
				return
			}
			i++
		case opt == "id" && i+1 < len(args):
			if ids == nil {
				ids = map[int64]bool{}
			}
			for i++; i < len(args); i++ {
				id, err := strconv.ParseInt(string(args[i]), 10, 64)
				if err != nil || id <= 0 {
					c.replyError("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.replyError(command.ErrSyntax)
			return
		}
	}
	now := time.Now()
	var sb strings.Builder
	for _, o := range c.s.clientList() {
		if ids != nil && !ids[o.id] || typ != "" && o.clientType() != typ {
			continue
		}
		sb.WriteString(o.infoLine(now))
		sb.WriteByte('\n')
	}
	c.out.WriteVerbatim("txt", sb.String())
}

func clientKill(c *client, args [][]byte) {
	if len(args) == 3 {
		// Old form: CLIENT KILL ip:port.
		addr := string(args[2])
		for _, o := range c.s.clientList() {
			if o.raddr == addr {
				c.kill(o)
				c.out.WriteOK()
				return
			}
		}
		c.replyError("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.replyError(command.ErrSyntax)
		return
	}
	var (
		id                int64
		addr, laddr, user string
		typ               string
		skipMe            = true
	)
	for i := 2; i < len(args); i += 2 {
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n <= 0 {
				c.replyError("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = val
		case "laddr":
			laddr = val
		case "user":
			user = val
		case "type":
			switch t := strings.ToLower(val); t {
			case "normal", "master", "replica", "slave", "pubsub":
				typ = t
			default:
				c.replyError("ERR Unknown client type '" + val + "'")
				return
			}
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.replyError(command.ErrSyntax)
				return
			}
		default:
			c.replyError(command.ErrSyntax)
			return
		}
	}
	killed := int64(0)
	for _, o := range c.s.clientList() {
		switch {
		case id != 0 && o.id != id,
			addr != "" && o.raddr != addr,
			laddr != "" && o.laddr != laddr,
			user != "" && user != "default",
			typ != "" && typ != o.clientType(),
			skipMe && o == c:
			continue
		}
		c.kill(o)
		killed++
	}
	c.out.WriteInt(killed)
}

// kill closes another client's connection, or this one after its reply.
func (c *client) kill(o *client) {
	if o == c {
		c.quit = true
		return
	}
	c.s.log.Info("client killed", "client", o.id, "addr", o.raddr, "by", c.id)
	o.closeConn()
}

// CLIENT REPLY ON|OFF|SKIP: OFF drops the replies of the following
// commands until CLIENT REPLY ON, SKIP the reply of the next command only;
// neither is answered itself. Pub/Sub messages are still delivered.
func clientReply(c *client, args [][]byte) {
	switch {
	case strings.EqualFold(string(args[2]), "on"):
		c.replyOff, c.replySkip = false, false
		c.out.WriteOK()
	case strings.EqualFold(string(args[2]), "off"):
		c.replyOff = true
	case strings.EqualFold(string(args[2]), "skip"):
		if !c.replyOff {
			c.replySkip = true
		}
	default:
		c.replyError("ERR syntax error")
	}
}
