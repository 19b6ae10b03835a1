package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestCommandGetKeys checks COMMAND GETKEYS against Redis 7.0's replies,
// movablekeys commands (SORT's STORE, numkeys) included.
func TestCommandGetKeys(t *testing.T) {
	addr := startInProcess(t, "dual")
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(nc)
	cases := []struct{ args, want string }{
		{"sort abc store def", "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"},
		{"sort abc store invalid store stillbad store def", "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"},
		{"sort_ro abc store def", "*1\r\n$3\r\nabc\r\n"},
		{"lmpop 2 a b LEFT", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"zunionstore d 2 a b", "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"mset a 1 b 2", "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"lmpop 0 a LEFT", "-ERR Invalid arguments specified for command\r\n"},
		{"set a", "-ERR Invalid number of arguments specified for command\r\n"},
		{"ping x", "-ERR The command has no key arguments\r\n"},
		{"nosuch a", "-ERR Invalid command specified\r\n"},
	}
	for _, tc := range cases {
		if _, err := io.WriteString(nc, "COMMAND GETKEYS "+tc.args+"\r\n"); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(tc.want))
		if _, err := io.ReadFull(rd, got); err != nil {
			t.Fatalf("%s: read: %v (got %q)", tc.args, err, got)
		}
		if string(got) != tc.want {
			t.Errorf("COMMAND GETKEYS %s = %q, want %q", tc.args, got, strings.TrimSpace(tc.want))
		}
	}
}
