package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// SCAN over an ordered keyspace.
//
// Keys are scanned in byte order, so "resume after key K" is a perfect
// cursor: a key present during the whole scan is returned exactly once,
// whatever is inserted or deleted between calls. Redis cursors are opaque
// unsigned integers, though, so the resume key is held server-side in a
// cursorTable and the client gets its number:
//
//   - Cursor 0 starts a scan; a reply cursor 0 ends it.
//   - Cursor numbers are handed out sequentially from a random start in
//     [1, 2^52], so they stay below 2^53 (exact in JavaScript and in any
//     signed 64-bit parser) and a number from a previous server process
//     is unlikely to name a live entry.
//   - The table is a fixed ring of slots (Options.ScanCursors, default
//     4096) indexed by number modulo size: the oldest cursors are
//     forgotten first. An entry stays usable until overwritten, so a
//     client may retry a call with the same cursor.
//   - An unknown cursor (forgotten, from another process or another
//     database, or never issued) restarts the scan from the beginning.
//     That only repeats keys, which SCAN allows, and keeps the guarantee
//     that every key present for the full scan is returned.

// DefaultScanCursors is the default size of the SCAN cursor table.
const DefaultScanCursors = 4096

// ScanOptions are SCAN's MATCH, COUNT and TYPE arguments.
type ScanOptions struct {
	// Match is a glob pattern (see Match); nil or "*" selects every key.
	Match []byte
	// Count is the number of keys to examine in this call; < 1 means 10.
	// As in Redis, fewer keys may be returned when some do not match.
	Count int
	// Type, when not empty, keeps only keys whose Type.String() equals it
	// ignoring case; an unknown name matches nothing.
	Type string
}

// Scan examines up to opts.Count keys of db after cursor and returns the
// matching live ones, in key order, with the cursor to continue from (0
// when the scan is complete). Cursors are shared by all transactions of
// the keyspace; Scan is safe to run from concurrent read transactions.
func (t *Tx) Scan(db int, cursor uint64, now int64, opts ScanOptions) (next uint64, keys [][]byte, err error) {
	if err := t.checkDB(db); err != nil {
		return 0, nil, err
	}
	all := isMatchAll(opts.Match)
	lower, upper := t.keyRange(db, opts.Match, all)
	// Cursors name a position in a slot's key range: after a SWAPDB, a
	// cursor of the db is unknown and the scan restarts.
	s := t.slot(db)
	seek := lower
	if cursor != 0 {
		if after, ok := t.ks.cursors.get(cursor, s); ok {
			// The smallest meta key after after's.
			k := append(metaKey(nil, s, after), 0)
			if bytes.Compare(k, seek) > 0 {
				seek = k
			}
		}
	}
	count := opts.Count
	if count < 1 {
		count = 10
	}
	it, err := t.iter(lower, upper)
	if err != nil {
		return 0, nil, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	var last []byte
	ok := it.SeekGE(seek)
	for n := 0; ok && n < count; n++ {
		key := it.Key()[2:]
		last = append(last[:0], key...)
		if all || Match(opts.Match, key) {
			m, err := decodeMeta(it.Value())
			if err != nil {
				_ = it.Close()
				return 0, nil, fmt.Errorf("keyspace: meta of %q in db %d: %w", key, db, err)
			}
			if live(&m, now) && (opts.Type == "" || strings.EqualFold(opts.Type, m.Type.String())) {
				keys = append(keys, bytes.Clone(key))
			}
		}
		ok = it.Next()
	}
	if ok {
		next = t.ks.cursors.put(s, last)
	}
	if err := it.Close(); err != nil {
		return 0, nil, fmt.Errorf("keyspace: iterate keys: %w", err)
	}
	return next, keys, nil
}

// cursorTable maps SCAN cursor numbers to the key a scan resumes after.
// It is safe for concurrent use.
type cursorTable struct {
	mu    sync.Mutex
	next  uint64
	slots []cursorSlot
}

type cursorSlot struct {
	id    uint64
	db    int
	after []byte
}

func newCursorTable(size int) *cursorTable {
	if size <= 0 {
		size = DefaultScanCursors
	}
	return &cursorTable{next: rand.Uint64N(1<<52) + 1, slots: make([]cursorSlot, size)}
}

// put records a resume point and returns its cursor number (never 0).
func (c *cursorTable) put(db int, after []byte) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	if c.next >= 1<<53 {
		c.next = 1
	}
	c.slots[id%uint64(len(c.slots))] = cursorSlot{id: id, db: db, after: after}
	return id
}

// get returns the resume point of cursor id in db, if still known.
func (c *cursorTable) get(id uint64, db int) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[id%uint64(len(c.slots))]
	if s.id != id || s.db != db {
		return nil, false
	}
	return s.after, true
}
