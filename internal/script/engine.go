// Package script runs Redis Lua scripts (EVAL, EVALSHA, EVAL_RO,
// EVALSHA_RO) on gopher-lua, a Lua 5.1 VM as Redis's: the script cache,
// the sandboxed VM and its redis.* API, the conversions between Lua values
// and RESP replies, and the state of the running script that the network
// runtime reads to answer BUSY and SCRIPT KILL. See docs/scripting.md.
//
// A script runs inside one storage command (the EVAL command's handler),
// so it runs on the applier as one step against the keyspace, and the
// commands it calls run through command.Ctx.Call against the same
// transaction.
package script

import (
	"container/list"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Error replies of the scripting commands, byte-identical to Redis 7.0.
const (
	ErrNoScript    = "NOSCRIPT No matching script. Please use EVAL."
	ErrNotBusy     = "NOTBUSY No scripts in execution right now."
	ErrUnkillable  = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	ErrBusy        = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errKilled      = "ERR Script killed by user with SCRIPT KILL..."
	errTooManyKeys = "ERR Number of keys can't be greater than number of args"
	errNegKeys     = "ERR Number of keys can't be negative"
)

// MaxEvalScripts is how many scripts that EVAL added to the cache are kept:
// beyond it the least recently used one is dropped (EVALSHA then answers
// NOSCRIPT for it, and a client sends it again with EVAL). Scripts added
// by SCRIPT LOAD are never dropped but by SCRIPT FLUSH. Redis 7.4 bounds
// its cache the same way; 7.0 does not bound it at all.
const MaxEvalScripts = 500

// vmBaseMemory is what used_memory_lua reports for an empty VM (Redis
// 7.0's figure): gopher-lua does not account its memory, so INFO reports
// this plus the cached scripts' sizes.
const vmBaseMemory = 32 << 10

// Script is one cached script.
type Script struct {
	// SHA is the lower-case hex SHA1 of Body.
	SHA  string
	Body string
	// Flags are the shebang flags (compat: none given).
	Flags Flags
	proto *lua.FunctionProto
	// loaded: added or confirmed by SCRIPT LOAD (never evicted).
	loaded bool
	// lru is the script's element in Engine.lru (EVAL-added only).
	lru *list.Element
}

// Engine is the scripting state of one server: the script cache, the Lua
// VM, and the running script. Safe for concurrent use; scripts run one at
// a time.
type Engine struct {
	log *slog.Logger

	mu      sync.Mutex // guards the cache
	scripts map[string]*Script
	lru     *list.List // EVAL-added scripts, most recently used first
	bytes   int64      // cached bodies
	gen     uint64     // bumped by Flush: the VM is rebuilt

	vmMu sync.Mutex // held while a script runs
	vm   *vm
	rng  rand48

	// fnMu guards the functions VM: held while a library loads or a
	// function runs. libMu (taken after fnMu when both are) guards the
	// libraries, so FUNCTION LIST and STATS never wait for a function.
	fnMu  sync.Mutex
	fvm   *vm
	libMu sync.Mutex
	libs  map[string]*Library
	funcs map[string]*Function

	running atomic.Pointer[Run]
}

// NewEngine returns an empty engine that logs redis.log() lines to log
// (nil: discarded).
func NewEngine(log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{log: log, scripts: make(map[string]*Script), lru: list.New(),
		libs: make(map[string]*Library), funcs: make(map[string]*Function)}
	e.rng.seed(time.Now().UnixNano())
	return e
}

// SHA1Hex returns the lower-case hex SHA1 of s, as redis.sha1hex does.
func SHA1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Load compiles body and caches it (SCRIPT LOAD): it returns its SHA, or
// the compile error reply.
func (e *Engine) Load(body string) (string, string) {
	s, errMsg := e.get(body, true)
	if s == nil {
		return "", errMsg
	}
	return s.SHA, ""
}

// get returns the cached script for body, compiling and caching it first
// if needed. load marks it as added by SCRIPT LOAD. On a compile error it
// returns nil and the error reply.
func (e *Engine) get(body string, load bool) (*Script, string) {
	sha := SHA1Hex(body)
	e.mu.Lock()
	if s := e.scripts[sha]; s != nil {
		e.touch(s, load)
		e.mu.Unlock()
		return s, ""
	}
	e.mu.Unlock()
	s, errMsg := compile(sha, body)
	if s == nil {
		return nil, errMsg
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.scripts[sha]; old != nil { // compiled concurrently
		e.touch(old, load)
		return old, ""
	}
	e.scripts[sha] = s
	e.bytes += int64(len(body))
	if load {
		s.loaded = true
	} else {
		s.lru = e.lru.PushFront(s)
		for e.lru.Len() > MaxEvalScripts {
			e.evict(e.lru.Back().Value.(*Script))
		}
	}
	return s, ""
}

// touch marks s used; load makes it permanent. e.mu is held.
func (e *Engine) touch(s *Script, load bool) {
	switch {
	case s.loaded:
	case load:
		s.loaded = true
		e.lru.Remove(s.lru)
		s.lru = nil
	default:
		e.lru.MoveToFront(s.lru)
	}
}

// evict drops an EVAL-added script. e.mu is held.
func (e *Engine) evict(s *Script) {
	e.lru.Remove(s.lru)
	delete(e.scripts, s.SHA)
	e.bytes -= int64(len(s.Body))
}

// lookup returns the cached script with the given SHA (any case), or nil.
func (e *Engine) lookup(sha string) *Script {
	if len(sha) != 40 {
		return nil
	}
	sha = strings.ToLower(sha)
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.scripts[sha]
	if s != nil {
		e.touch(s, false)
	}
	return s
}

// Exists reports whether a script with the given SHA is cached (SCRIPT
// EXISTS: the SHA must be lower-case, as in Redis).
func (e *Engine) Exists(sha string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scripts[sha] != nil
}

// Flush empties the cache and resets the VM (SCRIPT FLUSH). A running
// script finishes on the old VM.
func (e *Engine) Flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.scripts = make(map[string]*Script)
	e.lru.Init()
	e.bytes = 0
	e.gen++
}

// Stats are the figures INFO memory reports.
type Stats struct {
	// Scripts is number_of_cached_scripts, Bytes the size of their
	// bodies (used_memory_scripts_eval), VMMemory used_memory_lua.
	Scripts  int
	Bytes    int64
	VMMemory int64
}

// Stats returns the cache's figures.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{Scripts: len(e.scripts), Bytes: e.bytes, VMMemory: vmBaseMemory + e.bytes}
}

