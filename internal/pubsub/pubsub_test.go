package pubsub

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// sink is a Subscriber that records the frames it receives.
type sink struct {
	proto int
	mu    sync.Mutex
	got   []string
	n     atomic.Int64
}

func (s *sink) Deliver(m *Message) {
	f := m.Frame(s.proto)
	s.mu.Lock()
	s.got = append(s.got, string(f))
	s.mu.Unlock()
	s.n.Add(1)
}

func (s *sink) frames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func b(s string) []byte { return []byte(s) }

func TestFrames(t *testing.T) {
	cases := []struct {
		m      Message
		r2, r3 string
	}{
		{Message{Kind: Channel, Channel: b("ch"), Payload: b("hello")},
			"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n",
			">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"},
		{Message{Kind: Pattern, Pattern: b("c*"), Channel: b("ch"), Payload: b("")},
			"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n",
			">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n"},
		{Message{Kind: Shard, Channel: b("s"), Payload: b("x\r\ny")},
			"*3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$4\r\nx\r\ny\r\n",
			">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$4\r\nx\r\ny\r\n"},
	}
	for _, c := range cases {
		m := c.m
		if got := string(m.Frame(2)); got != c.r2 {
			t.Errorf("RESP2 %q, want %q", got, c.r2)
		}
		if got := string(m.Frame(3)); got != c.r3 {
			t.Errorf("RESP3 %q, want %q", got, c.r3)
		}
		// Encoded once: the same backing array every time.
		if f1, f2 := m.Frame(2), m.Frame(2); &f1[0] != &f2[0] {
			t.Error("frame re-encoded")
		}
	}
}

func TestSubscribePublishCounts(t *testing.T) {
	r := New()
	a, c := &sink{proto: 2}, &sink{proto: 3}
	if !r.Subscribe(a, Channel, b("news")) || r.Subscribe(a, Channel, b("news")) {
		t.Fatal("Subscribe: want true then false (duplicate)")
	}
	r.Subscribe(c, Channel, b("news"))
	r.Subscribe(c, Pattern, b("n*"))
	r.Subscribe(c, Pattern, b("x*"))
	r.Subscribe(a, Shard, b("news"))

	// c receives the message twice: as a subscriber of the channel and
	// of the matching pattern.
	if n, own := r.Publish(Channel, b("news"), b("hi"), nil); n != 3 || own != nil {
		t.Fatalf("Publish = %d, %v; want 3", n, own)
	}
	if got, want := a.frames(), []string{"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"}; !slices.Equal(got, want) {
		t.Fatalf("a got %q", got)
	}
	want := []string{
		">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
		">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
	}
	if got := c.frames(); !slices.Equal(got, want) {
		t.Fatalf("c got %q", got)
	}
	// The shard namespace is separate: patterns do not apply.
	if n, _ := r.Publish(Shard, b("news"), b("s"), nil); n != 1 {
		t.Fatalf("shard Publish = %d, want 1", n)
	}
	if n, _ := r.Publish(Shard, b("nothing"), b("s"), nil); n != 0 {
		t.Fatalf("Publish to no one = %d", n)
	}
	if n, _ := r.Publish(Channel, b("other"), b("s"), nil); n != 0 {
		t.Fatalf("Publish to no one = %d", n)
	}

	// The publisher's own deliveries come back instead of Deliver.
	n, own := r.Publish(Channel, b("news"), b("me"), c)
	if n != 3 || len(own) != 2 || own[0].Kind != Channel || own[1].Kind != Pattern || string(own[1].Pattern) != "n*" {
		t.Fatalf("Publish from c = %d, %+v", n, own)
	}
	if len(c.frames()) != 2 {
		t.Fatal("c's own message went through Deliver")
	}

	if got := r.NumSub(Channel, b("news")); got != 2 {
		t.Fatalf("NumSub = %d", got)
	}
	if got := r.NumSub(Shard, b("news")); got != 1 {
		t.Fatalf("shard NumSub = %d", got)
	}
	if got := r.NumSub(Channel, b("n*")); got != 0 {
		t.Fatalf("NumSub counts patterns: %d", got)
	}
	if r.Count(Channel) != 1 || r.Count(Pattern) != 2 || r.Count(Shard) != 1 {
		t.Fatalf("Count = %d %d %d", r.Count(Channel), r.Count(Pattern), r.Count(Shard))
	}

	// Unsubscribe.
	if r.Unsubscribe(a, Channel, b("nope")) || r.Unsubscribe(a, Pattern, b("news")) {
		t.Fatal("Unsubscribe of nothing reported true")
	}
	if !r.Unsubscribe(a, Channel, b("news")) || r.Unsubscribe(a, Channel, b("news")) {
		t.Fatal("Unsubscribe: want true then false")
	}
	r.Unsubscribe(c, Pattern, b("n*"))
	if n, _ := r.Publish(Channel, b("news"), b("x"), nil); n != 1 {
		t.Fatalf("after unsubscribes Publish = %d, want 1", n)
	}
	r.UnsubscribeAll(c, Channel, []string{"news", "never"})
	r.UnsubscribeAll(c, Pattern, []string{"x*"})
	r.UnsubscribeAll(a, Shard, []string{"news"})
	if r.Count(Channel) != 0 || r.Count(Pattern) != 0 || r.Count(Shard) != 0 {
		t.Fatalf("Count after all unsubscribed = %d %d %d", r.Count(Channel), r.Count(Pattern), r.Count(Shard))
	}
	if len(r.patterns) != 0 || len(r.names[Channel]) != 0 {
		t.Fatal("registry keeps empty entries")
	}
}

