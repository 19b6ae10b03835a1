package keyspace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kiwidb/kiwi/internal/engine"
)

// Sorted sets.
//
// A sorted set is a collection (collection.go) with two data records per
// member, in two families under dataPrefix(version):
//
//	'm' member                  → score (math.Float64bits, 8 bytes BE)
//	's' scoreKey(score) member  → empty
//
// The member record answers ZSCORE and membership with one point read. The
// score index is the order of the set: scoreKey is an order-preserving
// encoding of the score, so the 's' family iterates in Redis's order
// (score, then member bytes) and every range query is an iterator scan
// that starts with a seek: BYSCORE and BYLEX ranges seek to their first
// member, rank ranges step from whichever end of the index is nearer. No
// rank counts are kept, so a rank costs one iterator step per member
// before it: ZRANK is O(min(rank, N-rank)).
//
// Scores are never NaN. A score of -0 is stored as 0, as Redis's listpack
// encoding (every sorted set of up to 128 members) stores it; replies that
// show a computed score (ZADD INCR, ZINCRBY, ZUNION...) still show -0.

// Sub-key tags of the two record families of a sorted set.
const (
	zsetMemberTag byte = 'm'
	zsetScoreTag  byte = 's'
)

// scoreKeyLen is the length of a scoreKey.
const scoreKeyLen = 8

// ErrNaNScore is returned when an increment would make a score NaN
// (ZINCRBY or ZADD INCR adding -inf to +inf). Nothing is written.
var ErrNaNScore = errors.New("keyspace: resulting score is not a number (NaN)")

// appendScoreKey appends the order-preserving encoding of score to dst:
// the float64 bits (of +0 for -0) with the sign bit flipped for positive
// numbers and every bit flipped for negative ones, big-endian, so that
// bytes.Compare of two encodings orders them as their scores.
func appendScoreKey(dst []byte, score float64) []byte {
	if score == 0 {
		score = 0 // -0 sorts with 0
	}
	b := math.Float64bits(score)
	if b&(1<<63) != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, b)
}

// decodeScoreKey decodes the score at the start of a score index suffix.
// It returns an error wrapping ErrCorrupt for a short input or a NaN.
func decodeScoreKey(b []byte) (float64, error) {
	if len(b) < scoreKeyLen {
		return 0, fmt.Errorf("%w: sorted set score key of %d bytes", ErrCorrupt, len(b))
	}
	u := binary.BigEndian.Uint64(b)
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	f := math.Float64frombits(u)
	if math.IsNaN(f) {
		return 0, fmt.Errorf("%w: sorted set score key is NaN", ErrCorrupt)
	}
	return f, nil
}

// decodeScore decodes the value of a member record.
func decodeScore(b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: sorted set score of %d bytes", ErrCorrupt, len(b))
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(b))
	if math.IsNaN(f) {
		return 0, fmt.Errorf("%w: sorted set score is NaN", ErrCorrupt)
	}
	return f, nil
}

// ScoredMembers is a list of sorted set members with their scores.
type ScoredMembers struct {
	// Members holds the members, Scores the score of each.
	Members Elems
	Scores  []float64
}

// Len returns the number of members.
func (s *ScoredMembers) Len() int { return len(s.Scores) }

// Add appends a copy of member with its score.
func (s *ScoredMembers) Add(member []byte, score float64) {
	s.Members.Add(member)
	s.Scores = append(s.Scores, score)
}

// reverse reverses the order of the list.
func (s *ScoredMembers) reverse() {
	var r ScoredMembers
	r.Members.buf = make([]byte, 0, len(s.Members.buf))
	for i := s.Len() - 1; i >= 0; i-- {
		r.Add(s.Members.At(i), s.Scores[i])
	}
	*s = r
}

// zsetMemberKey builds the member record key of member in t.kbuf.
func (t *Tx) zsetMemberKey(version uint64, member []byte) []byte {
	k := append(appendDataPrefix(t.keyBuf(), version), zsetMemberTag)
	t.kbuf = append(k, member...)
	return t.kbuf
}

// zsetIndexKey builds the score index key of member with score in t.kbuf.
func (t *Tx) zsetIndexKey(version uint64, score float64, member []byte) []byte {
	k := append(appendDataPrefix(t.keyBuf(), version), zsetScoreTag)
	t.kbuf = append(appendScoreKey(k, score), member...)
	return t.kbuf
}

// zsetScore returns the score of member in the sorted set of version.
func (t *Tx) zsetScore(version uint64, member []byte) (float64, bool, error) {
	v, found, err := t.lookup(t.zsetMemberKey(version, member))
	if err != nil {
		return 0, false, fmt.Errorf("keyspace: read sorted set member: %w", err)
	}
	if !found {
		return 0, false, nil
	}
	f, err := decodeScore(v)
	return f, err == nil, err
}

