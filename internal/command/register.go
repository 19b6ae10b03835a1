package command

import (
	"errors"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/redisnum"
)

// Register adds every storage command implemented in this package (strings,
// bitmaps, generic key commands, FLUSHDB/FLUSHALL) to t.
func Register(t *Table) {
	t.Add(stringCommands()...)
	t.Add(bitmapCommands()...)
	t.Add(keyCommands()...)
	t.Add(databaseCommands()...)
	t.Add(hashCommands()...)
	t.Add(copyCommands()...)
	t.Add(lcsCommands()...)
	t.Add(introspectionCommands()...)
	t.Add(listCommands()...)
	t.Add(blockingListCommands()...)
	t.Add(setCommands()...)
	t.Add(zsetCommands()...)
	t.Add(blockingZSetCommands()...)
	t.Add(sortCommands()...)
	t.Add(streamCommands()...)
	t.Add(streamGroupCommands()...)
}

// ACL category lists shared by many commands.
var (
	aclReadString   = []string{"@read", "@string", "@fast"}
	aclWriteString  = []string{"@write", "@string", "@fast"}
	aclWriteStringS = []string{"@write", "@string", "@slow"}
	aclReadStringS  = []string{"@read", "@string", "@slow"}
	aclKeyRead      = []string{"@keyspace", "@read", "@fast"}
	aclKeyWrite     = []string{"@keyspace", "@write", "@fast"}
	aclKeyWriteS    = []string{"@keyspace", "@write", "@slow"}
)

// defaultMaxBulk is proto-max-bulk-len's default, used when a Ctx carries
// no limit.
const defaultMaxBulk = 512 << 20

// maxBulk returns the largest string a command may create.
func maxBulk(c *Ctx) int64 {
	if c.MaxBulk > 0 {
		return c.MaxBulk
	}
	return defaultMaxBulk
}

// replyErr answers a keyspace error with the matching Redis error reply.
func replyErr(c *Ctx, err error) {
	switch {
	case errors.Is(err, keyspace.ErrWrongType):
		c.Error(ErrWrongType)
	case errors.Is(err, keyspace.ErrNoSuchKey):
		c.Error(ErrNoSuchKey)
	case errors.Is(err, keyspace.ErrStringTooLong):
		c.Error(ErrStringTooLong)
	default:
		c.Fail(err)
	}
}

// intArg parses an integer argument, replying ErrNotInteger on failure.
func intArg(c *Ctx, b []byte) (int64, bool) {
	n, ok := redisnum.ParseInt(b)
	if !ok {
		c.Error(ErrNotInteger)
	}
	return n, ok
}

// equalFold reports whether b equals the lower-case ASCII word s ignoring
// case (strcasecmp for option names).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		ch := b[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != s[i] {
			return false
		}
	}
	return true
}

// writeFlag replies :1 or :0 (Redis answers these commands with integers,
// not RESP3 booleans).
func writeFlag(c *Ctx, b bool) {
	if b {
		c.Out.WriteInt(1)
	} else {
		c.Out.WriteInt(0)
	}
}

// replyOptionalBulk answers a lookup: the error if there is one, else a null
// for a missing value, else the value as a bulk string.
func replyOptionalBulk(c *Ctx, v []byte, ok bool, err error) {
	switch {
	case err != nil:
		replyErr(c, err)
	case !ok:
		c.Out.WriteNull()
	default:
		c.Out.WriteBulk(v)
	}
}

// replyCount answers an integer result or the error.
func replyCount(c *Ctx, n int64, err error) {
	if err != nil {
		replyErr(c, err)
		return
	}
	c.Out.WriteInt(n)
}

// replyBulksOrNull writes vals as an array of bulk strings, a nil one as a
// null (MGET, HMGET).
func replyBulksOrNull(c *Ctx, vals [][]byte) {
	c.Out.WriteArrayLen(len(vals))
	for _, v := range vals {
		if v == nil {
			c.Out.WriteNull()
		} else {
			c.Out.WriteBulk(v)
		}
	}
}
