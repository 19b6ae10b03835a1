package command

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// redisCommandInfo is one entry of testdata/redis-command-info.json: the
// first eight fields of Redis 7.0.15's COMMAND INFO reply (name, arity,
// flags, first key, last key, key step, ACL categories, tips) and the
// names of the subcommands. Regenerate with
//
//	redis-cli -p PORT --json COMMAND INFO | python3 -c '...'
//
// keeping the format (one command per line, sorted by name).
type redisCommandInfo struct {
	name                      string
	arity                     int
	flags                     []string
	firstKey, lastKey, step   int
	acl, tips, subcommandList []string
}

func loadRedisCommandInfo(t *testing.T) map[string]redisCommandInfo {
	t.Helper()
	data, err := os.ReadFile("testdata/redis-command-info.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw [][]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]redisCommandInfo, len(raw))
	for _, r := range raw {
		var c redisCommandInfo
		fields := []any{&c.name, &c.arity, &c.flags, &c.firstKey, &c.lastKey, &c.step, &c.acl, &c.tips, &c.subcommandList}
		if len(r) != len(fields) {
			t.Fatalf("bad entry %s", r)
		}
		for i, f := range fields {
			if err := json.Unmarshal(r[i], f); err != nil {
				t.Fatalf("entry %s field %d: %v", r, i, err)
			}
		}
		out[c.name] = c
	}
	return out
}

// TestCommandTableMatchesRedis checks every registered command's COMMAND
// INFO metadata against Redis 7.0.15's: clients (cluster clients in
// particular) route and classify commands by it.
func TestCommandTableMatchesRedis(t *testing.T) {
	redis := loadRedisCommandInfo(t)
	table := NewTable()
	Register(table)
	for _, c := range table.All() {
		r, ok := redis[c.Name]
		if !ok {
			t.Errorf("%s: not a Redis 7.0 command", c.Name)
			continue
		}
		if c.Arity != r.arity {
			t.Errorf("%s: arity %d, Redis %d", c.Name, c.Arity, r.arity)
		}
		if got := c.Flags.Names(); !sameSet(got, r.flags) {
			t.Errorf("%s: flags %v, Redis %v", c.Name, got, r.flags)
		}
		if c.FirstKey != r.firstKey || c.LastKey != r.lastKey || c.KeyStep != r.step {
			t.Errorf("%s: keys %d %d %d, Redis %d %d %d", c.Name, c.FirstKey, c.LastKey, c.KeyStep, r.firstKey, r.lastKey, r.step)
		}
		if !sameSet(c.ACLCategories, r.acl) {
			t.Errorf("%s: ACL categories %v, Redis %v", c.Name, c.ACLCategories, r.acl)
		}
		if !sameSet(c.Tips, r.tips) {
			t.Errorf("%s: tips %v, Redis %v", c.Name, c.Tips, r.tips)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