// zsetPut writes the records of member with score (a member that is not
// in the set, or whose records zsetDel removed).
func (t *Tx) zsetPut(version uint64, member []byte, score float64) {
	if score == 0 {
		score = 0 // store -0 as 0
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], math.Float64bits(score))
	t.set(t.zsetMemberKey(version, member), v[:])
	t.set(t.zsetIndexKey(version, score, member), nil)
}

// zsetDel deletes the records of member, whose score is score.
func (t *Tx) zsetDel(version uint64, member []byte, score float64) {
	t.del(t.zsetMemberKey(version, member))
	t.del(t.zsetIndexKey(version, score, member))
}

// zIter walks the score index of one sorted set.
type zIter struct {
	it     engine.Iterator
	prefix []byte // dataPrefix(version) + 's'
	seek   []byte // scratch for seek keys
}

// zsetIter returns an iterator over the score index of version, not
// positioned.
func (t *Tx) zsetIter(version uint64) (*zIter, error) {
	prefix := append(appendDataPrefix(make([]byte, 0, dataPrefixLen+1), version), zsetScoreTag)
	it, err := t.iter(prefix, prefixEnd(prefix))
	if err != nil {
		return nil, fmt.Errorf("keyspace: iterate sorted set: %w", err)
	}
	return &zIter{it: it, prefix: prefix}, nil
}

// cur decodes the entry the iterator is at. member is valid until the
// iterator moves.
func (z *zIter) cur() (score float64, member []byte, err error) {
	k := z.it.Key()[len(z.prefix):]
	score, err = decodeScoreKey(k)
	return score, k[min(scoreKeyLen, len(k)):], err
}

// key builds prefix + scoreKey(score) + member + tail in z.seek.
func (z *zIter) key(score float64, member []byte, tail ...byte) []byte {
	z.seek = append(appendScoreKey(append(z.seek[:0], z.prefix...), score), member...)
	z.seek = append(z.seek, tail...)
	return z.seek
}

// seekGE moves to the first entry >= (score, member), or with ex past
// every entry of score (member is then ignored).
func (z *zIter) seekGE(score float64, member []byte, ex bool) bool {
	if ex {
		return z.it.SeekGE(prefixEnd(z.key(score, nil)))
	}
	return z.it.SeekGE(z.key(score, member))
}

// seekLE moves to the last entry of score at most score (with every
// member of score included), or with ex to the last entry below score.
func (z *zIter) seekLE(score float64, ex bool) bool {
	if ex {
		return z.it.SeekLT(z.key(score, nil))
	}
	return z.it.SeekLT(prefixEnd(z.key(score, nil)))
}

func (z *zIter) close() error {
	if err := z.it.Close(); err != nil {
		return fmt.Errorf("keyspace: iterate sorted set: %w", err)
	}
	return nil
}

// ZAddFlags are the options of ZSetAdd (ZADD's NX, XX, GT, LT and INCR).
type ZAddFlags uint8

// ZSetAdd flags.
const (
	// ZAddNX only adds new members.
	ZAddNX ZAddFlags = 1 << iota
	// ZAddXX only updates existing members.
	ZAddXX
	// ZAddGT updates an existing member only to a greater score.
	ZAddGT
	// ZAddLT updates an existing member only to a lower score.
	ZAddLT
	// ZAddIncr adds the score to the member's (0 for a new member).
	ZAddIncr
)

// ZAddResult is what ZSetAdd did.
type ZAddResult struct {
	// Added counts new members, Updated existing ones whose score changed,
	// Processed the members not skipped because of NX, XX, GT or LT.
	Added, Updated, Processed int64
	// Score is the new score of the last processed member (the reply of
	// ZADD INCR and ZINCRBY when Processed is 1).
	Score float64
}

// ZSetAdd adds members with their scores (ZADD, ZINCRBY), creating the
// sorted set at key, under flags with Redis's semantics: a member given
// twice is processed twice, in order. Scores must not be NaN; an increment
// that produces NaN fails with ErrNaNScore (before writing anything for
// that member: ZADD INCR takes one member, and a failed command's writes
// are discarded anyway). With ZAddXX a missing key stays missing.
func (t *Tx) ZSetAdd(db int, key []byte, now int64, flags ZAddFlags, scores []float64, members [][]byte) (ZAddResult, error) {
	var res ZAddResult
	var m Meta
	var found bool
	var err error
	if flags&ZAddXX != 0 {
		m, found, err = t.collectionForWrite(db, key, now, TypeZSet)
		if err != nil || !found {
			return res, err
		}
	} else if m, found, err = t.openCollection(db, key, now, TypeZSet); err != nil {
		return res, err
	}
	old := m
	nx, xx, gt, lt, incr := flags&ZAddNX != 0, flags&ZAddXX != 0, flags&ZAddGT != 0, flags&ZAddLT != 0, flags&ZAddIncr != 0
	for i, member := range members {
		score := scores[i]
		cur, exists, err := t.zsetScore(m.Version, member)
		if err != nil {
			return res, err
		}
		switch {
		case exists && nx, !exists && xx:
			continue
		case exists:
			if incr {
				if score += cur; math.IsNaN(score) {
					return res, ErrNaNScore
				}
			}
			if (lt && score >= cur) || (gt && score <= cur) {
				continue
			}
			if score != cur {
				t.zsetDel(m.Version, member, cur)
				t.zsetPut(m.Version, member, score)
				res.Updated++
			}
		default:
			t.zsetPut(m.Version, member, score)
			m.Len++
			res.Added++
		}
		res.Processed++
		res.Score = score
	}
	t.saveCollection(db, key, &old, found, &m)
	return res, nil
}

