package command

import (
	"errors"

	"github.com/kiwidb/kiwi/internal/keyspace"
)

// lcsCommands returns LCS.
func lcsCommands() []*Command {
	return []*Command{
		{Name: "lcs", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 2, KeyStep: 1, Group: "string",
			Summary: "Find longest common substring", Since: "7.0.0",
			Complexity:    "O(N*M) where N and M are the lengths of s1 and s2, respectively",
			ACLCategories: aclReadStringS, Run: cmdLCS},
	}
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
//
// A port of Redis 7.0's lcsCommand: the same dynamic-programming table
// (bounded by proto-max-bulk-len, as in Redis), the same walk back from
// the end, so the same matches in the same order.
func cmdLCS(c *Ctx) {
	a, errA := lcsString(c, c.Args[1])
	b, errB := lcsString(c, c.Args[2])
	if errA != nil || errB != nil {
		err := errA
		if err == nil {
			err = errB
		}
		if errors.Is(err, keyspace.ErrWrongType) {
			c.Error("ERR The specified keys must contain string values")
		} else {
			replyErr(c, err)
		}
		return
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		switch {
		case equalFold(opt, "idx"):
			getIdx = true
		case equalFold(opt, "len"):
			getLen = true
		case equalFold(opt, "withmatchlen"):
			withMatchLen = true
		case equalFold(opt, "minmatchlen") && j+1 < len(c.Args):
			n, ok := intArg(c, c.Args[j+1])
			if !ok {
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	alen, blen := len(a), len(b)
	cells := int64(alen+1) * int64(blen+1)
	if cells*4 > maxBulk(c) {
		c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	lcs := make([]uint32, cells)
	at := func(i, j int) uint32 { return lcs[j+i*(blen+1)] }
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			switch {
			case a[i-1] == b[j-1]:
				lcs[j+i*(blen+1)] = at(i-1, j-1) + 1
			default:
				lcs[j+i*(blen+1)] = max(at(i-1, j), at(i, j-1))
			}
		}
	}
	idx := int(at(alen, blen))
	if getLen {
		c.Out.WriteInt(int64(idx))
		return
	}
	result := make([]byte, idx)
	type match struct{ aStart, aEnd, bStart, bEnd, length int }
	var matches []match
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		matchLen := aEnd - aStart + 1
		if emit {
			if minMatchLen == 0 || int64(matchLen) >= minMatchLen {
				matches = append(matches, match{aStart, aEnd, bStart, bEnd, matchLen})
			}
			aStart = alen // restart at the next match
		}
	}
	if !getIdx {
		c.Out.WriteBulk(result)
		return
	}
	if c.Out.Proto() == 3 {
		c.Out.WriteMapLen(2)
	} else {
		c.Out.WriteArrayLen(4)
	}
	c.Out.WriteBulkString("matches")
	c.Out.WriteArrayLen(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.Out.WriteArrayLen(3)
		} else {
			c.Out.WriteArrayLen(2)
		}
		c.Out.WriteArrayLen(2)
		c.Out.WriteInt(int64(m.aStart))
		c.Out.WriteInt(int64(m.aEnd))
		c.Out.WriteArrayLen(2)
		c.Out.WriteInt(int64(m.bStart))
		c.Out.WriteInt(int64(m.bEnd))
		if withMatchLen {
			c.Out.WriteInt(int64(m.length))
		}
	}
	c.Out.WriteBulkString("len")
	c.Out.WriteInt(int64(at(alen, blen)))
}

// lcsString reads an LCS operand: a missing key is the empty string.
func lcsString(c *Ctx, key []byte) ([]byte, error) {
	v, _, err := c.Tx.GetString(c.DB, key, c.Now)
	return v, err
}
