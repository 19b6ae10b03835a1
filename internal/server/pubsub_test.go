package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiwidb/kiwi/internal/config"
	"github.com/kiwidb/kiwi/internal/pubsub"
)

// rawConn is a byte-level RESP connection: replies and pushes are read
// as their raw bytes.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// encode writes a command as a RESP multibulk.
func encode(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func (r *rawConn) send(args ...string) {
	r.t.Helper()
	if _, err := io.WriteString(r.nc, encode(args...)); err != nil {
		r.t.Fatal(err)
	}
}

// frame reads one complete reply or push and returns its bytes.
func (r *rawConn) frame() string {
	r.t.Helper()
	var sb strings.Builder
	if err := readFrame(r.br, &sb); err != nil {
		r.t.Fatalf("read: %v (so far %q)", err, sb.String())
	}
	return sb.String()
}

// expect reads len(want) bytes and compares them.
func (r *rawConn) expect(want string) {
	r.t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r.br, got); err != nil {
		r.t.Fatalf("read: %v (got %q, want %q)", err, got, want)
	}
	if string(got) != want {
		r.t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func readFrame(br *bufio.Reader, sb *strings.Builder) error {
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	sb.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(line[1:], "\r\n"))
	switch line[0] {
	case '$', '=':
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		sb.Write(buf)
	case '*', '>', '~', '%':
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readFrame(br, sb); err != nil {
				return err
			}
		}
	}
	return nil
}

// subReply, msg and pmsg build the frames Redis 7.0 sends (checked against
// redis-server 7.0.15).
func subReply(head, verb, name string, n int) string {
	nameBulk := "$-1\r\n"
	if head == ">" && name == "\x00" {
		nameBulk = "_\r\n"
	} else if name != "\x00" {
		nameBulk = fmt.Sprintf("$%d\r\n%s\r\n", len(name), name)
	}
	return fmt.Sprintf("%s3\r\n$%d\r\n%s\r\n%s:%d\r\n", head, len(verb), verb, nameBulk, n)
}

func msg(head, ch, payload string) string {
	return fmt.Sprintf("%s3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", head, len(ch), ch, len(payload), payload)
}

func pmsg(head, pat, ch, payload string) string {
	return fmt.Sprintf("%s4\r\n$8\r\npmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", head, len(pat), pat, len(ch), ch, len(payload), payload)
}

const deniedTail = "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"