// ZSetRem removes members from the sorted set at key and returns how many
// were there. The key is removed with its last member.
func (t *Tx) ZSetRem(db int, key []byte, members [][]byte, now int64) (int64, error) {
	m, found, err := t.collectionForWrite(db, key, now, TypeZSet)
	if err != nil || !found {
		return 0, err
	}
	old := m
	for _, member := range members {
		score, exists, err := t.zsetScore(m.Version, member)
		if err != nil {
			return 0, err
		}
		if exists {
			t.zsetDel(m.Version, member, score)
			m.Len--
		}
	}
	t.saveCollection(db, key, &old, found, &m)
	return old.Len - m.Len, nil
}

// ZSetCard returns the number of members of the sorted set at key (0 if
// missing).
func (t *Tx) ZSetCard(db int, key []byte, now int64) (int64, error) {
	m, _, err := t.getCollection(db, key, now, TypeZSet)
	return m.Len, err
}

// ZSetScore returns the score of member in the sorted set at key; ok is
// false when the key or the member is missing.
func (t *Tx) ZSetScore(db int, key, member []byte, now int64) (score float64, ok bool, err error) {
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return 0, false, err
	}
	return t.zsetScore(m.Version, member)
}

// ZSetMScore returns the scores of members in the sorted set at key, and
// for each whether it is there (a missing key has no members).
func (t *Tx) ZSetMScore(db int, key []byte, members [][]byte, now int64) ([]float64, []bool, error) {
	scores, found := make([]float64, len(members)), make([]bool, len(members))
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return scores, found, err
	}
	for i, member := range members {
		if scores[i], found[i], err = t.zsetScore(m.Version, member); err != nil {
			return nil, nil, err
		}
	}
	return scores, found, nil
}

// ZSetRank returns the rank of member in the sorted set at key: its
// 0-based position by ascending score, or by descending score with rev.
// ok is false when the key or the member is missing. It walks the score
// index from both ends at once, so it costs O(min(rank, N-rank)) steps.
func (t *Tx) ZSetRank(db int, key, member []byte, now int64, rev bool) (rank int64, ok bool, err error) {
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return 0, false, err
	}
	score, ok, err := t.zsetScore(m.Version, member)
	if err != nil || !ok {
		return 0, false, err
	}
	fwd, err := t.zsetIter(m.Version)
	if err != nil {
		return 0, false, err
	}
	defer fwd.close()
	back, err := t.zsetIter(m.Version)
	if err != nil {
		return 0, false, err
	}
	defer back.close()
	target := slices.Clone(fwd.key(score, member))
	okF, okB := fwd.it.First(), back.it.Last()
	for i := int64(0); (okF || okB) && i < m.Len; i++ {
		switch {
		case okF && bytes.Equal(fwd.it.Key(), target):
			rank = i
		case okB && bytes.Equal(back.it.Key(), target):
			rank = m.Len - 1 - i
		default:
			okF, okB = fwd.it.Next(), back.it.Prev()
			continue
		}
		if rev {
			rank = m.Len - 1 - rank
		}
		return rank, true, nil
	}
	if err := errors.Join(fwd.it.Error(), back.it.Error()); err != nil {
		return 0, false, fmt.Errorf("keyspace: iterate sorted set: %w", err)
	}
	return 0, false, fmt.Errorf("%w: member %q of a sorted set has no index record", ErrCorrupt, member)
}

// ScoreRange is a range of scores (ZRANGEBYSCORE's min and max, each
// inclusive or exclusive).
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r *ScoreRange) gteMin(score float64) bool {
	if r.MinEx {
		return score > r.Min
	}
	return score >= r.Min
}

func (r *ScoreRange) lteMax(score float64) bool {
	if r.MaxEx {
		return score < r.Max
	}
	return score <= r.Max
}

// LexBound is one end of a lexicographical range: "-" (Inf -1, below
// every string), "+" (Inf 1, above every string), or Value, inclusive
// ("[") or Exclusive ("(").
type LexBound struct {
	Value     []byte
	Exclusive bool
	Inf       int8
}

// LexRange is a range of members (ZRANGEBYLEX's min and max).
type LexRange struct {
	Min, Max LexBound
}

