// Package integration drives real kiwi processes over TCP with a real Redis
// client (go-redis), on every compiled engine and in both runtime modes.
//
// TestMain builds the kiwi binary once (with -race, and with the rocksdb tag
// when this test binary has it). Servers listen on 127.0.0.1 with a port the
// kernel picks (--port 0); the harness learns it from the "kiwi ready" log
// line. Each server's log is attached to the test that started it and shown
// only when the test fails.
package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// kiwiBin is the path of the binary TestMain built.
var kiwiBin string

// startTimeout bounds how long a server may take to become ready.
const startTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiwi-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kiwiBin = filepath.Join(dir, "kiwi")
	args := []string{"build", "-race", "-o", kiwiBin}
	if rocksdbCompiled {
		args = append(args, "-tags", "rocksdb")
	}
	args = append(args, "github.com/kiwidb/kiwi/cmd/kiwi")
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kiwi:", err)
		os.Exit(1)
	}
	code := m.Run()
	stopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// engines returns the engines compiled into the binary under test.
func engines() []string {
	if rocksdbCompiled {
		return []string{"pebble", "leveldb", "rocksdb"}
	}
	return []string{"pebble", "leveldb"}
}

// modes are the runtime modes.
var modes = []string{"dual", "single"}

// proc is a running kiwi process.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	Addr string
	// AdminAddr is the HTTP admin listener's address ("" when disabled).
	AdminAddr string
	Dir       string
	args      []string
	log       *syncBuffer
	done      chan struct{}
	err       error
}

// syncBuffer collects a process's output for the test log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	readyAddr = regexp.MustCompile(`kiwi ready.* addr=(\S+)`)
	adminAddr = regexp.MustCompile(`admin listening.* addr=(\S+)`)
)

// baseArgs are the options every test server starts with: loopback only,
// kernel-picked ports (RESP and admin), info logs.
func baseArgs() []string {
	return []string{"--bind", "127.0.0.1", "--port", "0", "--metrics.addr", "127.0.0.1:0", "--log.level", "info"}
}

// startKiwi starts a server with a fresh data dir (unless --dir is given in
// args) and waits until it is ready. The process is stopped at cleanup.
func startKiwi(t testing.TB, args ...string) *proc {
	t.Helper()
	dir := ""
	for i, a := range args {
		if a == "--dir" && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	if dir == "" {
		dir = t.TempDir()
		args = append([]string{"--dir", dir}, args...)
	}
	full := append(baseArgs(), args...)
	p := &proc{t: t, Dir: dir, args: args, log: &syncBuffer{}}
	p.start(full)
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("kiwi %s log:\n%s", strings.Join(p.args, " "), p.log.String())
		}
	})
	return p
}

func (p *proc) start(args []string) {
	p.t.Helper()
	p.cmd = exec.Command(kiwiBin, args...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd.Stdout = p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start kiwi: %v", err)
	}
	p.done = make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			if m := adminAddr.FindStringSubmatch(line); m != nil && !sent {
				p.AdminAddr = m[1]
			}
			if m := readyAddr.FindStringSubmatch(line); m != nil && !sent {
				ready <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(p.log, stderr)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	select {
	case p.Addr = <-ready:
	case <-p.done:
		p.t.Fatalf("kiwi exited before ready (%v):\n%s", p.err, p.log.String())
	case <-time.After(startTimeout):
		_ = p.cmd.Process.Kill()
		p.t.Fatalf("kiwi not ready after %v:\n%s", startTimeout, p.log.String())
	}
}

// Stop stops the server gracefully (SIGTERM), killing it if it hangs.
func (p *proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("kiwi did not stop within 30s after SIGTERM; killing")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill stops the server with SIGKILL (a crash).
func (p *proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Restart starts the same server again on the same data dir (new port).
func (p *proc) Restart() {
	p.t.Helper()
	p.Stop()
	full := append(baseArgs(), p.args...)
	p.start(full)
}

// Exited waits up to timeout for the process to exit and returns its exit
// error.
func (p *proc) Exited(timeout time.Duration) (exited bool, err error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(timeout):
		return false, nil
	}
}

// Client returns a go-redis client for the server, closed at cleanup.
func (p *proc) Client(t testing.TB, opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: p.Addr, Protocol: 2, MaxRetries: -1}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// servers caches one running server per engine/mode for the whole package,
// so command tests do not pay a start-up each.
var servers struct {
	mu sync.Mutex
	m  map[string]*proc
}

// forEachServer runs fn as a subtest against a shared server for every
// engine and runtime mode, with a fresh (flushed) keyspace each time.
func forEachServer(t *testing.T, fn func(t *testing.T, p *proc, c *redis.Client)) {
	for _, eng := range engines() {
		for _, mode := range modes {
			t.Run(eng+"/"+mode, func(t *testing.T) {
				p := shared(t, eng, mode)
				c := p.Client(t)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := c.FlushAll(ctx).Err(); err != nil {
					t.Fatalf("FLUSHALL: %v", err)
				}
				fn(t, p, c)
			})
		}
	}
}

// shared returns the package-wide server for engine/mode, starting it on
// first use. It lives until the test binary exits.
func shared(t *testing.T, eng, mode string) *proc {
	servers.mu.Lock()
	defer servers.mu.Unlock()
	if servers.m == nil {
		servers.m = map[string]*proc{}
	}
	key := eng + "/" + mode
	if p, ok := servers.m[key]; ok {
		select {
		case <-p.done:
		default:
			p.t = t
			return p
		}
	}
	p := &proc{t: t, Dir: mustTempDir(t), log: &syncBuffer{}}
	p.args = []string{"--dir", p.Dir, "--storage.engine", eng, "--runtime.mode", mode}
	p.start(append(baseArgs(), p.args...))
	servers.m[key] = p
	return p
}

// stopShared stops the package-wide servers and removes their data.
func stopShared() {
	servers.mu.Lock()
	defer servers.mu.Unlock()
	for _, p := range servers.m {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			fmt.Fprintf(os.Stderr, "shared kiwi %v did not stop; killing\n", p.args)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		os.RemoveAll(p.Dir)
	}
}

func mustTempDir(t testing.TB) string {
	d, err := os.MkdirTemp("", "kiwi-shared-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ctx returns a context bounded for one test step.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runKiwi runs the binary to completion (for flags that exit at once) and
// returns its combined output and exit code.
func runKiwi(t testing.TB, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kiwiBin, args...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("run kiwi %v: %v", args, err)
	}
	return string(out), 0
}
