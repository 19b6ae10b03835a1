package integration

// Integration tests of the blocking list commands against real kiwi
// processes: waking, timeouts, first-come-first-served order, disconnects,
// MULTI, pipelines, and that blocked clients hold no runtime resources.

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitBlocked polls INFO clients until blocked_clients is n.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	ctx := ctxT(t)
	want := "blocked_clients:" + strconv.Itoa(n) + "\r"
	for {
		info, err := c.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(info, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("blocked clients never reached %d:\n%s", n, info)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestBlockingPops(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		other := p.Client(t)

		// Data present: served at once.
		if err := c.RPush(ctx, "l", "a", "b").Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.BLPop(ctx, 0, "nokey", "l").Result(); err != nil || strings.Join(got, ",") != "l,a" {
			t.Fatalf("BLPOP = %v, %v", got, err)
		}
		if got, err := c.BRPop(ctx, 0, "l").Result(); err != nil || strings.Join(got, ",") != "l,b" {
			t.Fatalf("BRPOP = %v, %v", got, err)
		}

		// Blocks until another client pushes.
		res := make(chan []string, 1)
		go func() {
			got, _ := c.BLPop(ctx, 0, "l").Result()
			res <- got
		}()
		waitBlocked(t, other, 1)
		if err := other.LPush(ctx, "l", "x").Err(); err != nil {
			t.Fatal(err)
		}
		if got := <-res; strings.Join(got, ",") != "l,x" {
			t.Fatalf("woken BLPOP = %v", got)
		}
		waitBlocked(t, other, 0)
		if n, _ := other.Exists(ctx, "l").Result(); n != 0 {
			t.Fatalf("list left behind: %d", n)
		}

		// Timeout: a null reply after at least the timeout.
		start := time.Now()
		_, err := c.BLPop(ctx, 150*time.Millisecond, "l").Result()
		if !errors.Is(err, redis.Nil) || time.Since(start) < 150*time.Millisecond {
			t.Fatalf("BLPOP with timeout: %v after %v", err, time.Since(start))
		}

		// BLMOVE blocks on its source.
		mv := make(chan string, 1)
		go func() {
			v, _ := c.BLMove(ctx, "src", "dst", "LEFT", "RIGHT", 0).Result()
			mv <- v
		}()
		waitBlocked(t, other, 1)
		if err := other.RPush(ctx, "src", "m").Err(); err != nil {
			t.Fatal(err)
		}
		if v := <-mv; v != "m" {
			t.Fatalf("BLMOVE = %q", v)
		}
		if got, _ := other.LRange(ctx, "dst", 0, -1).Result(); strings.Join(got, ",") != "m" {
			t.Fatalf("dst = %v", got)
		}

		// BLMPOP with a count.
		mp := make(chan string, 1)
		go func() {
			k, vals, err := c.BLMPop(ctx, 0, "right", 2, "nokey", "mp").Result()
			mp <- k + ":" + strings.Join(vals, ",") + ":" + errString(err)
		}()
		waitBlocked(t, other, 1)
		if err := other.RPush(ctx, "mp", "1", "2", "3").Err(); err != nil {
			t.Fatal(err)
		}
		if got := <-mp; got != "mp:3,2:" {
			t.Fatalf("BLMPOP = %q", got)
		}

		// BZPOPMIN blocks on sorted sets.
		zp := make(chan string, 1)
		go func() {
			z, err := c.BZPopMin(ctx, 0, "zs").Result()
			if err != nil {
				zp <- err.Error()
				return
			}
			zp <- z.Key + ":" + z.Member.(string) + ":" + strconv.FormatFloat(z.Score, 'g', -1, 64)
		}()
		waitBlocked(t, other, 1)
		if err := other.ZAdd(ctx, "zs", redis.Z{Score: 2.5, Member: "m"}).Err(); err != nil {
			t.Fatal(err)
		}
		if got := <-zp; got != "zs:m:2.5" {
			t.Fatalf("BZPOPMIN = %q", got)
		}

		// Inside MULTI a blocking command answers at once.
		cmds, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.BLPop(ctx, 0, "empty")
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) || len(cmds) != 1 || !errors.Is(cmds[0].Err(), redis.Nil) {
			t.Fatalf("BLPOP in MULTI: %v %v", cmds, err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestBlockingOrder checks first-come-first-served wake-ups and that a
// client that disconnected while blocked is never served.
func TestBlockingOrder(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		const n = 4
		results := make([]chan string, n)
		for i := range n {
			results[i] = make(chan string, 1)
			cl := p.Client(t)
			go func() {
				got, err := cl.BRPop(ctx, 0, "q").Result()
				if err != nil {
					results[i] <- err.Error()
					return
				}
				results[i] <- got[1]
			}()
			waitBlocked(t, c, i+1)
		}
		// A client that blocks and goes away.
		gone, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gone.Write([]byte("*3\r\n$5\r\nBRPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")); err != nil {
			t.Fatal(err)
		}
		waitBlocked(t, c, n+1)
		gone.Close()
		waitBlocked(t, c, n)
		// RPUSH a b c d e: BRPOP takes from the tail, so the first
		// blocked client gets e, then d...
		if err := c.RPush(ctx, "q", "a", "b", "c", "d", "e").Err(); err != nil {
			t.Fatal(err)
		}
		want := []string{"e", "d", "c", "b"}
		for i := range n {
			if got := <-results[i]; got != want[i] {
				t.Fatalf("client %d got %q, want %q", i, got, want[i])
			}
		}
		// The disconnected client got nothing: "a" is still there.
		if got, _ := c.LRange(ctx, "q", 0, -1).Result(); strings.Join(got, ",") != "a" {
			t.Fatalf("q = %v, want [a]", got)
		}
	})
}

// TestBlockingPipeline checks that the replies before a blocking command
// are sent before it blocks, and the commands after it run after it.
func TestBlockingPipeline(t *testing.T) {
	forEachServer(t, func(t *testing.T, p *proc, c *redis.Client) {
		ctx := ctxT(t)
		conn, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		rd := bufio.NewReader(conn)
		req := "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" +
			"*3\r\n$5\r\nBLPOP\r\n$2\r\npl\r\n$1\r\n0\r\n" +
			"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		if line, err := rd.ReadString('\n'); err != nil || line != "+OK\r\n" {
			t.Fatalf("first reply %q, %v", line, err)
		}
		waitBlocked(t, c, 1)
		if err := c.RPush(ctx, "pl", "v").Err(); err != nil {
			t.Fatal(err)
		}
		want := "*2\r\n$2\r\npl\r\n$1\r\nv\r\n$1\r\n1\r\n"
		got := make([]byte, len(want))
		if _, err := readFull(rd, got); err != nil || string(got) != want {
			t.Fatalf("replies %q, %v; want %q", got, err, want)
		}
	})
}

func readFull(rd *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := rd.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestBlockedClientsHoldNothing blocks more clients than there are
// network slots and storage workers: the server keeps serving others.
func TestBlockedClientsHoldNothing(t *testing.T) {
	p := startKiwi(t, "--runtime.storage-workers", "1", "--runtime.network-slots", "2")
	c := p.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 8
	done := make(chan error, n)
	for range n {
		cl := p.Client(t)
		go func() {
			_, err := cl.BLPop(ctx, 0, "never").Result()
			done <- err
		}()
	}
	waitBlocked(t, c, n)
	for i := range 50 {
		if err := c.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "k").Result(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RPush(ctx, "never", make([]any, n)...).Err(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
