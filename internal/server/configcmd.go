package server

import (
	"errors"
	"net"
	"strings"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
)

func (s *Server) configCommand() netCommand {
	flags := command.Admin | command.NoScript | command.Loading | command.Stale
	cats := []string{"@admin", "@slow", "@dangerous"}
	sub := func(name string, arity int, summary string, run netHandler) netCommand {
		return netCommand{&command.Command{Name: name, Arity: arity, Flags: flags, Group: "server",
			Summary: summary, Since: "2.0.0", Complexity: "O(N) when N is the number of configuration parameters provided",
			ACLCategories: cats}, run}
	}
	return container(&command.Command{Name: "config", Arity: -2, Group: "server",
		Summary: "A container for server configuration commands.", Since: "2.0.0", Complexity: "Depends on subcommand.",
		ACLCategories: []string{"@slow"}}, []netCommand{
		sub("get", -3, "Returns the effective values of configuration parameters.", configGet),
		sub("set", -4, "Sets configuration parameters in-flight.", configSet),
		sub("resetstat", 2, "Resets the server's statistics.", configResetStat),
		sub("rewrite", 2, "Persists the effective configuration to file.", configRewrite),
		sub("help", 2, "Returns helpful text about the different subcommands.", configHelp),
	})
}

func configGet(c *client, args [][]byte) {
	cfg := c.s.Config()
	seen := map[string]bool{}
	var kvs []config.KV
	for _, pat := range args[2:] {
		for _, kv := range cfg.Get(string(pat)) {
			if !seen[kv.Name] {
				seen[kv.Name] = true
				kvs = append(kvs, kv)
			}
		}
	}
	c.out.WriteMapLen(len(kvs))
	for _, kv := range kvs {
		c.out.WriteBulkString(kv.Name)
		c.out.WriteBulkString(kv.Value)
	}
}

func configSet(c *client, args [][]byte) {
	if len(args)%2 != 0 {
		c.replyError(command.WrongArgs("config|set"))
		return
	}
	pairs := make([][2]string, 0, (len(args)-2)/2)
	for i := 2; i < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := c.s.SetConfig(pairs); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "ERR ") {
			msg = "ERR " + msg
		}
		c.replyError(msg)
		return
	}
	c.out.WriteOK()
}

// SetConfig applies CONFIG SET pairs atomically: all change or none, and
// the live effects (slot pool size, log level, storage tuning) follow.
func (s *Server) SetConfig(pairs [][2]string) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	old := s.Config()
	next := old.Clone()
	if err := next.SetMany(pairs); err != nil {
		return err
	}
	s.cfg.Store(next)
	s.applyLive(old, next, "CONFIG SET")
	return nil
}

// ReplaceConfig installs a whole new, valid configuration (a reload of the
// file) and applies its live options. Restart-only options must be left as
// they are running (config.Config.MergeLive does that). by names the cause
// in the log.
func (s *Server) ReplaceConfig(next *config.Config, by string) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	old := s.Config()
	next = next.Clone()
	s.cfg.Store(next)
	s.applyLive(old, next, by)
}

// applyLive makes the network runtime follow a configuration change and
// forwards it to the owner's hook for the storage side.
func (s *Server) applyLive(old, next *config.Config, by string) {
	s.slots.Resize(networkSlots(next))
	s.applyObservability(next)
	s.applyNotify(next)
	if s.logLevel != nil && old.Log.Level != next.Log.Level {
		s.logLevel.Set(config.SlogLevel(next.Log.Level))
	}
	if s.onConfig != nil {
		s.onConfig(old, next)
	}
	s.log.Info("configuration changed", "by", by)
}

func configResetStat(c *client, _ [][]byte) {
	c.s.ResetStats()
	c.out.WriteOK()
}

func configRewrite(c *client, _ [][]byte) {
	if err := c.s.RewriteConfig(); err != nil {
		c.replyError(err.Error())
		return
	}
	c.out.WriteOK()
}

// errNoConfigFile is CONFIG REWRITE's reply when the server was started
// without a configuration file (Redis's wording).
var errNoConfigFile = errors.New("ERR The server is running without a config file")

// RewriteConfig is CONFIG REWRITE: it writes the running configuration to
// the file the server was started with. The error, if any, is the error
// reply.
func (s *Server) RewriteConfig() error {
	if s.configFile == "" {
		return errNoConfigFile
	}
	s.cfgMu.Lock() // no CONFIG SET or reload while the file is written
	defer s.cfgMu.Unlock()
	if err := config.Rewrite(s.configFile, s.Config()); err != nil {
		if errors.Is(err, config.ErrNoConfigFile) {
			return errNoConfigFile
		}
		s.log.Warn("CONFIG REWRITE failed", "file", s.configFile, "err", err)
		return errors.New("ERR Rewriting config file: " + strings.TrimPrefix(err.Error(), "config: "))
	}
	s.log.Info("configuration file rewritten", "file", s.configFile)
	return nil
}

func configHelp(c *client, _ [][]byte) {
	lines := []string{
		"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"RESETSTAT", "    Reset statistics reported by the INFO command.",
		"REWRITE", "    Rewrite the configuration file.",
		"HELP", "    Prints this help.",
	}
	c.out.WriteArrayLen(len(lines))
	for _, l := range lines {
		c.out.WriteSimple(l)
	}
}

// listenAddr returns the bound TCP address, or nil before Serve.
func (s *Server) listenAddr() *net.TCPAddr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	a, _ := s.ln.Addr().(*net.TCPAddr)
	return a
}
