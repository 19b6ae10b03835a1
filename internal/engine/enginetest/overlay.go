package enginetest

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/kiwidb/kiwi/internal/engine"
)

// overlayEngine presents a stack of engine.Overlay layers over a base engine
// as an engine.Engine, so that the conformance suite exercises Overlay reads
// (Get, merge iterators, nested overlays) and ApplyTo the way the applier
// uses them.
//
// layers[0] reads through to the base engine, layers[i] to layers[i-1], and
// reads go to the top layer. A committed batch is written into the top
// layer; when a layer grows past its spill size it is applied down into the
// layer below (and layer 0 into a base batch), so data ends up spread over
// every layer and the base, with newer writes and deletions shadowing older
// ones. Commit(sync=true), Flush, Checkpoint and Close apply every layer
// down into the base.
//
// Overlay is not safe for concurrent use, so an RWMutex guards the layers:
// reads (which only read the overlay trees) share it, commits take it
// exclusively.
type overlayEngine struct {
	base   engine.Engine
	mu     sync.RWMutex
	layers []*engine.Overlay
	closed bool
}

var (
	_ engine.Engine       = (*overlayEngine)(nil)
	_ engine.WriteStopper = (*overlayEngine)(nil)
	_ engine.Batch        = (*overlayBatch)(nil)
	_ engine.Snapshot     = (*overlaySnapshot)(nil)
)

func newOverlayEngine(base engine.Engine, depth int) *overlayEngine {
	o := &overlayEngine{base: base}
	var r engine.Reader = base
	for range depth {
		l := engine.NewOverlay(r)
		o.layers = append(o.layers, l)
		r = l
	}
	return o
}

func (o *overlayEngine) top() *engine.Overlay { return o.layers[len(o.layers)-1] }

// spillSize is the number of keys at which layer i is applied down: small
// at the top so that all layers hold data.
func (o *overlayEngine) spillSize(i int) int { return 4 << (2 * (len(o.layers) - 1 - i)) }

func (o *overlayEngine) Name() string { return o.base.Name() }

func (o *overlayEngine) Get(key []byte) ([]byte, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		return nil, engine.ErrClosed
	}
	return o.top().Get(key)
}

func (o *overlayEngine) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		return nil, engine.ErrClosed
	}
	return o.top().NewIter(opts)
}

func (o *overlayEngine) NewBatch() engine.Batch { return &overlayBatch{o: o} }

// NewSnapshot takes a base snapshot and copies every layer, bottom first,
// into one overlay over it.
func (o *overlayEngine) NewSnapshot() (engine.Snapshot, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		return nil, engine.ErrClosed
	}
	s, err := o.base.NewSnapshot()
	if err != nil {
		return nil, err
	}
	ov := engine.NewOverlay(s)
	for _, l := range o.layers {
		l.ApplyTo(ov)
	}
	return &overlaySnapshot{s: s, ov: ov}, nil
}

// spill applies layers down where they have grown past their spill size.
// Callers hold o.mu exclusively.
func (o *overlayEngine) spill() error {
	for i := len(o.layers) - 1; i > 0; i-- {
		if o.layers[i].Len() >= o.spillSize(i) {
			o.layers[i].ApplyTo(o.layers[i-1])
			o.layers[i].Reset()
		}
	}
	if o.layers[0].Len() >= o.spillSize(0) {
		return o.applyBase(false)
	}
	return nil
}

// applyDown applies every layer down into the base. Callers hold o.mu
// exclusively.
func (o *overlayEngine) applyDown(sync bool) error {
	for i := len(o.layers) - 1; i > 0; i-- {
		o.layers[i].ApplyTo(o.layers[i-1])
		o.layers[i].Reset()
	}
	return o.applyBase(sync)
}

func (o *overlayEngine) applyBase(sync bool) error {
	b := o.base.NewBatch()
	o.layers[0].ApplyTo(b)
	if err := b.Commit(sync); err != nil {
		return fmt.Errorf("overlay: apply to base: %w", err)
	}
	o.layers[0].Reset()
	return nil
}

func (o *overlayEngine) Checkpoint(dir string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return engine.ErrClosed
	}
	if err := o.applyDown(true); err != nil {
		return err
	}
	return o.base.Checkpoint(dir)
}

func (o *overlayEngine) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return engine.ErrClosed
	}
	if err := o.applyDown(false); err != nil {
		return err
	}
	return o.base.Flush()
}

func (o *overlayEngine) Stats() engine.Stats {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.closed {
		return engine.Stats{}
	}
	return o.base.Stats()
}

// WriteStopped reports the base engine's write stop (the overlay layers
// never stop writes).
func (o *overlayEngine) WriteStopped() bool {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return !o.closed && engine.IsWriteStopped(o.base)
}

func (o *overlayEngine) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return engine.ErrClosed
	}
	err := o.applyDown(true)
	if cerr := o.base.Close(); err == nil {
		err = cerr
	}
	o.closed = true
	return err
}

// overlayBatch records operations in order and replays them into the top
// layer on Commit.
type overlayBatch struct {
	o    *overlayEngine
	ops  []overlayOp
	size int
	done bool
}

type overlayOp struct {
	key, value []byte
	del        bool
}

func (b *overlayBatch) Set(key, value []byte) {
	if b.done {
		panic("overlay: Set on a committed or closed batch")
	}
	b.ops = append(b.ops, overlayOp{key: bytes.Clone(key), value: append([]byte{}, value...)})
	b.size += len(key) + len(value) + 2
}

func (b *overlayBatch) Delete(key []byte) {
	if b.done {
		panic("overlay: Delete on a committed or closed batch")
	}
	b.ops = append(b.ops, overlayOp{key: bytes.Clone(key), del: true})
	b.size += len(key) + 1
}

func (b *overlayBatch) Count() int { return len(b.ops) }

func (b *overlayBatch) Size() int { return b.size }

func (b *overlayBatch) Commit(sync bool) error {
	if b.done {
		return engine.ErrClosed
	}
	b.done = true
	o := b.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return engine.ErrClosed
	}
	top := o.top()
	for _, op := range b.ops {
		if op.del {
			top.Delete(op.key)
		} else {
			top.Set(op.key, op.value)
		}
	}
	if sync {
		return o.applyDown(true)
	}
	return o.spill()
}

func (b *overlayBatch) Close() error {
	b.done = true
	b.ops = nil
	return nil
}

// overlaySnapshot is an overlay (a copy of the layers) over a base snapshot.
// The overlay is only read after creation, so concurrent reads are safe.
type overlaySnapshot struct {
	s  engine.Snapshot
	ov *engine.Overlay
	mu sync.RWMutex
	// closed is guarded by mu.
	closed bool
}

func (s *overlaySnapshot) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, engine.ErrClosed
	}
	return s.ov.Get(key)
}

func (s *overlaySnapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, engine.ErrClosed
	}
	return s.ov.NewIter(opts)
}

func (s *overlaySnapshot) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return engine.ErrClosed
	}
	s.closed = true
	return s.s.Close()
}