// empty reports whether the range contains no string at all (Redis's
// first test in zslIsInLexRange).
func (r *LexRange) empty() bool {
	var c int
	switch {
	case r.Min.Inf != 0 && r.Min.Inf == r.Max.Inf:
		c = 0
	case r.Min.Inf < 0 || r.Max.Inf > 0:
		c = -1
	case r.Min.Inf > 0 || r.Max.Inf < 0:
		c = 1
	default:
		c = bytes.Compare(r.Min.Value, r.Max.Value)
	}
	// "-" and "+" count as exclusive, as in Redis.
	return c > 0 || (c == 0 && (r.Min.Exclusive || r.Max.Exclusive || r.Min.Inf != 0))
}

func (r *LexRange) gteMin(member []byte) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(member, r.Min.Value)
	return c > 0 || (c == 0 && !r.Min.Exclusive)
}

func (r *LexRange) lteMax(member []byte) bool {
	switch r.Max.Inf {
	case 1:
		return true
	case -1:
		return false
	}
	c := bytes.Compare(member, r.Max.Value)
	return c < 0 || (c == 0 && !r.Max.Exclusive)
}

// ZRangeBy is what a ZRangeSpec ranges over.
type ZRangeBy uint8

// Range kinds.
const (
	// ZByRank ranges over 0-based positions (ZRANGE's default).
	ZByRank ZRangeBy = iota
	// ZByScore ranges over scores (BYSCORE).
	ZByScore
	// ZByLex ranges over members (BYLEX), for a set whose members all
	// have the same score.
	ZByLex
)

// ZRangeSpec selects members of a sorted set: ZRANGE's arguments once
// parsed (and those of the older range commands, ZRANGESTORE, ZCOUNT,
// ZLEXCOUNT and ZREMRANGEBY*).
type ZRangeSpec struct {
	By ZRangeBy
	// Rev walks from the highest score down (ranks then count from the
	// end). Score and Lex are min and max whatever the direction.
	Rev bool
	// Start and Stop are the inclusive positions of ZByRank; negative
	// ones count from the end, as in Redis.
	Start, Stop int64
	Score       ScoreRange
	Lex         LexRange
	// Offset and Limit are LIMIT (ZByScore, ZByLex): skip Offset members
	// of the range, then return at most Limit (all when Limit < 0). A
	// negative Offset selects nothing, as in Redis.
	Offset, Limit int64
}

// zsetVisit is called for each member a walk selects; member is valid
// during the call only.
type zsetVisit func(score float64, member []byte) error

// errStopWalk ends a walk early without an error.
var errStopWalk = errors.New("stop")

// walkRange calls fn for every member spec selects in the sorted set m,
// in the order of the range, except that a rank range is walked from
// whichever end of the set is nearer: reversed then reports that the
// members came in the reverse order of the range.
func (t *Tx) walkRange(m *Meta, spec *ZRangeSpec, fn zsetVisit) (reversed bool, err error) {
	z, err := t.zsetIter(m.Version)
	if err != nil {
		return false, err
	}
	switch spec.By {
	case ZByRank:
		var backward bool
		backward, err = walkRanks(z, m.Len, spec, fn)
		reversed = backward != spec.Rev
	case ZByScore:
		err = walkScores(z, spec, fn)
	default:
		err = walkLex(z, spec, fn)
	}
	if errors.Is(err, errStopWalk) {
		err = nil
	}
	return reversed, errors.Join(err, z.close())
}

// rankBounds turns ZRANGE's start and stop into an inclusive range of
// ascending ranks [from, to] within a set of n members, as Redis sanitises
// them; ok is false for an empty range.
func rankBounds(spec *ZRangeSpec, n int64) (from, to int64, ok bool) {
	start, end := listRange(spec.Start, spec.Stop, n) // [start, end)
	if start >= end {
		return 0, 0, false
	}
	stop := end - 1
	if spec.Rev {
		return n - 1 - stop, n - 1 - start, true
	}
	return start, stop, true
}

func walkRanks(z *zIter, n int64, spec *ZRangeSpec, fn zsetVisit) (backward bool, err error) {
	from, to, ok := rankBounds(spec, n)
	if !ok {
		return false, nil
	}
	// Enter from the nearer end.
	backward = n-1-to < from
	var valid bool
	if backward {
		valid = z.it.Last()
		for i := n - 1; valid && i > to; i-- {
			valid = z.it.Prev()
		}
	} else {
		valid = z.it.First()
		for i := int64(0); valid && i < from; i++ {
			valid = z.it.Next()
		}
	}
	for count := to - from + 1; valid && count > 0; count-- {
		score, member, err := z.cur()
		if err != nil {
			return backward, err
		}
		if err := fn(score, member); err != nil {
			return backward, err
		}
		if backward {
			valid = z.it.Prev()
		} else {
			valid = z.it.Next()
		}
	}
	return backward, z.it.Error()
}

