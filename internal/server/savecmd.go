package server

import (
	"strings"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
)

// SAVE, BGSAVE and LASTSAVE. Kiwi has no snapshots to take: every write is
// in the storage engine's log when it is acknowledged (fsynced unless
// storage.sync is off), so the data is always "saved". SAVE and BGSAVE
// answer as Redis does when a save succeeds; LASTSAVE answers the current
// time, the moment of the last write that is on disk at the latest.

func (s *Server) saveCommands() []netCommand {
	admin := []string{"@admin", "@slow", "@dangerous"}
	return []netCommand{
		{&command.Command{Name: "save", Arity: 1,
			Flags: command.Admin | command.NoScript | command.NoAsyncLoading | command.NoMulti, Group: "server",
			Summary: "Synchronously save the dataset to disk", Since: "1.0.0",
			Complexity: "O(N) where N is the total number of keys in all databases", ACLCategories: admin},
			func(c *client, _ [][]byte) { c.out.WriteOK() }},
		{&command.Command{Name: "bgsave", Arity: -1, Flags: command.Admin | command.NoScript | command.NoAsyncLoading,
			Group: "server", Summary: "Asynchronously save the dataset to disk", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: admin}, cmdBGSave},
		{&command.Command{Name: "lastsave", Arity: 1, Flags: command.Loading | command.Stale | command.Fast, Group: "server",
			Summary: "Get the UNIX time stamp of the last successful save to disk", Since: "1.0.0", Complexity: "O(1)",
			ACLCategories: []string{"@admin", "@fast", "@dangerous"}, Tips: []string{"nondeterministic_output"}},
			func(c *client, _ [][]byte) { c.out.WriteInt(time.Now().Unix()) }},
	}
}

// BGSAVE [SCHEDULE]
func cmdBGSave(c *client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "schedule")) {
		c.replyError("ERR syntax error")
		return
	}
	c.out.WriteSimple("Background saving started")
}
