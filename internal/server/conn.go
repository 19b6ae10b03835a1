package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiwidb/kiwi/internal/command"
	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/keyspace"
	"github.com/kiwidb/kiwi/internal/msgchan"
	"github.com/kiwidb/kiwi/internal/resp"
	"github.com/kiwidb/kiwi/internal/storage"
)

// maxIdleOutput is the output buffer capacity kept between requests; a
// larger buffer (left by a big reply) is dropped so idle connections do not
// pin memory.
const maxIdleOutput = 64 << 10

// client is one connection. Fields below mu may be read by other
// connections (CLIENT LIST, CLIENT KILL); the rest belong to the
// connection's goroutine.
type client struct {
	s       *Server
	nc      net.Conn
	id      int64
	created time.Time
	raddr   string
	laddr   string

	rd   *resp.Reader
	out  *resp.Writer
	cmds [][][]byte
	job  storageJob
	// replyOff and replySkip are CLIENT REPLY OFF and SKIP (the latter
	// drops the reply of the command after the CLIENT REPLY SKIP).
	replyOff, replySkip bool
	// pushedTo is the end of the last Pub/Sub confirmation written to
	// out: Redis sends those (push messages) even when replies are off,
	// so a suppressed command's output is dropped only past it.
	pushedTo int
	// multi is the open MULTI block, watch the WATCHed keys.
	multi multiState
	watch watchState
	// jobStats are the counters of job.batch.Calls, index for index.
	jobStats []*cmdStat
	// errs counts the error replies this connection wrote (replyError).
	errs   uint64
	authed bool
	quit   bool // close after the pending replies are written
	// inputSeen is the reader's byte count already added to the stats.
	inputSeen int64

	mu      sync.Mutex
	name    string
	libName string
	libVer  string
	db      int
	proto   int
	lastCmd string

	lastActive atomic.Int64 // Unix nanoseconds of the last command
	// inputRead counts the socket reads that returned data; inputDone is
	// inputRead as of the last handled pipeline (they differ while input
	// is being parsed or handled): PUBLISH waits on them (see inputOrder).
	inputRead, inputDone atomic.Uint64
	closed               atomic.Bool
	// ps is the Pub/Sub state (pubsub.go), set by the first subscription.
	ps atomic.Pointer[pubsubConn]
}

func newClient(s *Server, nc net.Conn, id int64) *client {
	cfg := s.Config()
	c := &client{
		s:       s,
		nc:      nc,
		id:      id,
		created: time.Now(),
		raddr:   nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		out:     resp.NewWriter(2),
		proto:   2,
		authed:  cfg.RequirePass == "",
	}
	c.rd = resp.NewReader(inputCounter{c}, readerLimits(cfg))
	c.job.done = make(chan error, 1)
	c.lastActive.Store(c.created.UnixNano())
	return c
}

// inputCounter is the connection's socket as its RESP reader sees it: it
// counts the reads that returned data (client.inputRead) as soon as they
// return.
type inputCounter struct{ c *client }

func (r inputCounter) Read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	if n > 0 {
		r.c.inputRead.Add(1)
	}
	return n, err
}

func readerLimits(cfg *config.Config) resp.Limits {
	return resp.Limits{
		MaxBulkLen:     cfg.ProtoMaxBulkLen,
		MaxQueryBuffer: cfg.ClientQueryBufferLimit,
	}
}

// closeConn closes the socket; the connection goroutine notices and exits
// after its in-flight request (if any) has been answered by storage.
func (c *client) closeConn() {
	if c.closed.CompareAndSwap(false, true) {
		_ = c.nc.Close()
	}
}

// serve is the connection goroutine's loop: read a pipeline, process it in a
// network slot, write the replies.
func (c *client) serve() {
	defer c.closeConn()
	defer c.s.watches.unwatchAll(c)
	defer c.pubsubClose()
	for {
		cfg := c.s.Config()
		if cfg.Timeout > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(time.Duration(cfg.Timeout) * time.Second))
		}
		c.pubsubKeepAlive(cfg)
		c.rd.SetLimits(readerLimits(cfg))
		c.rd.SetAuthRequired(!c.authed)
		cmds, err := c.rd.ReadBatch(c.cmds[:0], cfg.Runtime.MaxPipeline)
		c.cmds = cmds
		in := c.rd.InputBytes()
		c.s.stats.netInput.Add(in - c.inputSeen)
		c.inputSeen = in
		if err != nil {
			c.readFailed(err)
			return
		}
		if err := c.s.slots.Acquire(context.Background()); err != nil {
			return
		}
		c.process(cmds, cfg)
		// Everything read so far has been handled: the pipeline holds
		// every complete command the reader had buffered.
		c.inputDone.Store(c.inputRead.Load())
		c.s.slots.Release()
		if !c.flush() || c.quit {
			return
		}
	}
}