func TestPatterns(t *testing.T) {
	r := New()
	subs := map[string]*sink{}
	for _, p := range []string{"*", "h?llo", "h[ae]llo", "h[^e]llo", "h*llo", `h\*llo`, "news.*", ""} {
		s := &sink{proto: 2}
		subs[p] = s
		r.Subscribe(s, Pattern, b(p))
	}
	cases := map[string][]string{
		"hello":   {"*", "h?llo", "h[ae]llo", "h*llo"},
		"hallo":   {"*", "h?llo", "h[ae]llo", "h[^e]llo", "h*llo"},
		"heeello": {"*", "h*llo"},
		"h*llo":   {"*", "h?llo", "h[^e]llo", "h*llo", `h\*llo`},
		"news.it": {"*", "news.*"},
		"":        {""}, // Redis: * does not match the empty channel
	}
	for ch, want := range cases {
		before := map[string]int64{}
		for p, s := range subs {
			before[p] = s.n.Load()
		}
		n, _ := r.Publish(Channel, b(ch), b("m"), nil)
		if n != len(want) {
			t.Errorf("Publish %q reached %d, want %d", ch, n, len(want))
		}
		var got []string
		for p, s := range subs {
			if s.n.Load() != before[p] {
				got = append(got, p)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Publish %q matched %q, want %q", ch, got, want)
		}
	}
	// Removing patterns keeps the scan list consistent.
	for _, p := range []string{"h?llo", "*", "news.*"} {
		r.Unsubscribe(subs[p], Pattern, b(p))
	}
	if n, _ := r.Publish(Channel, b("hello"), b("m"), nil); n != 2 {
		t.Fatalf("after removals: %d, want 2 (h[ae]llo, h*llo)", n)
	}
	if r.Count(Pattern) != len(r.patterns) {
		t.Fatal("pattern count and list disagree")
	}
	for i, e := range r.patterns {
		if e.pos != i {
			t.Fatalf("pattern %q at %d has pos %d", e.name, i, e.pos)
		}
	}
}

func TestChannelsAndNumSub(t *testing.T) {
	r := New()
	s1, s2 := &sink{}, &sink{}
	for _, ch := range []string{"b", "a", "abc", "x"} {
		r.Subscribe(s1, Channel, b(ch))
	}
	r.Subscribe(s2, Channel, b("a"))
	r.Subscribe(s2, Shard, b("sh"))
	r.Subscribe(s2, Pattern, b("a*"))
	str := func(bs [][]byte) []string {
		out := []string{}
		for _, x := range bs {
			out = append(out, string(x))
		}
		return out
	}
	if got := str(r.Channels(Channel, nil)); !slices.Equal(got, []string{"a", "abc", "b", "x"}) {
		t.Fatalf("Channels = %q", got)
	}
	if got := str(r.Channels(Channel, b("a*"))); !slices.Equal(got, []string{"a", "abc"}) {
		t.Fatalf("Channels a* = %q", got)
	}
	if got := str(r.Channels(Shard, nil)); !slices.Equal(got, []string{"sh"}) {
		t.Fatalf("shard Channels = %q", got)
	}
	if got := str(r.Channels(Channel, b("zz"))); len(got) != 0 {
		t.Fatalf("Channels zz = %q", got)
	}
	if r.NumSub(Channel, b("a")) != 2 || r.NumSub(Channel, b("b")) != 1 || r.NumSub(Channel, b("nope")) != 0 {
		t.Fatal("NumSub wrong")
	}
	// NUMPAT counts distinct patterns, as Redis 7.
	r.Subscribe(s1, Pattern, b("a*"))
	if r.Count(Pattern) != 1 {
		t.Fatalf("Count(Pattern) = %d, want 1", r.Count(Pattern))
	}
}

func TestSubscriptions(t *testing.T) {
	var s Subscriptions
	for _, n := range []string{"z", "a", "m", "a"} {
		s.Add(Channel, b(n))
	}
	s.Add(Pattern, b("p*"))
	if s.Count(Channel) != 3 || s.Count(Pattern) != 1 || s.Total() != 4 {
		t.Fatalf("counts %d %d %d", s.Count(Channel), s.Count(Pattern), s.Total())
	}
	if got := s.List(Channel); !slices.Equal(got, []string{"z", "a", "m"}) {
		t.Fatalf("List = %q (want subscription order)", got)
	}
	if !s.Remove(Channel, b("a")) || s.Remove(Channel, b("a")) || s.Remove(Shard, b("x")) {
		t.Fatal("Remove results wrong")
	}
	s.Add(Channel, b("a"))
	if got := s.List(Channel); !slices.Equal(got, []string{"z", "m", "a"}) {
		t.Fatalf("List = %q", got)
	}
	if got := s.List(Shard); len(got) != 0 {
		t.Fatalf("List(Shard) = %q", got)
	}
}

// TestConcurrent publishes, subscribes and unsubscribes from many
// goroutines (run with -race): every message a subscriber was subscribed
// for throughout is delivered exactly once, and the counts end at zero.
func TestConcurrent(t *testing.T) {
	r := New()
	const workers, rounds = 8, 300
	stable := &sink{proto: 2}
	r.Subscribe(stable, Channel, b("stable"))
	r.Subscribe(stable, Pattern, b("st*"))
	var published atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			me := &sink{proto: 2 + w%2}
			for i := 0; i < rounds; i++ {
				ch := b("ch" + strconv.Itoa(i%7))
				r.Subscribe(me, Channel, ch)
				r.Subscribe(me, Pattern, b("ch*"))
				r.Subscribe(me, Shard, ch)
				if n, _ := r.Publish(Channel, b("stable"), b(fmt.Sprint(w, i)), nil); n < 2 {
					t.Errorf("stable publish reached %d", n)
					return
				}
				published.Add(1)
				r.Publish(Channel, ch, b("x"), me)
				r.Publish(Shard, ch, b("x"), nil)
				_ = r.Channels(Channel, b("ch*"))
				_ = r.NumSub(Channel, ch)
				r.Unsubscribe(me, Channel, ch)
				r.Unsubscribe(me, Shard, ch)
				if i%3 == 0 {
					r.Unsubscribe(me, Pattern, b("ch*"))
				}
			}
			r.UnsubscribeAll(me, Pattern, []string{"ch*"})
		}(w)
	}
	wg.Wait()
	if got, want := stable.n.Load(), 2*published.Load(); got != want {
		t.Fatalf("stable subscriber got %d frames, want %d", got, want)
	}
	r.Unsubscribe(stable, Channel, b("stable"))
	r.Unsubscribe(stable, Pattern, b("st*"))
	if r.Count(Channel) != 0 || r.Count(Pattern) != 0 || r.Count(Shard) != 0 {
		t.Fatalf("counts after all unsubscribed: %d %d %d", r.Count(Channel), r.Count(Pattern), r.Count(Shard))
	}
}