// TestPubSubRESP2 replays a RESP2 session checked byte for byte against
// redis-server 7.0.15.
func TestPubSubRESP2(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			c := dialRaw(t, addr)
			null := "\x00"
			steps := []struct {
				args []string
				want string
			}{
				{[]string{"UNSUBSCRIBE"}, subReply("*", "unsubscribe", null, 0)},
				{[]string{"PUNSUBSCRIBE"}, subReply("*", "punsubscribe", null, 0)},
				{[]string{"SUNSUBSCRIBE"}, subReply("*", "sunsubscribe", null, 0)},
				{[]string{"UNSUBSCRIBE", "a"}, subReply("*", "unsubscribe", "a", 0)},
				{[]string{"PING"}, "+PONG\r\n"},
				{[]string{"SUBSCRIBE", "a", "b", "a"}, subReply("*", "subscribe", "a", 1) + subReply("*", "subscribe", "b", 2) + subReply("*", "subscribe", "a", 2)},
				{[]string{"PSUBSCRIBE", "p*", "a"}, subReply("*", "psubscribe", "p*", 3) + subReply("*", "psubscribe", "a", 4)},
				{[]string{"SSUBSCRIBE", "s1"}, subReply("*", "ssubscribe", "s1", 1)},
				{[]string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
				{[]string{"PING", "hello"}, "*2\r\n$4\r\npong\r\n$5\r\nhello\r\n"},
				{[]string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
				{[]string{"GET", "x"}, "-ERR Can't execute 'get" + deniedTail},
				{[]string{"PUBLISH", "a", "x"}, "-ERR Can't execute 'publish" + deniedTail},
				{[]string{"PUBSUB", "NUMSUB", "z"}, "-ERR Can't execute 'pubsub|numsub" + deniedTail},
				{[]string{"PUBSUB", "FOO"}, "-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"},
				{[]string{"PUBSUB", "NUMPAT", "x"}, "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"},
				{[]string{"EXEC"}, "-EXECABORT Transaction discarded because of: Can't execute 'exec" + deniedTail},
				{[]string{"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
				{[]string{"SUBSCRIBE"}, "-ERR wrong number of arguments for 'subscribe' command\r\n"},
				{[]string{"UNSUBSCRIBE", "x", "a"}, subReply("*", "unsubscribe", "x", 4) + subReply("*", "unsubscribe", "a", 3)},
				{[]string{"UNSUBSCRIBE"}, subReply("*", "unsubscribe", "b", 2)},
				{[]string{"UNSUBSCRIBE"}, subReply("*", "unsubscribe", null, 2)},
				{[]string{"PUNSUBSCRIBE"}, subReply("*", "punsubscribe", "p*", 1) + subReply("*", "punsubscribe", "a", 0)},
				// Still subscribed to a shard channel.
				{[]string{"GET", "x"}, "-ERR Can't execute 'get" + deniedTail},
				{[]string{"SUNSUBSCRIBE"}, subReply("*", "sunsubscribe", "s1", 0)},
				// Out of subscribed mode.
				{[]string{"PING"}, "+PONG\r\n"},
				{[]string{"PUBSUB", "HELP"}, "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n+    Return the currently active channels matching a <pattern> (default: '*').\r\n+NUMPAT\r\n+    Return number of subscriptions to patterns.\r\n+NUMSUB [<channel> ...]\r\n+    Return the number of subscribers for the specified channels, excluding\r\n+    pattern subscriptions(default: no channels).\r\n+SHARDCHANNELS [<pattern>]\r\n+    Return the currently active shard level channels matching a <pattern> (default: '*').\r\n+SHARDNUMSUB [<shardchannel> ...]\r\n+    Return the number of subscribers for the specified shard level channel(s)\r\n+HELP\r\n+    Prints this help.\r\n"},
				{[]string{"PUBSUB", "CHANNELS"}, "*0\r\n"},
				{[]string{"PUBSUB", "NUMSUB"}, "*0\r\n"},
				{[]string{"PUBSUB", "NUMPAT"}, ":0\r\n"},
				{[]string{"PUBSUB"}, "-ERR wrong number of arguments for 'pubsub' command\r\n"},
				{[]string{"PUBSUB", "CHANNELS", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"},
				{[]string{"PUBSUB", "SHARDCHANNELS", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.\r\n"},
				{[]string{"PUBLISH", "a"}, "-ERR wrong number of arguments for 'publish' command\r\n"},
				{[]string{"PUBLISH", "nochan", "x"}, ":0\r\n"},
				{[]string{"SPUBLISH", "nochan", "x"}, ":0\r\n"},
				// Subscribing inside MULTI: SUBSCRIBE runs in EXEC (and
				// the message published to itself lands inside EXEC's
				// array, as in Redis); SSUBSCRIBE is refused there.
				{[]string{"MULTI"}, "+OK\r\n"},
				{[]string{"SUBSCRIBE", "z"}, "+QUEUED\r\n"},
				{[]string{"PUBLISH", "z", "m"}, "+QUEUED\r\n"},
				{[]string{"SSUBSCRIBE", "q"}, "+QUEUED\r\n"},
				{[]string{"EXEC"}, "*3\r\n" + subReply("*", "subscribe", "z", 1) + msg("*", "z", "m") + ":1\r\n" +
					"-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"},
				{[]string{"PUBSUB", "NUMSUB", "z"}, "-ERR Can't execute 'pubsub|numsub" + deniedTail},
				{[]string{"QUIT"}, "+OK\r\n"},
			}
			for _, s := range steps {
				c.send(s.args...)
				c.expect(s.want)
			}
			if _, err := c.br.ReadByte(); err != io.EOF {
				t.Fatalf("after QUIT: %v, want EOF", err)
			}
		})
	}
}

// TestPubSubRESP3 replays a RESP3 session checked against redis-server
// 7.0.15: pushes, any command allowed while subscribed, own messages
// before PUBLISH's reply.
func TestPubSubRESP3(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			c := dialRaw(t, addr)
			c.send("HELLO", "3")
			c.frame()
			null := "\x00"
			steps := []struct {
				args []string
				want string
			}{
				{[]string{"UNSUBSCRIBE"}, subReply(">", "unsubscribe", null, 0)},
				{[]string{"SUBSCRIBE", "a", "b"}, subReply(">", "subscribe", "a", 1) + subReply(">", "subscribe", "b", 2)},
				{[]string{"PSUBSCRIBE", "p*"}, subReply(">", "psubscribe", "p*", 3)},
				{[]string{"SSUBSCRIBE", "s"}, subReply(">", "ssubscribe", "s", 1)},
				{[]string{"PING"}, "+PONG\r\n"},
				{[]string{"PING", "x"}, "$1\r\nx\r\n"},
				{[]string{"GET", "x"}, "_\r\n"},
				{[]string{"PUBLISH", "a", "hi"}, msg(">", "a", "hi") + ":1\r\n"},
				{[]string{"PUBLISH", "pq", "yo"}, pmsg(">", "p*", "pq", "yo") + ":1\r\n"},
				{[]string{"SPUBLISH", "s", "sh"}, ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$2\r\nsh\r\n:1\r\n"},
				{[]string{"PUBSUB", "NUMSUB", "a", "b", "c"}, "*6\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:1\r\n$1\r\nc\r\n:0\r\n"},
				{[]string{"PUBSUB", "SHARDNUMSUB", "s", "t"}, "*4\r\n$1\r\ns\r\n:1\r\n$1\r\nt\r\n:0\r\n"},
				{[]string{"PUBSUB", "CHANNELS"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
				{[]string{"PUBSUB", "CHANNELS", "b*"}, "*1\r\n$1\r\nb\r\n"},
				{[]string{"PUBSUB", "SHARDCHANNELS"}, "*1\r\n$1\r\ns\r\n"},
				{[]string{"PUBSUB", "NUMPAT"}, ":1\r\n"},
				{[]string{"UNSUBSCRIBE"}, subReply(">", "unsubscribe", "a", 2) + subReply(">", "unsubscribe", "b", 1)},
				{[]string{"PUNSUBSCRIBE"}, subReply(">", "punsubscribe", "p*", 0)},
				{[]string{"SUNSUBSCRIBE"}, subReply(">", "sunsubscribe", "s", 0)},
				{[]string{"PUNSUBSCRIBE"}, subReply(">", "punsubscribe", null, 0)},
				{[]string{"MULTI"}, "+OK\r\n"},
				{[]string{"SUBSCRIBE", "z"}, "+QUEUED\r\n"},
				{[]string{"PUBLISH", "z", "m"}, "+QUEUED\r\n"},
				{[]string{"EXEC"}, "*2\r\n" + subReply(">", "subscribe", "z", 1) + msg(">", "z", "m") + ":1\r\n"},
				// Back to RESP2 while subscribed: arrays, and the
				// subscribed-mode rules.
				{[]string{"HELLO", "2"}, ""},
				{[]string{"PUBLISH", "z", "again"}, "-ERR Can't execute 'publish" + deniedTail},
				{[]string{"PING"}, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"},
				{[]string{"UNSUBSCRIBE", "z"}, subReply("*", "unsubscribe", "z", 0)},
				{[]string{"PING"}, "+PONG\r\n"},
			}
			for _, s := range steps {
				c.send(s.args...)
				if s.want == "" {
					c.frame()
					continue
				}
				c.expect(s.want)
			}
		})
	}
}

// TestPubSubDelivery: messages from another connection reach a subscriber
// that is blocked reading, in publish order, with pattern messages, and
// PUBLISH counts the receivers; CLIENT LIST shows the subscriptions;
// disconnecting cleans up NUMSUB.
func TestPubSubDelivery(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			s1, s2, p := dialRaw(t, addr), dialRaw(t, addr), dialTest(t, addr)
			s1.send("SUBSCRIBE", "news")
			s1.expect(subReply("*", "subscribe", "news", 1))
			s2.send("HELLO", "3")
			s2.frame()
			s2.send("PSUBSCRIBE", "n*")
			s2.expect(subReply(">", "psubscribe", "n*", 1))
			s2.send("SUBSCRIBE", "news")
			s2.expect(subReply(">", "subscribe", "news", 2))

			if v := p.do("PUBSUB", "NUMSUB", "news"); fmt.Sprint(v) != "[news 2]" {
				t.Fatalf("NUMSUB = %v", v)
			}
			list := p.str("CLIENT", "LIST", "TYPE", "pubsub")
			if strings.Count(list, "\n") != 2 || !strings.Contains(list, "flags=P db=0 sub=1 psub=0 ssub=0") ||
				!strings.Contains(list, "flags=P db=0 sub=1 psub=1 ssub=0") {
				t.Fatalf("CLIENT LIST TYPE pubsub:\n%s", list)
			}
			if normal := p.str("CLIENT", "LIST", "TYPE", "normal"); strings.Count(normal, "\n") != 1 || !strings.Contains(normal, "flags=N") {
				t.Fatalf("CLIENT LIST TYPE normal:\n%s", normal)
			}
			const n = 200
			for i := 0; i < n; i++ {
				if v := p.do("PUBLISH", "news", strconv.Itoa(i)); v != int64(3) {
					t.Fatalf("PUBLISH = %v, want 3", v)
				}
			}
			for i := 0; i < n; i++ {
				s1.expect(msg("*", "news", strconv.Itoa(i)))
				// s2's two copies: channel then pattern, or pattern
				// then channel; each stream in order.
				a, b := s2.frame(), s2.frame()
				m, pm := msg(">", "news", strconv.Itoa(i)), pmsg(">", "n*", "news", strconv.Itoa(i))
				if !(a == m && b == pm || a == pm && b == m) {
					t.Fatalf("message %d: %q %q", i, a, b)
				}
			}
			info := infoFields(t, p.str("INFO", "stats"))
			if info["pubsub_channels"] != "1" || info["pubsub_patterns"] != "1" || info["pubsubshard_channels"] != "0" {
				t.Fatalf("INFO stats pubsub fields: %v %v %v", info["pubsub_channels"], info["pubsub_patterns"], info["pubsubshard_channels"])
			}
			s1.nc.Close()
			waitFor(t, "NUMSUB after disconnect", func() bool {
				return fmt.Sprint(p.do("PUBSUB", "NUMSUB", "news")) == "[news 1]"
			})
			s2.nc.Close()
			waitFor(t, "channels after disconnect", func() bool {
				return fmt.Sprint(p.do("PUBSUB", "CHANNELS")) == "[]" && p.do("PUBSUB", "NUMPAT") == int64(0)
			})
		})
	}
}

// waitFor polls cond every 5ms for up to 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPubSubOrderUnderChurn: a subscriber subscribes and unsubscribes a
// channel over and over while another connection publishes to it
// without pause. Every message must arrive between a subscribe
// confirmation and the next unsubscribe confirmation, and the messages
// must keep the publisher's order.
func TestPubSubOrderUnderChurn(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			s := dialRaw(t, addr)
			s.send("HELLO", "3")
			s.frame()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer nc.Close()
				br := bufio.NewReader(nc)
				for i := 0; ctx.Err() == nil; i++ {
					var req strings.Builder
					for j := 0; j < 16; j++ {
						req.WriteString(encode("PUBLISH", "c", strconv.Itoa(16*i+j)))
					}
					if _, err := io.WriteString(nc, req.String()); err != nil {
						t.Error(err)
						return
					}
					for j := 0; j < 16; j++ {
						if _, err := br.ReadString('\n'); err != nil {
							t.Error(err)
							return
						}
					}
				}
			}()
			inside, last, got := false, -1, 0
			check := func(f string) {
				switch {
				case strings.HasPrefix(f, ">3\r\n$9\r\nsubscribe\r\n"):
					inside = true
				case strings.HasPrefix(f, ">3\r\n$11\r\nunsubscribe\r\n"):
					inside = false
				case strings.HasPrefix(f, ">3\r\n$7\r\nmessage\r\n"):
					if !inside {
						t.Fatalf("message outside a subscription: %q", f)
					}
					lines := strings.Split(f, "\r\n")
					n, _ := strconv.Atoi(lines[len(lines)-2])
					if n <= last {
						t.Fatalf("message %d after %d", n, last)
					}
					last = n
					got++
				case f == "+PONG\r\n", f == "+OK\r\n":
				default:
					t.Fatalf("unexpected %q", f)
				}
			}
			sets := strings.Repeat(encode("SET", "k", "v"), 100)
			for round := 0; round < 100; round++ {
				if round%2 == 0 {
					// Subscribe, wait for a message, unsubscribe.
					s.send("SUBSCRIBE", "c")
					for before := got; got == before; {
						check(s.frame())
					}
					s.send("UNSUBSCRIBE", "c")
				} else {
					// One pipeline: messages arriving while it runs are
					// held and spliced between its replies.
					_, _ = io.WriteString(s.nc, encode("SUBSCRIBE", "c")+sets+encode("UNSUBSCRIBE", "c")+encode("PING"))
				}
				for pongs := 0; inside || round%2 == 1 && pongs == 0; {
					f := s.frame()
					check(f)
					if f == "+PONG\r\n" {
						pongs++
					}
				}
			}
			cancel()
			wg.Wait()
			t.Logf("%d messages checked", got)
		})
	}
}