// readFailed answers a protocol error as Redis does (error reply, then
// close) and logs what is worth logging: a protocol error is the client's,
// so it is logged at Debug (Redis: verbose); a client closed at
// client-query-buffer-limit at Warn, as Redis does.
func (c *client) readFailed(err error) {
	var pe *resp.ProtocolError
	switch {
	case errors.As(err, &pe):
		c.s.log.Debug("closing client on protocol error", "client", c.id, "addr", c.raddr, "err", pe.Msg)
		c.out.WriteError("ERR Protocol error: " + pe.Msg)
		c.flush()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), c.closed.Load():
	case errors.Is(err, resp.ErrQueryBufferLimit):
		c.s.log.Warn("closing client that reached client-query-buffer-limit", "client", c.id, "addr", c.raddr)
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.s.log.Debug("closing idle client", "client", c.id, "addr", c.raddr)
			return
		}
		c.s.log.Debug("client read failed", "client", c.id, "err", err)
	}
}

// flush writes the buffered replies to the socket. It reports false when the
// connection is unusable.
func (c *client) flush() bool {
	if ps := c.ps.Load(); ps != nil {
		return c.flushAsync(ps)
	}
	if c.out.Len() == 0 {
		return true
	}
	n, err := c.nc.Write(c.out.Bytes())
	c.s.stats.netOutput.Add(int64(n))
	if c.out.Len() > maxIdleOutput {
		c.out = resp.NewWriter(c.out.Proto())
	} else {
		c.out.Reset()
	}
	return err == nil
}

// process runs one pipeline: network commands here, runs of storage
// commands as one storage request each, replies in command order.
func (c *client) process(cmds [][][]byte, cfg *config.Config) {
	c.lastActive.Store(time.Now().UnixNano())
	batch := &c.job.batch
	batch.Reset()
	c.jobStats = c.jobStats[:0]
	for _, args := range cmds {
		cmd := c.s.table.Lookup(args[0])
		st := c.s.cmdStat(cmd)
		// CLIENT REPLY OFF/SKIP: run what is pending, then this command
		// alone, and drop what it wrote.
		suppress, wasOff, mark := c.replyOff || c.replySkip, c.replyOff, 0
		if suppress {
			c.replySkip = false
			c.runStorage(cfg)
			mark = c.out.Len()
			c.pushedTo = 0
		}
		switch {
		case cmd == nil:
			c.runStorage(cfg)
			c.replyError(unknownCommand(args))
			c.rejectQueued()
			st.reject()
		case !cmd.CheckArity(len(args)):
			c.runStorage(cfg)
			c.replyError(command.WrongArgs(cmd.Name))
			c.rejectQueued()
			st.reject()
		case !c.authed && cmd.Flags&command.NoAuth == 0:
			c.runStorage(cfg)
			c.replyError("NOAUTH Authentication required.")
			c.rejectQueued()
			st.reject()
		case c.pubsubDenied(cmd):
			c.runStorage(cfg)
			c.replyError(pubsubDeniedError(cmd, args))
			c.rejectQueued()
			st.reject()
		case c.s.scriptBusy(cfg) && !busyAllowed(cmd, args):
			c.runStorage(cfg)
			c.rejectBusy(cmd)
			st.reject()
		case c.multi.active && !multiPassThrough[cmd.Name]:
			c.runStorage(cfg)
			c.queue(cmd, args, st)
		case cmd.Run == nil:
			c.runStorage(cfg)
			c.setLastCmd(cmd.Name)
			errs, start := c.errs, time.Now()
			c.s.netCmds[cmd.Name](c, args)
			c.called(st, args, time.Since(start), c.errs != errs)
		case cmd.Flags&command.Blocking != 0:
			c.runStorage(cfg)
			c.setLastCmd(cmd.Name)
			if !c.runBlocking(cmd, args, st, cfg) {
				c.quit = true
			}
		default:
			c.setLastCmd(cmd.Name)
			batch.Calls = append(batch.Calls, command.Call{Cmd: cmd, Args: args})
			c.jobStats = append(c.jobStats, st)
		}
		if suppress && !(wasOff && !c.replyOff) { // CLIENT REPLY ON is answered
			c.runStorage(cfg)
			c.out.Truncate(max(mark, c.pushedTo))
		}
		if c.quit {
			break
		}
	}
	c.runStorage(cfg)
}

func (c *client) setLastCmd(name string) {
	c.mu.Lock()
	c.lastCmd = name
	c.mu.Unlock()
}

