package command

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"slices"

	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/notify"
)

// SORT and SORT_RO, as Redis 7.0's sort.c: the elements of a list, set or
// sorted set, ordered by their numeric value (default) or as strings
// (ALPHA), or by the values of other keys (BY pattern), optionally mapped
// to the values of other keys (GET pattern), and stored as a list (STORE,
// SORT only). The whole collection is read, as Redis does, except where
// nothing is sorted (BY without '*') in a list or sorted set: then only
// the LIMIT range is read.
//
// Ordering follows Redis, including its special cases: numeric ties are
// broken by comparing the elements' bytes; ALPHA without STORE compares
// as strcoll in the C locale (up to the first NUL byte), with STORE as
// memcmp; an element whose BY key is missing sorts as 0 (numeric) or
// first (ALPHA). Ties that Redis leaves to qsort keep the input order here.
// BY without '*' keeps the native order of a list or sorted set (DESC
// reverses it); a set is then returned in Kiwi's member order (byte order,
// where Redis uses its hash table's), unsorted, unless STORE is given,
// which makes Redis (and Kiwi) sort it ALPHA for a deterministic result.

const (
	sortComplexity   = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."
	errSortNotDouble = "ERR One or more scores can't be converted into double"
)

var (
	aclSort   = []string{"@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"}
	aclSortRO = []string{"@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"}
)

// sortCommands returns SORT and SORT_RO.
func sortCommands() []*Command {
	return []*Command{
		{Name: "sort", Arity: -2, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, KeyStep: 1, Keys: sortKeys,
			Group: "generic", Summary: "Sort the elements in a list, set or sorted set", Since: "1.0.0",
			Complexity: sortComplexity, ACLCategories: aclSort, Run: cmdSort},
		{Name: "sort_ro", Arity: -2, Flags: ReadOnly | MovableKeys, FirstKey: 1, LastKey: 1, KeyStep: 1, Group: "generic",
			Summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", Since: "7.0.0",
			Complexity: sortComplexity, ACLCategories: aclSortRO, Run: cmdSort},
	}
}

// sortKeys is Redis's sortGetKeys: the sorted key and the key of the last
// STORE option. As in Redis, LIMIT, GET and BY skip their arguments and
// any other word none, so a STORE key named "get" hides the next word.
func sortKeys(args [][]byte) [][]byte {
	if len(args) < 2 {
		return nil
	}
	keys := [][]byte{args[1]}
	var store []byte
	for i := 2; i < len(args); i++ {
		switch {
		case equalFold(args[i], "limit"):
			i += 2
		case equalFold(args[i], "get"), equalFold(args[i], "by"):
			i++
		case equalFold(args[i], "store") && i+1 < len(args):
			store = args[i+1]
		}
	}
	if store != nil {
		keys = append(keys, store)
	}
	return keys
}

// sortOptions are SORT's parsed options.
type sortOptions struct {
	desc, alpha bool
	// dontsort is set by a BY pattern without '*' (even if a later BY
	// has one, as in Redis).
	dontsort bool
	// offset and count are LIMIT's (count -1: no limit).
	offset, count int64
	by            []byte // the last BY pattern, nil if none
	gets          [][]byte
	store         []byte // nil: no STORE
}