// queueSize returns the pending output of the server's (only) connection
// subscribed to a channel (-1: none).
func queueSize(srv *Server) int64 {
	for _, c := range srv.clientList() {
		ps := c.ps.Load()
		if ps == nil {
			continue
		}
		if ps.subs.Count(pubsub.Channel) == 0 {
			continue
		}
		ps.q.mu.Lock()
		n := ps.q.size
		ps.q.mu.Unlock()
		return n
	}
	return -1
}

// smallBuffers shrinks the server's socket send buffer of c's
// connection, so that the kernel does not take in megabytes of a
// subscriber's output that the queue would otherwise hold (autotuning;
// a client that does not read keeps its receive buffer at its initial
// size).
func smallBuffers(t testing.TB, srv *Server, c *rawConn) {
	t.Helper()
	setSendBuffer(t, srv, c, 8<<10)
}

// setSendBuffer sets the server's socket send buffer of c's connection.
func setSendBuffer(t testing.TB, srv *Server, c *rawConn, size int) {
	t.Helper()
	var server *client
	waitFor(t, "the server side of the connection", func() bool {
		for _, sc := range srv.clientList() {
			if sc.raddr == c.nc.LocalAddr().String() {
				server = sc
			}
		}
		return server != nil
	})
	if err := server.nc.(*net.TCPConn).SetWriteBuffer(size); err != nil {
		t.Fatal(err)
	}
}