// Run is the state of the running script, shared with the network
// runtime.
type Run struct {
	start  time.Time
	cancel context.CancelFunc
	// function is the running function's name ("" for an EVAL script);
	// args the command that runs it (FUNCTION STATS).
	function string
	args     []string
	// wrote is set once the script called a write command (it can no
	// longer be killed); killed once SCRIPT KILL or an abort stopped it;
	// aborted when the stop must also drop its writes (shutdown).
	wrote, killed, aborted atomic.Bool
}

// Running reports whether a script runs now.
func (e *Engine) Running() bool { return e.running.Load() != nil }

// RunningFunction describes the running function (FUNCTION STATS): its
// name, its command and how long it has run; ok is false when no
// function (EVAL script or nothing) runs.
func (e *Engine) RunningFunction() (name string, args []string, d time.Duration, ok bool) {
	r := e.running.Load()
	if r == nil || r.function == "" {
		return "", nil, 0, false
	}
	return r.function, r.args, time.Since(r.start), true
}

// Busy reports whether a script has run for longer than limit (Redis's
// busy-reply-threshold): other clients then get BUSY. A limit of 0 or
// less disables it.
func (e *Engine) Busy(limit time.Duration) bool {
	r := e.running.Load()
	return r != nil && limit > 0 && time.Since(r.start) >= limit
}

// BusyError returns the BUSY reply for the running script: it names the
// command that may kill it (SCRIPT KILL or FUNCTION KILL).
func (e *Engine) BusyError() string {
	if r := e.running.Load(); r != nil && r.function != "" {
		return ErrBusyFunction
	}
	return ErrBusy
}

// Kill stops the running script if it has not written: an EVAL script
// (SCRIPT KILL, eval) or a function (FUNCTION KILL). It returns "" on
// success, or the error reply.
func (e *Engine) Kill(eval bool) string {
	r := e.running.Load()
	switch {
	case r == nil:
		return ErrNotBusy
	case r.wrote.Load():
		return ErrUnkillable
	case eval && r.function != "":
		return ErrBusyFunction
	case !eval && r.function == "":
		return ErrBusy
	}
	r.killed.Store(true)
	r.cancel()
	return ""
}

// Abort stops the running script even if it wrote, and drops its writes
// (SHUTDOWN NOSAVE, server shutdown). It reports whether one was running.
func (e *Engine) Abort() bool {
	r := e.running.Load()
	if r == nil {
		return false
	}
	r.aborted.Store(true)
	r.killed.Store(true)
	r.cancel()
	return true
}
