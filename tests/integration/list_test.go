package integration

// Integration tests of the list commands: step tables with Redis 7.0's
// replies (checked against a real redis-server by
// TestCollectionStepsMatchRedis), on every engine and runtime mode.

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
)

var listGroups = []stepGroup{
	{"list-push-pop", []step{
		{"LPUSH l a b c", 3},
		{"RPUSH l d e", 5},
		{"TYPE l", "list"},
		{"LRANGE l 0 -1", []any{"c", "b", "a", "d", "e"}},
		{"LPUSHX l x", 6},
		{"RPUSHX l y", 7},
		{"LPUSHX l p q", 9},
		{"RPUSHX l r s", 11},
		{"LPUSHX nokey x", 0},
		{"RPUSHX nokey x y", 0},
		{"EXISTS nokey", 0},
		{"LLEN l", 11},
		{"LLEN nokey", 0},
		{"LRANGE l 0 -1", []any{"q", "p", "x", "c", "b", "a", "d", "e", "y", "r", "s"}},
		{"LPOP l", "q"},
		{"RPOP l", "s"},
		{"LPOP l 2", []any{"p", "x"}},
		{"RPOP l 2", []any{"r", "y"}},
		{"LPOP l 0", []any{}},
		{"RPOP l 1", []any{"e"}},
		{"LPOP l 10", []any{"c", "b", "a", "d"}},
		{"EXISTS l", 0},
		{"LPOP l", null},
		{"RPOP l", null},
		{"LPOP l 2", null},
		{"RPOP l 0", null},
		{`RPUSH b "\x00\r\n" ""`, 2},
		{"LRANGE b 0 -1", []any{"\x00\r\n", ""}},
		{"LPOP b -1", errReply("ERR value is out of range, must be positive")},
		{"RPOP b x", errReply("ERR value is out of range, must be positive")},
		{"LPOP b 1 2", errReply("ERR wrong number of arguments for 'lpop' command")},
		{"LPUSH l", errReply("ERR wrong number of arguments for 'lpush' command")},
		{"RPUSH l", errReply("ERR wrong number of arguments for 'rpush' command")},
		{"LPUSHX l", errReply("ERR wrong number of arguments for 'lpushx' command")},
		{"RPUSHX l", errReply("ERR wrong number of arguments for 'rpushx' command")},
		{"RPOP", errReply("ERR wrong number of arguments for 'rpop' command")},
		{"LLEN", errReply("ERR wrong number of arguments for 'llen' command")},
		{"LLEN b", 2},
	}},
	{"list-index-range-set", []step{
		{"RPUSH l a b c d e", 5},
		{"LINDEX l 0", "a"},
		{"LINDEX l -1", "e"},
		{"LINDEX l 2", "c"},
		{"LINDEX l -5", "a"},
		{"LINDEX l 5", null},
		{"LINDEX l -6", null},
		{"LINDEX nokey 0", null},
		{"LINDEX l x", errReply("ERR value is not an integer or out of range")},
		{"LRANGE l 1 3", []any{"b", "c", "d"}},
		{"LRANGE l -2 -1", []any{"d", "e"}},
		{"LRANGE l -100 100", []any{"a", "b", "c", "d", "e"}},
		{"LRANGE l 3 1", []any{}},
		{"LRANGE l 10 20", []any{}},
		{"LRANGE l -1 -2", []any{}},
		{"LRANGE nokey 0 -1", []any{}},
		{"LRANGE l a 1", errReply("ERR value is not an integer or out of range")},
		{"LSET l 0 A", "OK"},
		{"LSET l -1 E", "OK"},
		{"LSET l 2 C", "OK"},
		{"LRANGE l 0 -1", []any{"A", "b", "C", "d", "E"}},
		{"LSET l 5 x", errReply("ERR index out of range")},
		{"LSET l -6 x", errReply("ERR index out of range")},
		{"LSET nokey 0 x", errReply("ERR no such key")},
		{"LSET l x y", errReply("ERR value is not an integer or out of range")},
		{"LINDEX l", errReply("ERR wrong number of arguments for 'lindex' command")},
		{"LRANGE l 0", errReply("ERR wrong number of arguments for 'lrange' command")},
		{"LSET l 0", errReply("ERR wrong number of arguments for 'lset' command")},
	}},
	{"list-trim-rem-insert", []step{
		{"RPUSH l a b c d e f", 6},
		{"LTRIM l 1 -2", "OK"},
		{"LRANGE l 0 -1", []any{"b", "c", "d", "e"}},
		{"LTRIM l 0 100", "OK"},
		{"LRANGE l 0 -1", []any{"b", "c", "d", "e"}},
		{"LTRIM l -2 -1", "OK"},
		{"LRANGE l 0 -1", []any{"d", "e"}},
		{"LTRIM l 5 1", "OK"},
		{"EXISTS l", 0},
		{"LTRIM nokey 0 1", "OK"},
		{"LTRIM l a 1", errReply("ERR value is not an integer or out of range")},
		{"RPUSH r a b a c a b", 6},
		{"LREM r 2 a", 2},
		{"LRANGE r 0 -1", []any{"b", "c", "a", "b"}},
		{"LREM r -1 b", 1},
		{"LRANGE r 0 -1", []any{"b", "c", "a"}},
		{"LREM r 0 c", 1},
		{"LREM r 0 z", 0},
		{"LREM nokey 0 a", 0},
		{"LREM r x a", errReply("ERR value is not an integer or out of range")},
		{"LINSERT r BEFORE a x", 3},
		{"LINSERT r AFTER a y", 4},
		{"LINSERT r after b z", 5},
		{"LINSERT r before b w", 6},
		{"LRANGE r 0 -1", []any{"w", "b", "z", "x", "a", "y"}},
		{"LINSERT r BEFORE nope q", -1},
		{"LINSERT nokey BEFORE a q", 0},
		{"EXISTS nokey", 0},
		{"LINSERT r MIDDLE a q", errReply("ERR syntax error")},
		{"RPUSH d x x x", 3},
		{"LREM d 0 x", 3},
		{"EXISTS d", 0},
		{"RPUSH t a b c", 3},
		{"EXPIRE t 100", 1},
		{"LPUSH t z", 4},
		{"RPOP t", "c"},
		{"LSET t 0 y", "OK"},
		{"LINSERT t AFTER y i", 4},
		{"LREM t 1 a", 1},
		{"LTRIM t 0 1", "OK"},
		{"LRANGE t 0 -1", []any{"y", "i"}},
		{"TTL t", intIn{95, 100}},
		{"LTRIM l 0", errReply("ERR wrong number of arguments for 'ltrim' command")},
		{"LREM l 0", errReply("ERR wrong number of arguments for 'lrem' command")},
		{"LINSERT l BEFORE a", errReply("ERR wrong number of arguments for 'linsert' command")},
	}},
	{"lpos", []step{
		{"RPUSH l a b c a b c a", 7},
		{"LPOS l a", 0},
		{"LPOS l c", 2},
		{"LPOS l a RANK 2", 3},
		{"LPOS l a RANK 4", null},
		{"LPOS l a RANK -1", 6},
		{"LPOS l a RANK -2", 3},
		{"LPOS l a COUNT 0", []any{0, 3, 6}},
		{"LPOS l a COUNT 2", []any{0, 3}},
		{"LPOS l a COUNT 2 RANK -1", []any{6, 3}},
		{"LPOS l a RANK 2 COUNT 0", []any{3, 6}},
		{"LPOS l a MAXLEN 1", 0},
		{"LPOS l c MAXLEN 2", null},
		{"LPOS l c COUNT 0 MAXLEN 3", []any{2}},
		{"LPOS l c RANK -1 MAXLEN 2", 5},
		{"LPOS l b COUNT 0 MAXLEN 0", []any{1, 4}},
		{"LPOS l z", null},
		{"LPOS l z COUNT 0", []any{}},
		{"LPOS nokey a", null},
		{"LPOS nokey a COUNT 1", []any{}},
		{"LPOS l a RANK 0", errReply("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")},
		{"LPOS l a COUNT -1", errReply("ERR COUNT can't be negative")},
		{"LPOS l a MAXLEN -1", errReply("ERR MAXLEN can't be negative")},
		{"LPOS l a RANK x", errReply("ERR value is not an integer or out of range")},
		{"LPOS l a FOO", errReply("ERR syntax error")},
		{"LPOS l a RANK", errReply("ERR syntax error")},
		{"LPOS l", errReply("ERR wrong number of arguments for 'lpos' command")},
	}},
	{"lmove-rpoplpush-lmpop", []step{
		{"RPUSH src a b c", 3},
		{"LMOVE src dst LEFT RIGHT", "a"},
		{"LMOVE src dst right left", "c"},
		{"LRANGE src 0 -1", []any{"b"}},
		{"LRANGE dst 0 -1", []any{"c", "a"}},
		{"RPOPLPUSH src dst", "b"},
		{"EXISTS src", 0},
		{"LRANGE dst 0 -1", []any{"b", "c", "a"}},
		{"RPOPLPUSH src dst", null},
		{"LMOVE src dst LEFT LEFT", null},
		{"EXISTS src", 0},
		// Same key: a rotation.
		{"LMOVE dst dst LEFT RIGHT", "b"},
		{"LRANGE dst 0 -1", []any{"c", "a", "b"}},
		{"RPOPLPUSH dst dst", "b"},
		{"LRANGE dst 0 -1", []any{"b", "c", "a"}},
		{"LMOVE dst dst LEFT LEFT", "b"},
		{"LRANGE dst 0 -1", []any{"b", "c", "a"}},
		{"LMOVE dst other UP DOWN", errReply("ERR syntax error")},
		// A destination of the wrong type: nothing is popped.
		{"SET str v", "OK"},
		{"LMOVE dst str LEFT LEFT", errReply(collWrongType)},
		{"RPOPLPUSH dst str", errReply(collWrongType)},
		{"RPOPLPUSH str dst", errReply(collWrongType)},
		{"LRANGE dst 0 -1", []any{"b", "c", "a"}},
		// A missing source answers nil without looking at the destination.
		{"LMOVE nokey str LEFT LEFT", null},
		{"RPOPLPUSH nokey str", null},
		// The destination keeps its TTL.
		{"RPUSH t x", 1},
		{"EXPIRE t 100", 1},
		{"LMOVE dst t LEFT RIGHT", "b"},
		{"LRANGE t 0 -1", []any{"x", "b"}},
		{"TTL t", intIn{95, 100}},
		{"LMPOP 2 nokey dst LEFT", []any{"dst", []any{"c"}}},
		{"LMPOP 2 dst t RIGHT COUNT 5", []any{"dst", []any{"a"}}},
		{"EXISTS dst", 0},
		{"LMPOP 2 dst t left count 1", []any{"t", []any{"x"}}},
		{"LMPOP 1 dst LEFT", null},
		{"LMPOP 0 dst LEFT", errReply("ERR numkeys should be greater than 0")},
		{"LMPOP -1 dst LEFT", errReply("ERR numkeys should be greater than 0")},
		{"LMPOP x dst LEFT", errReply("ERR numkeys should be greater than 0")},
		{"LMPOP 3 dst LEFT", errReply("ERR syntax error")},
		{"LMPOP 1 dst LEFT COUNT 0", errReply("ERR count should be greater than 0")},
		{"LMPOP 1 dst LEFT COUNT", errReply("ERR syntax error")},
		{"LMPOP 1 dst MIDDLE", errReply("ERR syntax error")},
		{"LMPOP 1 str LEFT", errReply(collWrongType)},
		{"LMPOP 2 nokey str LEFT", errReply(collWrongType)},
		{"LMOVE src dst LEFT", errReply("ERR wrong number of arguments for 'lmove' command")},
		{"RPOPLPUSH src", errReply("ERR wrong number of arguments for 'rpoplpush' command")},
		{"LMPOP 1 l", errReply("ERR wrong number of arguments for 'lmpop' command")},
		{"LRANGE t 0 -1", []any{"b"}},
	}},
	{"list-wrongtype", wrongTypeSteps(
		"LPUSH str a", "RPUSH str a", "LPUSHX str a", "RPUSHX str a", "LPOP str", "RPOP str 2",
		"LLEN str", "LINDEX str 0", "LRANGE str 0 -1", "LSET str 0 a", "LTRIM str 0 1",
		"LREM str 0 a", "LINSERT str BEFORE a b", "LPOS str a", "LMOVE str l LEFT LEFT",
		"RPOPLPUSH str l", "LMPOP 1 str LEFT",
	)},
}

// TestListCommands runs the list step tables on every engine and mode.
func TestListCommands(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		runCollGroups(t, c, listGroups)
	})
}

// TestListWatchTouchedByLTrim: LTRIM counts as a modification of the key
// for WATCH even when it removes nothing, as in Redis 7.0 (ltrimCommand
// always calls signalModifiedKey); docs/transactions.md promises that
// Kiwi may abort where Redis would run, never the other way round.
func TestListWatchTouchedByLTrim(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)
		if err := c.RPush(ctx, "l", "a", "b").Err(); err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int64{{0, 0}, {0, -1}} { // trims one, then none
			err := c.Watch(ctx, func(tx *redis.Tx) error {
				if err := other.LTrim(ctx, "l", r[0], r[1]).Err(); err != nil {
					return err
				}
				_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
					pipe.Ping(ctx)
					return nil
				})
				return err
			}, "l")
			if !errors.Is(err, redis.TxFailedErr) {
				t.Errorf("EXEC after another client's LTRIM l %d %d of the watched key: %v, want it aborted", r[0], r[1], err)
			}
		}
	})
}