// TestPubSubOutputLimit: a subscriber that stops reading is disconnected
// at the hard limit; the publisher and another subscriber carry on; the
// counter moves. Then the soft limit, with its delay.
func TestPubSubOutputLimit(t *testing.T) {
	srv, addr, _ := startInProcessServer(t, "dual", nil)
	if err := srv.SetConfig([][2]string{{"client-output-buffer-limit", "pubsub 256kb 0 0"}}); err != nil {
		t.Fatal(err)
	}
	slow, fast, p := dialRaw(t, addr), dialRaw(t, addr), dialTest(t, addr)
	smallBuffers(t, srv, slow)
	slow.send("SUBSCRIBE", "big")
	slow.expect(subReply("*", "subscribe", "big", 1))
	fast.send("SUBSCRIBE", "big")
	fast.expect(subReply("*", "subscribe", "big", 1))
	// The fast subscriber reads everything.
	payload := strings.Repeat("x", 16<<10)
	frame := msg("*", "big", payload)
	var fastGot atomic.Int64
	progress := make(chan struct{}, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		f := make([]byte, len(frame))
		for {
			if _, err := io.ReadFull(fast.br, f); err != nil {
				return
			}
			if string(f) != frame {
				t.Errorf("fast subscriber read a wrong frame")
				return
			}
			fastGot.Add(1)
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}()
	// The slow one never reads: its socket buffers fill, then its queue,
	// until the hard limit closes it. The publisher lets the fast one keep
	// up (a loaded machine must not make it the slow one).
	published := int64(0)
	deadline := time.Now().Add(20 * time.Second)
	for srv.PubSubStats().OutputLimitDisconnections == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow subscriber not disconnected")
		}
		if v := p.do("PUBLISH", "big", payload); v != int64(2) {
			t.Fatalf("PUBLISH = %v", v)
		}
		published++
		for published-fastGot.Load() > 4 {
			select {
			case <-progress:
			case <-time.After(10 * time.Second):
				t.Fatal("the fast subscriber does not read")
			}
		}
		if n := queueSize(srv); n > 256<<10+int64(len(frame)) {
			t.Fatalf("queue of %d bytes, over the limit", n)
		}
	}
	// The slow subscriber's connection is closed, after what was in
	// flight.
	_ = slow.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, slow.br); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("slow subscriber's connection not closed")
		}
	}
	waitFor(t, "NUMSUB 1", func() bool { return fmt.Sprint(p.do("PUBSUB", "NUMSUB", "big")) == "[big 1]" })
	for i := 0; i < 10; i++ {
		if v := p.do("PUBLISH", "big", payload); v != int64(1) {
			t.Fatalf("PUBLISH after the disconnect = %v", v)
		}
		published++
	}
	waitFor(t, "the fast subscriber's messages", func() bool { return fastGot.Load() == published })
	fast.nc.Close()
	<-readerDone
	info := infoFields(t, p.str("INFO", "stats"))
	if info["client_output_buffer_limit_disconnections"] != "1" {
		t.Fatalf("client_output_buffer_limit_disconnections = %q", info["client_output_buffer_limit_disconnections"])
	}
	waitFor(t, "no subscribers", func() bool { return fmt.Sprint(p.do("PUBSUB", "NUMSUB", "big")) == "[big 0]" })

	// Soft limit: 64kb or more for more than one second.
	if err := srv.SetConfig([][2]string{{"client-output-buffer-limit", "pubsub 0 64kb 1"}}); err != nil {
		t.Fatal(err)
	}
	soft := dialRaw(t, addr)
	smallBuffers(t, srv, soft)
	soft.send("SUBSCRIBE", "big")
	soft.expect(subReply("*", "subscribe", "big", 1))
	deadline = time.Now().Add(20 * time.Second)
	for queueSize(srv) < 64<<10 {
		if time.Now().After(deadline) {
			t.Fatal("soft limit: queue does not grow")
		}
		p.do("PUBLISH", "big", payload)
	}
	over := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for srv.PubSubStats().OutputLimitDisconnections == 1 {
		if time.Now().After(deadline) {
			t.Fatal("soft limit: subscriber not disconnected")
		}
		// Keep the queue over the soft limit (the kernel's socket
		// buffers may grow and take some of it).
		if queueSize(srv) < 80<<10 {
			p.do("PUBLISH", "big", payload)
		} else {
			p.do("PUBLISH", "big", "small")
		}
		<-tick.C
	}
	if d := time.Since(over); d < time.Second {
		t.Fatalf("soft limit disconnected after %v, before its 1s", d)
	}
	waitFor(t, "no subscribers", func() bool { return fmt.Sprint(p.do("PUBSUB", "NUMSUB", "big")) == "[big 0]" })

	// Soft limit without further traffic: the connection is closed when
	// its time is up although nothing is published any more. CLIENT LIST
	// shows the pending output (omem).
	quiet := dialRaw(t, addr)
	smallBuffers(t, srv, quiet)
	quiet.send("SUBSCRIBE", "big")
	quiet.expect(subReply("*", "subscribe", "big", 1))
	// Well over the soft limit: the kernel may still take some of it
	// (the client's receive window opens up to its initial buffer).
	for queueSize(srv) < 512<<10 {
		if time.Now().After(deadline) {
			t.Fatal("soft limit: queue does not grow")
		}
		p.do("PUBLISH", "big", payload)
	}
	over = time.Now()
	if list := p.str("CLIENT", "LIST", "TYPE", "pubsub"); !strings.Contains(list, "omem=") || strings.Contains(list, "omem=0 ") {
		t.Fatalf("CLIENT LIST: %s", list)
	}
	waitFor(t, "the quiet subscriber's disconnection", func() bool { return srv.PubSubStats().OutputLimitDisconnections == 3 })
	if d := time.Since(over); d < 900*time.Millisecond {
		t.Fatalf("soft limit without traffic disconnected after %v", d)
	}
}