// nullSub is a Subscriber that only encodes the frame, as a connection
// does before queueing it.
type nullSub struct{ n int }

func (s *nullSub) Deliver(m *Message) { s.n += len(m.Frame(2)) }

// BenchmarkPublishFanOut measures PUBLISH to one channel with N
// subscribers and a few non-matching patterns.
func BenchmarkPublishFanOut(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			r := New()
			for i := 0; i < n; i++ {
				r.Subscribe(&nullSub{}, Channel, []byte("news"))
			}
			for i := 0; i < 10; i++ {
				r.Subscribe(&nullSub{}, Pattern, []byte(fmt.Sprintf("other.%d.*", i)))
			}
			payload := make([]byte, 64)
			ch := []byte("news")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got, _ := r.Publish(Channel, ch, payload, nil); got != n {
					b.Fatalf("reached %d", got)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// countSub counts the bytes it is handed, from any goroutine.
type countSub struct{ n atomic.Int64 }

func (s *countSub) Deliver(m *Message) { s.n.Add(int64(len(m.Frame(3)))) }

// BenchmarkPublishParallel measures concurrent publishers on distinct
// channels (the registry's read lock is shared).
func BenchmarkPublishParallel(b *testing.B) {
	r := New()
	for i := 0; i < 64; i++ {
		r.Subscribe(&countSub{}, Channel, []byte("ch"+strconv.Itoa(i)))
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ch := []byte("ch" + strconv.Itoa(int(next.Add(1)%64)))
		p := []byte("payload")
		for pb.Next() {
			r.Publish(Channel, ch, p, nil)
		}
	})
}
