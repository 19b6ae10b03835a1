package keyspace

// ExpireCycle deletes up to limit keys whose expiry time is <= now (Unix ms),
// walking the expiry index. It reports how many keys it deleted and whether
// more expired keys remain. Write transactions only.
func (t *Tx) ExpireCycle(now int64, limit int) (deleted int, more bool, err error) {
	return 0, false, nil // TODO(keyspace): implemented by the data model.
}

// SweepGarbage deletes up to limit data records of dead key versions (left
// behind by DEL, overwrite or expiry) and the garbage markers it finishes.
// It reports how many records it removed and whether garbage remains.
// Write transactions only.
func (t *Tx) SweepGarbage(limit int) (removed int, more bool, err error) {
	return 0, false, nil // TODO(keyspace): implemented by the data model.
}
