package server

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestCommandInfoMatchesRedis checks the COMMAND INFO metadata of every
// command the server knows, network commands included, against Redis
// 7.0.15's (recorded in internal/command/testdata/redis-command-info.json):
// clients route and classify commands by it. Flags are compared in order,
// as COMMAND INFO lists them.
func TestCommandInfoMatchesRedis(t *testing.T) {
	data, err := os.ReadFile("../command/testdata/redis-command-info.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw [][]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	type info struct {
		arity            int
		flags, acl, tips []string
		first, last, stp int
	}
	redis := map[string]info{}
	for _, r := range raw {
		var name string
		var in info
		for i, f := range []any{&name, &in.arity, &in.flags, &in.first, &in.last, &in.stp, &in.acl, &in.tips} {
			if err := json.Unmarshal(r[i], f); err != nil {
				t.Fatal(err)
			}
		}
		redis[name] = in
	}
	s, _, _ := startInProcessServer(t, "dual", nil)
	for _, c := range s.table.All() {
		r, ok := redis[c.Name]
		if !ok {
			t.Errorf("%s: not a Redis 7.0 command", c.Name)
			continue
		}
		got := c.Flags.Names()
		if c.Arity != r.arity || !slices.Equal(got, r.flags) || c.FirstKey != r.first || c.LastKey != r.last || c.KeyStep != r.stp {
			t.Errorf("%s: arity %d flags %v keys %d,%d,%d; Redis %d %v %d,%d,%d", c.Name, c.Arity, got,
				c.FirstKey, c.LastKey, c.KeyStep, r.arity, r.flags, r.first, r.last, r.stp)
		}
		sort := func(s []string) string { s = slices.Clone(s); slices.Sort(s); return strings.Join(s, " ") }
		if sort(c.ACLCategories) != sort(r.acl) || sort(c.Tips) != sort(r.tips) {
			t.Errorf("%s: ACL %v tips %v; Redis %v %v", c.Name, c.ACLCategories, c.Tips, r.acl, r.tips)
		}
	}
}