// TestPubSubIdleTimeout: subscribed connections are exempt from timeout.
func TestPubSubIdleTimeout(t *testing.T) {
	_, addr, _ := startInProcessServer(t, "dual", func(cfg *config.Config, _ *Deps) { cfg.Timeout = 1 })
	s, idle := dialRaw(t, addr), dialRaw(t, addr)
	s.send("SUBSCRIBE", "a")
	s.expect(subReply("*", "subscribe", "a", 1))
	idle.send("PING")
	idle.expect("+PONG\r\n")
	if _, err := idle.br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	p := dialTest(t, addr)
	if v := p.do("PUBLISH", "a", "still here"); v != int64(1) {
		t.Fatalf("PUBLISH = %v", v)
	}
	s.expect(msg("*", "a", "still here"))
}

// TestPubSubNoGoroutineLeak: subscribers' writer goroutines end with
// their connections.
func TestPubSubNoGoroutineLeak(t *testing.T) {
	for _, mode := range []string{"dual", "single"} {
		t.Run(mode, func(t *testing.T) {
			addr := startInProcess(t, mode)
			p := dialTest(t, addr)
			p.do("PING")
			before := runtime.NumGoroutine()
			var conns []*rawConn
			for i := 0; i < 20; i++ {
				c := dialRaw(t, addr)
				c.send("SUBSCRIBE", "x", "y")
				c.frame()
				c.frame()
				conns = append(conns, c)
			}
			if v := p.do("PUBLISH", "x", "m"); v != int64(20) {
				t.Fatalf("PUBLISH = %v", v)
			}
			for i, c := range conns {
				if i%2 == 0 {
					c.send("QUIT")
					continue
				}
				c.nc.Close()
			}
			waitFor(t, "goroutines back to the start", func() bool {
				return runtime.NumGoroutine() <= before
			})
			if v := p.do("PUBSUB", "NUMSUB", "x"); fmt.Sprint(v) != "[x 0]" {
				t.Fatalf("NUMSUB = %v", v)
			}
		})
	}
}