// walkFrom skips spec.Offset entries from the iterator's position, then
// calls fn for entries until inRange fails or spec.Limit is reached,
// moving backward with rev.
func walkFrom(z *zIter, valid bool, spec *ZRangeSpec, inRange func(score float64, member []byte) bool, fn zsetVisit) error {
	step := z.it.Next
	if spec.Rev {
		step = z.it.Prev
	}
	if spec.Offset < 0 {
		return nil
	}
	for i := int64(0); valid && i < spec.Offset; i++ {
		valid = step()
	}
	for limit := spec.Limit; valid && limit != 0; limit-- {
		score, member, err := z.cur()
		if err != nil {
			return err
		}
		if !inRange(score, member) {
			break
		}
		if err := fn(score, member); err != nil {
			return err
		}
		valid = step()
	}
	return z.it.Error()
}

func walkScores(z *zIter, spec *ZRangeSpec, fn zsetVisit) error {
	r := &spec.Score
	if spec.Rev {
		valid := z.seekLE(r.Max, r.MaxEx)
		return walkFrom(z, valid, spec, func(score float64, _ []byte) bool { return r.gteMin(score) }, fn)
	}
	valid := z.seekGE(r.Min, nil, r.MinEx)
	return walkFrom(z, valid, spec, func(score float64, _ []byte) bool { return r.lteMax(score) }, fn)
}

// walkLex walks a lexicographical range exactly as Redis walks a listpack
// (and a skiplist whose members are in lexicographical order): it finds
// the first member (the last one with Rev) of the set, in score order,
// that is within the bound it starts from, and goes on while members are
// within the other bound. Members of one score are in byte order in the
// index, so finding that member takes one seek per distinct score passed:
// a single seek when all scores are equal, the case the commands are
// meant for.
func walkLex(z *zIter, spec *ZRangeSpec, fn zsetVisit) error {
	r := &spec.Lex
	if r.empty() {
		return nil
	}
	// Redis's zzlIsInLexRange: the last member must be >= min and the
	// first <= max.
	if !z.it.Last() {
		return z.it.Error()
	}
	if _, member, err := z.cur(); err != nil || !r.gteMin(member) {
		return err
	}
	if !z.it.First() {
		return z.it.Error()
	}
	if _, member, err := z.cur(); err != nil || !r.lteMax(member) {
		return err
	}
	valid := true
	if spec.Rev {
		valid = z.it.Last()
	}
	for valid {
		score, member, err := z.cur()
		if err != nil {
			return err
		}
		if spec.Rev {
			if r.lteMax(member) {
				if !r.gteMin(member) {
					return nil
				}
				break
			}
			// The last member of this score <= max, or the last member
			// of a lower score.
			var bound []byte
			if r.Max.Exclusive {
				bound = z.key(score, r.Max.Value)
			} else {
				bound = z.key(score, r.Max.Value, 0)
			}
			valid = z.it.SeekLT(bound)
			continue
		}
		if r.gteMin(member) {
			if !r.lteMax(member) {
				return nil
			}
			break
		}
		// The first member of this score >= min, or the first member of
		// a higher score.
		if r.Min.Exclusive {
			valid = z.it.SeekGE(z.key(score, r.Min.Value, 0))
		} else {
			valid = z.it.SeekGE(z.key(score, r.Min.Value))
		}
	}
	if spec.Rev {
		return walkFrom(z, valid, spec, func(_ float64, member []byte) bool { return r.gteMin(member) }, fn)
	}
	return walkFrom(z, valid, spec, func(_ float64, member []byte) bool { return r.lteMax(member) }, fn)
}

