package resp_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kiwidb/kiwi/internal/resp"
)

// A connection loop: read every pipelined command already received, answer
// them all, write once; on a protocol error, answer it and stop.
func Example() {
	conn := strings.NewReader("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n*1\r\n$-1\r\n")
	rd := resp.NewReader(conn, resp.Limits{})
	w := resp.NewWriter(2)
	var cmds [][][]byte
	for {
		var err error
		cmds, err = rd.ReadBatch(cmds[:0], 0)
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				w.WriteError("ERR " + pe.Error())
				fmt.Printf("%q\n", w.Bytes())
			} else if err != io.EOF {
				fmt.Println("read:", err)
			}
			return
		}
		for _, args := range cmds {
			switch strings.ToUpper(string(args[0])) {
			case "PING":
				w.WriteSimple("PONG")
			case "ECHO":
				w.WriteBulk(args[1])
			}
		}
		fmt.Printf("%d commands: %q\n", len(cmds), w.Bytes())
		w.Reset()
	}
	// Output:
	// 2 commands: "$5\r\nhello\r\n+PONG\r\n"
	// "-ERR Protocol error: invalid bulk length\r\n"
}