// TestPubSubBusySubscriberUnsubscribes: a subscriber with megabytes of
// messages pending still has its commands run: its UNSUBSCRIBE takes
// effect before it reads anything, and its confirmation follows the
// pending messages.
func TestPubSubBusySubscriberUnsubscribes(t *testing.T) {
	srv, addr, _ := startInProcessServer(t, "dual", nil)
	s, p := dialRaw(t, addr), dialTest(t, addr)
	smallBuffers(t, srv, s)
	s.send("SUBSCRIBE", "busy")
	s.expect(subReply("*", "subscribe", "busy", 1))
	payload := strings.Repeat("b", 64<<10)
	published := 0
	for queueSize(srv) < 2<<20 {
		p.do("PUBLISH", "busy", payload)
		published++
	}
	s.send("UNSUBSCRIBE", "busy")
	waitFor(t, "the unsubscription", func() bool { return fmt.Sprint(p.do("PUBSUB", "NUMSUB", "busy")) == "[busy 0]" })
	if v := p.do("PUBLISH", "busy", "late"); v != int64(0) {
		t.Fatalf("PUBLISH after UNSUBSCRIBE = %v", v)
	}
	setSendBuffer(t, srv, s, 1<<20) // let the backlog go at full speed
	for i := 0; i < published; i++ {
		s.expect(msg("*", "busy", payload))
	}
	s.expect(subReply("*", "unsubscribe", "busy", 0))
	s.send("PING")
	s.expect("+PONG\r\n")
}
