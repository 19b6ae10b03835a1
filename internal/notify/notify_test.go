package notify

import "testing"

func TestParseAndString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"KA", "AK"},
		{"EA", "AE"},
		{"gKE", "gKE"},
		{"$lshzxeKE", "$lshzxeKE"},
		{"KEA", "AKE"},
		{"Ex", "xE"},
		{"En", "nE"},
		{"AnKEm", "AnKEm"}, // Redis would print AKEm and lose n
		{"g$lshzxetd", "A"},
		{"t", "t"},
	} {
		c, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got := c.String(); got != tc.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"KEX", "q", "K E", "a"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted an unknown class", bad)
		}
	}
}

func TestEnabled(t *testing.T) {
	c, _ := Parse("Kl")
	if !c.Enabled(List) || c.Enabled(Set) {
		t.Fatalf("Kl: list %v set %v", c.Enabled(List), c.Enabled(Set))
	}
	c, _ = Parse("A") // no K nor E: nothing is published
	if c.Enabled(List) {
		t.Fatal("A without K or E enables events")
	}
}

func TestChannels(t *testing.T) {
	e := Event{Class: List, Name: "lpush", DB: 9, Key: []byte("mylist")}
	if got := string(e.KeyspaceChannel()); got != "__keyspace@9__:mylist" {
		t.Fatalf("keyspace channel %q", got)
	}
	if got := string(e.KeyeventChannel()); got != "__keyevent@9__:lpush" {
		t.Fatalf("keyevent channel %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "KEA", "gKE", "$lshzxeKE", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		// The canonical form reads back as the same classes.
		c2, err := Parse(c.String())
		if err != nil || c2 != c {
			t.Fatalf("Parse(%q)=%v; String %q reads back as %v, %v", s, c, c.String(), c2, err)
		}
	})
}