// parseSortOptions parses the options after the key, replying on error.
// SORT_RO (readonly) has no STORE.
func parseSortOptions(c *Ctx, readonly bool) (o sortOptions, ok bool) {
	o.count = -1
	args := c.Args
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := args[j]; {
		case equalFold(opt, "asc"):
			o.desc = false
		case equalFold(opt, "desc"):
			o.desc = true
		case equalFold(opt, "alpha"):
			o.alpha = true
		case equalFold(opt, "limit") && left >= 2:
			if o.offset, ok = intArg(c, args[j+1]); !ok {
				return o, false
			}
			if o.count, ok = intArg(c, args[j+2]); !ok {
				return o, false
			}
			j += 2
		case !readonly && equalFold(opt, "store") && left >= 1:
			o.store = args[j+1]
			j++
		case equalFold(opt, "by") && left >= 1:
			o.by = args[j+1]
			if bytes.IndexByte(cString(o.by), '*') < 0 {
				o.dontsort = true
			}
			j++
		case equalFold(opt, "get") && left >= 1:
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			c.Error(ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// cString is b as C's string functions see it: up to the first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortLimit turns LIMIT offset count into the inclusive range [start, end]
// of a vector of n elements, as sortCommandGeneric clamps them (end <
// start: nothing).
func sortLimit(offset, count, n int64) (start, end int64) {
	start = min(max(offset, 0), n)
	count = min(max(count, -1), n)
	if count < 0 {
		end = n - 1
	} else {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	return start, min(end, n-1)
}

// sortItem is one element of the vector being sorted.
type sortItem struct {
	elem  []byte
	score float64 // numeric weight
	by    []byte  // ALPHA weight from BY, if hasBy
	hasBy bool
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
// [ASC|DESC] [ALPHA] [STORE destination], SORT_RO (no STORE)
func cmdSort(c *Ctx) {
	o, ok := parseSortOptions(c, c.Cmd.Name == "sort_ro")
	if !ok {
		return
	}
	m, found, err := c.Tx.GetMeta(c.DB, c.Args[1], c.Now)
	if err != nil {
		replyErr(c, err)
		return
	}
	typ := keyspace.TypeList // a missing key (m.Len 0) sorts as an empty list
	if found {
		if typ = m.Type; typ != keyspace.TypeList && typ != keyspace.TypeSet && typ != keyspace.TypeZSet {
			c.Error(ErrWrongType)
			return
		}
	}
	if o.dontsort && typ == keyspace.TypeSet && o.store != nil {
		// An unsorted set would be stored (replicated) in hash table
		// order: Redis sorts it ALPHA instead.
		o.dontsort, o.alpha, o.by = false, true, nil
	}
	start, end := sortLimit(o.offset, o.count, m.Len)
	items, start, end, err := loadSortItems(c, typ, m.Len, &o, start, end)
	if err != nil {
		replyErr(c, err)
		return
	}
	if !o.dontsort {
		numeric, err := weighSortItems(c, &o, items)
		switch {
		case err != nil:
			c.Fail(err)
			return
		case !numeric:
			c.Error(errSortNotDouble)
			return
		}
		slices.SortStableFunc(items, sortCompare(&o))
	}
	if end < start {
		items = nil
	} else {
		items = items[start : end+1]
	}
	if o.store != nil {
		storeSorted(c, &o, items)
	} else {
		replySorted(c, &o, items)
	}
}

// loadSortItems reads the elements to sort from the collection of type typ
// at c.Args[1] (a list for a missing key), of n elements. Where nothing is
// sorted in a list or sorted set it reads only the range [start, end], in
// native order (reversed for DESC), and returns the range shifted to the
// new vector.
func loadSortItems(c *Ctx, typ keyspace.Type, n int64, o *sortOptions, start, end int64) ([]sortItem, int64, int64, error) {
	key := c.Args[1]
	var elems *keyspace.Elems
	var err error
	reverse := false
	switch {
	case o.dontsort && typ != keyspace.TypeSet:
		if end < start {
			return nil, start, end, nil
		}
		if typ == keyspace.TypeList {
			if o.desc {
				elems, err = c.Tx.ListRange(c.DB, key, n-1-end, n-1-start, c.Now)
				reverse = true
			} else {
				elems, err = c.Tx.ListRange(c.DB, key, start, end, c.Now)
			}
		} else {
			elems, err = zsetMembers(c, key, &keyspace.ZRangeSpec{By: keyspace.ZByRank, Start: start, Stop: end, Rev: o.desc})
		}
		start, end = 0, end-start
	case typ == keyspace.TypeList:
		elems, err = c.Tx.ListRange(c.DB, key, 0, -1, c.Now)
	case typ == keyspace.TypeSet:
		elems, err = c.Tx.SetMembers(c.DB, key, c.Now)
	default:
		elems, err = zsetMembers(c, key, &keyspace.ZRangeSpec{By: keyspace.ZByRank, Start: 0, Stop: -1})
	}
	if err != nil {
		return nil, 0, 0, err
	}
	items := make([]sortItem, elems.Len())
	for i := range items {
		items[i].elem = elems.At(i)
	}
	if reverse {
		slices.Reverse(items)
	}
	return items, start, end, nil
}

// zsetMembers returns the members of the sorted set at key that spec
// selects.
func zsetMembers(c *Ctx, key []byte, spec *keyspace.ZRangeSpec) (*keyspace.Elems, error) {
	sm, err := c.Tx.ZSetRange(c.DB, key, c.Now, spec)
	if err != nil {
		return nil, err
	}
	return &sm.Members, nil
}

// weighSortItems sets the weight of every item: its BY value (or the
// element) parsed as a number, or for ALPHA its BY value. It reports
// false when a numeric weight does not parse.
func weighSortItems(c *Ctx, o *sortOptions, items []sortItem) (numeric bool, err error) {
	if o.alpha && o.by == nil {
		return true, nil // the elements are compared directly
	}
	var buf []byte
	for i := range items {
		it := &items[i]
		w := it.elem
		if o.by != nil {
			var found bool
			if w, found, buf, err = lookupSortPattern(c, o.by, it.elem, buf); err != nil {
				return false, err
			}
			if !found {
				continue // weight 0, or sorted first for ALPHA
			}
		}
		if o.alpha {
			it.by, it.hasBy = w, true
			continue
		}
		var ok bool
		if it.score, ok = sortScore(w); !ok {
			return false, nil
		}
	}
	return true, nil
}

// sortScore parses a numeric weight as sort.c does: strtod must reach the
// end of the C string, without ERANGE or NaN ("" is 0).
func sortScore(b []byte) (float64, bool) {
	b = cString(b)
	f, n, erange := strtod(b)
	return f, n == len(b) && !erange && !math.IsNaN(f)
}

// sortCompare returns sortCompare of sort.c for the options o.
func sortCompare(o *sortOptions) func(a, b sortItem) int {
	strcmp := collate // strcoll in the C locale
	if o.store != nil {
		strcmp = bytes.Compare
	}
	var fn func(a, b sortItem) int
	switch {
	case !o.alpha:
		fn = func(a, b sortItem) int {
			if r := cmp.Compare(a.score, b.score); r != 0 {
				return r
			}
			return bytes.Compare(a.elem, b.elem)
		}
	case o.by != nil:
		fn = func(a, b sortItem) int {
			if !a.hasBy || !b.hasBy {
				return boolCompare(a.hasBy, b.hasBy) // missing first
			}
			return strcmp(a.by, b.by)
		}
	default:
		fn = func(a, b sortItem) int { return strcmp(a.elem, b.elem) }
	}
	if o.desc {
		return func(a, b sortItem) int { return -fn(a, b) }
	}
	return fn
}

// collate is strcoll in the C locale: the bytes up to the first NUL.
func collate(a, b []byte) int { return bytes.Compare(cString(a), cString(b)) }

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// lookupSortPattern is lookupKeyByPattern of sort.c: the value pattern
// names for the element subst. "#" is subst itself; otherwise the first
// '*' is replaced by subst to name a string key, or, when "->field"
// follows the '*', a hash key and its field. A pattern without '*', a
// missing or expired key, a key of another type or a missing field give
// found false. buf is scratch space for the key name, returned for reuse.
func lookupSortPattern(c *Ctx, pattern, subst, buf []byte) (val []byte, found bool, _ []byte, err error) {
	cpat := cString(pattern) // sort.c uses strchr and strstr
	if len(cpat) == 1 && cpat[0] == '#' {
		return subst, true, buf, nil
	}
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return nil, false, buf, nil
	}
	keyEnd := len(pattern)
	var field []byte
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cpat) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	buf = append(append(append(buf[:0], pattern[:star]...), subst...), pattern[star+1:keyEnd]...)
	if field != nil {
		val, found, err = c.Tx.HashGet(c.DB, buf, field, c.Now)
	} else {
		val, found, err = c.Tx.GetString(c.DB, buf, c.Now)
	}
	if errors.Is(err, keyspace.ErrWrongType) {
		return nil, false, buf, nil
	}
	return val, found, buf, err
}

// replySorted answers the sorted elements, or for each the values of the
// GET patterns (nil when missing).
func replySorted(c *Ctx, o *sortOptions, items []sortItem) {
	if len(o.gets) == 0 {
		c.Out.WriteArrayLen(len(items))
		for i := range items {
			c.Out.WriteBulk(items[i].elem)
		}
		return
	}
	// The values are looked up first: a storage error must be the only
	// reply.
	vals := make([][]byte, 0, len(items)*len(o.gets))
	var buf []byte
	for i := range items {
		for _, pat := range o.gets {
			v, found, b, err := lookupSortPattern(c, pat, items[i].elem, buf)
			if buf = b; err != nil {
				c.Fail(err)
				return
			}
			if found && v == nil {
				v = []byte{}
			}
			vals = append(vals, v)
		}
	}
	replyBulksOrNull(c, vals)
}

// storeSorted stores the sorted elements, or for each the values of the
// GET patterns ("" when missing), as a list at o.store (deleting it when
// there are none) and answers their number.
func storeSorted(c *Ctx, o *sortOptions, items []sortItem) {
	var out keyspace.Elems
	var buf []byte
	for i := range items {
		if len(o.gets) == 0 {
			out.Add(items[i].elem)
			continue
		}
		for _, pat := range o.gets {
			v, _, b, err := lookupSortPattern(c, pat, items[i].elem, buf)
			if buf = b; err != nil {
				c.Fail(err)
				return
			}
			out.Add(v)
		}
	}
	existed := c.existsForEvent(o.store)
	n, err := c.Tx.ListStore(c.DB, o.store, &out, c.Now)
	if err == nil {
		c.notifyStored(notify.List, "sortstore", o.store, n, existed)
	}
	replyCount(c, n, err)
}