// zsetRange returns the members spec selects in the sorted set m, in the
// order of the range.
func (t *Tx) zsetRange(m *Meta, spec *ZRangeSpec) (*ScoredMembers, error) {
	out := &ScoredMembers{}
	reversed, err := t.walkRange(m, spec, func(score float64, member []byte) error {
		out.Add(member, score)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if reversed {
		out.reverse()
	}
	return out, nil
}

// ZSetRange returns the members of the sorted set at key that spec
// selects, with their scores, in the order of the range (ZRANGE and the
// older range commands). A missing key has no members.
func (t *Tx) ZSetRange(db int, key []byte, now int64, spec *ZRangeSpec) (*ScoredMembers, error) {
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return &ScoredMembers{}, err
	}
	return t.zsetRange(&m, spec)
}

// ZSetRangeStore stores the members of the sorted set at src that spec
// selects in a new sorted set at dst (ZRANGESTORE), replacing whatever dst
// held, or deleting dst when the range is empty. It returns the size of
// the new set.
func (t *Tx) ZSetRangeStore(db int, dst, src []byte, now int64, spec *ZRangeSpec) (int64, error) {
	m, ok, err := t.collectionForWrite(db, src, now, TypeZSet)
	if err != nil {
		return 0, err
	}
	res := &ScoredMembers{}
	if ok {
		if res, err = t.zsetRange(&m, spec); err != nil {
			return 0, err
		}
	}
	return t.ZSetStore(db, dst, res, now)
}

// ZSetCount returns the number of members spec selects in the sorted set
// at key (ZCOUNT, ZLEXCOUNT): O(log N + M) for M members counted.
func (t *Tx) ZSetCount(db int, key []byte, now int64, spec *ZRangeSpec) (int64, error) {
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	_, err = t.walkRange(&m, spec, func(float64, []byte) error {
		n++
		return nil
	})
	return n, err
}

// ZSetRemRange removes the members spec selects from the sorted set at
// key (ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX) and returns how
// many. A range that covers the whole set removes the key without
// touching its records (they go to the garbage sweep).
func (t *Tx) ZSetRemRange(db int, key []byte, now int64, spec *ZRangeSpec) (int64, error) {
	m, found, err := t.collectionForWrite(db, key, now, TypeZSet)
	if err != nil || !found {
		return 0, err
	}
	old := m
	all, err := t.coversAll(&m, spec)
	if err != nil {
		return 0, err
	}
	if all {
		m.Len = 0
	} else {
		_, err = t.walkRange(&m, spec, func(score float64, member []byte) error {
			t.zsetDel(m.Version, member, score)
			m.Len--
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	t.saveCollection(db, key, &old, found, &m)
	return old.Len - m.Len, nil
}

// coversAll reports whether spec (without LIMIT) selects every member of
// the sorted set m, judging from its first and last members.
func (t *Tx) coversAll(m *Meta, spec *ZRangeSpec) (bool, error) {
	switch spec.By {
	case ZByRank:
		from, to, ok := rankBounds(spec, m.Len)
		return ok && from == 0 && to == m.Len-1, nil
	case ZByLex:
		if spec.Lex.empty() {
			return false, nil
		}
	}
	z, err := t.zsetIter(m.Version)
	if err != nil {
		return false, err
	}
	var first, last float64
	var firstM, lastM []byte
	if z.it.First() {
		first, firstM, err = z.cur()
		firstM = slices.Clone(firstM)
	}
	if err == nil && z.it.Last() {
		last, lastM, err = z.cur()
	}
	all := firstM != nil && lastM != nil
	if spec.By == ZByScore {
		all = all && spec.Score.gteMin(first) && spec.Score.lteMax(last)
	} else {
		all = all && first == last && spec.Lex.gteMin(firstM) && spec.Lex.lteMax(lastM)
	}
	return all && err == nil, errors.Join(err, z.close())
}

// ZSetPop removes and returns up to count members with the lowest scores
// (the highest with max, then in descending order) from the first of keys
// that exists (ZPOPMIN, ZPOPMAX, ZMPOP and, later, their blocking forms).
// Keys are looked up in order until one exists: a key of another type
// then fails with ErrWrongType. idx is the index of the key popped from,
// -1 when none exists. Count 0 pops nothing from an existing key.
func (t *Tx) ZSetPop(db int, keys [][]byte, now int64, max bool, count int64) (idx int, out *ScoredMembers, err error) {
	out = &ScoredMembers{}
	for i, key := range keys {
		m, found, err := t.collectionForWrite(db, key, now, TypeZSet)
		if err != nil {
			return -1, out, err
		}
		if !found {
			continue
		}
		if count <= 0 {
			return i, out, nil
		}
		old := m
		spec := &ZRangeSpec{By: ZByRank, Rev: max, Start: 0, Stop: min(count, m.Len) - 1}
		if count >= m.Len {
			// Everything goes: the records go with the key.
			if out, err = t.zsetRange(&m, spec); err != nil {
				return -1, nil, err
			}
			m.Len = 0
		} else {
			reversed, err := t.walkRange(&m, spec, func(score float64, member []byte) error {
				out.Add(member, score)
				t.zsetDel(m.Version, member, score)
				m.Len--
				return nil
			})
			if err != nil {
				return -1, nil, err
			}
			if reversed {
				out.reverse()
			}
		}
		t.saveCollection(db, key, &old, found, &m)
		return i, out, nil
	}
	return -1, out, nil
}

// ZSetMembersAt returns the members of the sorted set at key at the given
// ranks (0-based, ascending score order; sorted ascending, no duplicates,
// each below the set's size), in that order: ZRANDMEMBER draws ranks and
// reads them with one walk of the index, from the nearer end when all of
// them are in one half.
func (t *Tx) ZSetMembersAt(db int, key []byte, now int64, ranks []int64) (*ScoredMembers, error) {
	out := &ScoredMembers{}
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok || len(ranks) == 0 {
		return out, err
	}
	z, err := t.zsetIter(m.Version)
	if err != nil {
		return nil, err
	}
	backward := ranks[0] >= m.Len/2
	var valid bool
	var pos int64
	if backward {
		valid, pos = z.it.Last(), m.Len-1
	} else {
		valid = z.it.First()
	}
	for i := range ranks {
		want := ranks[i]
		if backward {
			want = ranks[len(ranks)-1-i]
		}
		for valid && pos != want {
			if backward {
				valid, pos = z.it.Prev(), pos-1
			} else {
				valid, pos = z.it.Next(), pos+1
			}
		}
		if !valid {
			break
		}
		score, member, err := z.cur()
		if err != nil {
			return nil, errors.Join(err, z.close())
		}
		out.Add(member, score)
	}
	if err := errors.Join(z.it.Error(), z.close()); err != nil {
		return nil, err
	}
	if backward {
		out.reverse()
	}
	if out.Len() != len(ranks) {
		return nil, fmt.Errorf("%w: sorted set %q has fewer index records than members", ErrCorrupt, key)
	}
	return out, nil
}

// ZSetOp is a sorted set algebra operation (ZSetCombine).
type ZSetOp uint8

// Operations of ZSetCombine.
const (
	ZUnion ZSetOp = iota
	ZInter
	ZDiff
)

// ZAggregate is how ZUNION and ZINTER combine the scores of a member
// found in several inputs.
type ZAggregate uint8

// Aggregates.
const (
	ZAggSum ZAggregate = iota
	ZAggMin
	ZAggMax
)

// aggregate folds v into *acc exactly as Redis's zunionInterAggregate:
// a sum of +inf and -inf is 0; MIN and MAX keep *acc against a NaN.
func (a ZAggregate) aggregate(acc *float64, v float64) {
	switch a {
	case ZAggSum:
		if *acc += v; math.IsNaN(*acc) {
			*acc = 0
		}
	case ZAggMin:
		if v < *acc {
			*acc = v
		}
	case ZAggMax:
		if v > *acc {
			*acc = v
		}
	}
}

// zsource is an input of ZSetCombine: a sorted set, a set (whose members
// count with score 1), or a missing key (empty).
type zsource struct {
	m      Meta
	weight float64
}

// each calls fn for every member of s with its score.
func (t *Tx) zsourceEach(s *zsource, fn func(member []byte, score float64) error) error {
	var ferr error
	var scan func(suffix, val []byte) bool
	var sub []byte
	switch s.m.Type {
	case TypeZSet:
		sub = []byte{zsetMemberTag}
		scan = func(member, val []byte) bool {
			score, err := decodeScore(val)
			if err == nil {
				err = fn(member, score)
			}
			ferr = err
			return err == nil
		}
	case TypeSet:
		scan = func(member, _ []byte) bool {
			ferr = fn(member, 1)
			return ferr == nil
		}
	default:
		return nil
	}
	err := t.scanElems(s.m.Version, sub, scan)
	if errors.Is(ferr, errStopWalk) {
		ferr = nil
	}
	return errors.Join(ferr, err)
}

// find returns the score of member in s.
func (t *Tx) zsourceFind(s *zsource, member []byte) (float64, bool, error) {
	switch s.m.Type {
	case TypeZSet:
		return t.zsetScore(s.m.Version, member)
	case TypeSet:
		ok, err := t.hasElem(s.m.Version, member)
		return 1, ok, err
	}
	return 0, false, nil
}

// zsources looks keys up as inputs of ZSetCombine; write looks them up as
// write commands do.
func (t *Tx) zsources(db int, keys [][]byte, weights []float64, now int64, write bool) ([]zsource, error) {
	srcs := make([]zsource, len(keys))
	for i, k := range keys {
		var found bool
		var err error
		if write {
			srcs[i].m, found, err = t.lookupForWrite(db, k, now)
		} else {
			srcs[i].m, found, err = t.getLive(db, k, now)
		}
		switch {
		case err != nil:
			return nil, err
		case !found:
			srcs[i].m = Meta{}
		case srcs[i].m.Type != TypeZSet && srcs[i].m.Type != TypeSet:
			return nil, ErrWrongType
		}
		srcs[i].weight = 1
		if weights != nil {
			srcs[i].weight = weights[i]
		}
	}
	return srcs, nil
}

// interEach calls fn for every member of the intersection of srcs (sorted
// by size), with its aggregated score, as Redis computes it: the smallest
// input is walked and the members probed in the others.
func (t *Tx) interEach(srcs []zsource, agg ZAggregate, fn func(member []byte, score float64) error) error {
	if srcs[0].m.Len == 0 {
		return nil
	}
	return t.zsourceEach(&srcs[0], func(member []byte, s float64) error {
		score := srcs[0].weight * s
		if math.IsNaN(score) {
			score = 0
		}
		for j := 1; j < len(srcs); j++ {
			v, ok, err := t.zsourceFind(&srcs[j], member)
			if err != nil || !ok {
				return err
			}
			agg.aggregate(&score, v*srcs[j].weight)
		}
		return fn(member, score)
	})
}

// bySize sorts inputs by size, as Redis does before a union or an
// intersection (the order of a sum matters in floating point).
func bySize(srcs []zsource) {
	slices.SortStableFunc(srcs, func(a, b zsource) int {
		switch {
		case a.m.Len < b.m.Len:
			return -1
		case a.m.Len > b.m.Len:
			return 1
		}
		return 0
	})
}

// ZSetCombine computes the union, intersection or difference (the first
// input minus the others) of the sorted sets or sets at keys (ZUNION,
// ZINTER, ZDIFF and their STORE forms), missing keys counting as empty and
// sets as sorted sets whose scores are all 1; any other type is
// ErrWrongType. Scores are multiplied by weights (nil: all 1; ignored by
// ZDiff) and combined with agg, with Redis's order of operations and its
// NaN rules. The result is sorted by score, then member. write looks the
// keys up as write commands do (the STORE forms).
func (t *Tx) ZSetCombine(db int, op ZSetOp, keys [][]byte, weights []float64, agg ZAggregate, now int64, write bool) (*ScoredMembers, error) {
	srcs, err := t.zsources(db, keys, weights, now, write)
	if err != nil {
		return nil, err
	}
	var members Elems
	var scores []float64
	add := func(member []byte, score float64) error {
		members.Add(member)
		scores = append(scores, score)
		return nil
	}
	switch op {
	case ZInter:
		bySize(srcs)
		err = t.interEach(srcs, agg, add)
	case ZUnion:
		bySize(srcs)
		index := map[string]int{}
		for i := range srcs {
			err = t.zsourceEach(&srcs[i], func(member []byte, s float64) error {
				score := srcs[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if j, ok := index[string(member)]; ok {
					agg.aggregate(&scores[j], score)
					return nil
				}
				index[string(member)] = len(scores)
				return add(member, score)
			})
			if err != nil {
				break
			}
		}
	case ZDiff:
		err = t.diffEach(srcs, add)
	}
	if err != nil {
		return nil, err
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return bytes.Compare(members.At(a), members.At(b))
	})
	out := &ScoredMembers{Scores: make([]float64, 0, len(order))}
	out.Members.buf = make([]byte, 0, len(members.buf))
	for _, i := range order {
		out.Add(members.At(i), scores[i])
	}
	return out, nil
}

// diffEach calls fn for the members of srcs[0] found in none of the other
// inputs, with their scores in srcs[0].
func (t *Tx) diffEach(srcs []zsource, fn func(member []byte, score float64) error) error {
	if srcs[0].m.Len == 0 {
		return nil
	}
	others := srcs[1:1]
	for _, o := range srcs[1:] {
		switch {
		case o.m.Len == 0:
		case o.m.Version == srcs[0].m.Version:
			return nil // a set minus itself
		default:
			others = append(others, o)
		}
	}
	return t.zsourceEach(&srcs[0], func(member []byte, score float64) error {
		for i := range others {
			_, in, err := t.zsourceFind(&others[i], member)
			if err != nil || in {
				return err
			}
		}
		return fn(member, score)
	})
}

// ZSetInterCard returns the size of the intersection of the sorted sets
// or sets at keys (ZINTERCARD), stopping at limit when limit > 0.
func (t *Tx) ZSetInterCard(db int, keys [][]byte, now int64, limit int64) (int64, error) {
	srcs, err := t.zsources(db, keys, nil, now, false)
	if err != nil {
		return 0, err
	}
	bySize(srcs)
	var n int64
	err = t.interEach(srcs, ZAggSum, func([]byte, float64) error {
		if n++; limit > 0 && n >= limit {
			return errStopWalk
		}
		return nil
	})
	return n, err
}

// ZSetStore replaces the value at dst, whatever its type, with a new
// sorted set of the given members (distinct), or deletes dst when there
// are none (the STORE commands). It returns the new set's size.
func (t *Tx) ZSetStore(db int, dst []byte, members *ScoredMembers, now int64) (int64, error) {
	return t.storeCollection(db, dst, now, TypeZSet, members.Len(), func(version uint64) {
		for i := range members.Len() {
			t.zsetPut(version, members.Members.At(i), members.Scores[i])
		}
	})
}

// ZSetScan is ZSCAN: up to count members of the sorted set at key after
// cursor, in member byte order, with their scores, those whose member
// matches the glob pattern match (nil: all). See scanCollection.
func (t *Tx) ZSetScan(db int, key []byte, now int64, cursor uint64, count int, match []byte) (uint64, *ScoredMembers, error) {
	out := &ScoredMembers{}
	m, ok, err := t.getCollection(db, key, now, TypeZSet)
	if err != nil || !ok {
		return 0, out, err
	}
	all := isMatchAll(match)
	var serr error
	next, err := t.scanCollection(db, m.Version, []byte{zsetMemberTag}, cursor, count, func(member, val []byte) {
		score, err := decodeScore(val)
		if err != nil {
			serr = err
			return
		}
		if all || Match(match, member) {
			out.Add(member, score)
		}
	})
	if err = errors.Join(err, serr); err != nil {
		return 0, nil, err
	}
	return next, out, nil
}