func (c *client) replyError(msg string) {
	c.errs++
	c.s.stats.errorReplies.Add(1)
	c.out.WriteError(msg)
}

// runStorage sends the pending storage batch, if any, as one request and
// waits for it. The network slot is released while waiting.
func (c *client) runStorage(cfg *config.Config) {
	b := &c.job.batch
	if len(b.Calls) == 0 {
		return
	}
	now := time.Now()
	c.prepareBatch(cfg, now)
	c.job.write = b.HasWrite()
	if err := c.submitAndWait(&c.job, c.job.done, cfg, now); err != nil {
		b.FailAll(storageErrorReply(err))
	}
	c.s.stats.errorReplies.Add(int64(b.Errors))
	// Every command of the request waited for the whole request: that is
	// the latency its client saw (from the network runtime's side).
	elapsed := time.Since(now)
	for i, st := range c.jobStats {
		c.called(st, b.Calls[i].Args, elapsed, b.Calls[i].Failed)
	}
	clear(c.jobStats)
	c.jobStats = c.jobStats[:0]
	b.Reset()
}

// prepareBatch fills the per-request fields of the connection's batch:
// database, request time, limits, reply buffer, logger, key events.
func (c *client) prepareBatch(cfg *config.Config, now time.Time) {
	b := &c.job.batch
	b.DB = c.selectedDB()
	b.Now = now.UnixMilli()
	b.MaxBulk = cfg.ProtoMaxBulkLen
	b.StreamLimits = streamLimits(cfg)
	b.Out = c.out
	b.Logger = c.s.cmdLog
	b.Watches = c.s.events
}

// streamLimits returns the stream node sizes of cfg.
func streamLimits(cfg *config.Config) keyspace.StreamLimits {
	return keyspace.StreamLimits{NodeMaxEntries: int64(cfg.StreamNodeMaxEntries), NodeMaxBytes: cfg.StreamNodeMaxBytes}
}

// submitAndWait sends j to the storage runtime with the request deadline
// and waits for its result on done, without holding a network slot
// meanwhile.
func (c *client) submitAndWait(j storage.Job, done <-chan error, cfg *config.Config, now time.Time) error {
	c.s.slots.Release()
	c.s.exec.Submit(j, msgchan.Normal, now.Add(cfg.Runtime.RequestTimeout))
	err := <-done
	_ = c.s.slots.Acquire(context.Background())
	return err
}

// storageErrorReply maps a storage runtime failure to the error reply each
// command of the failed request receives.
func storageErrorReply(err error) string {
	switch {
	case errors.Is(err, storage.ErrBusy):
		return "OVERLOADED storage request queue is full, try again later"
	case errors.Is(err, storage.ErrTimeout):
		return "TIMEOUT request deadline exceeded before it could run"
	case errors.Is(err, storage.ErrUnavailable):
		return "UNAVAILABLE storage runtime is not running"
	default:
		return "ERR storage failure: " + err.Error()
	}
}

// unknownCommand formats Redis's unknown-command error.
func unknownCommand(args [][]byte) string {
	var sb strings.Builder
	for i := 1; i < len(args) && sb.Len() < 128; i++ {
		a := args[i]
		if room := 128 - sb.Len(); len(a) > room {
			a = a[:room]
		}
		fmt.Fprintf(&sb, "'%s' ", a)
	}
	name := args[0]
	if len(name) > 128 {
		name = name[:128]
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", name, sb.String())
}

// storageJob is a connection's (reused) storage request: one command.Batch.
type storageJob struct {
	batch command.Batch
	write bool
	done  chan error
	// exec is set for EXEC's job: the connection whose WATCH mark is
	// checked first; execAborted reports that it was set (the reply is
	// a null array and nothing ran).
	exec        *client
	execAborted bool
}

var _ storage.Job = (*storageJob)(nil)

func (j *storageJob) Write() bool { return j.write }
func (j *storageJob) Run(tx *keyspace.Tx) {
	if c := j.exec; c != nil {
		if c.watch.dirty.Load() || c.watch.expiredSince(j.batch.Now) {
			j.execAborted = true
			j.batch.Out.WriteNullArray()
			return
		}
		j.batch.Out.WriteArrayLen(len(j.batch.Calls))
	}
	j.batch.Run(tx)
}
func (j *storageJob) Finish(err error) { j.done <- err }
func networkSlots(cfg *config.Config) int {
	if n := cfg.Runtime.NetworkSlots; n > 0 {
		return n
	}
	return 4 * runtime.GOMAXPROCS(0)
}

func sortClients(cs []*client) {
	slices.SortFunc(cs, func(a, b *client) int { return int(a.id - b.id) })
}
