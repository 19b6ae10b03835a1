// Package resp implements the Redis serialization protocol (RESP) as a
// Redis 7 server speaks it: Reader parses client requests, Writer encodes
// replies in RESP2 or RESP3.
//
// # Requests
//
// A client sends each command either as a multibulk, an array of bulk
// strings,
//
//	*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n
//
// or, when the first byte is not '*', as an inline command: one line of
// space-separated words, ended by "\n" or "\r\n", with the quoting rules of
// redis-cli (double quotes with \n \r \t \b \a \\ \" \xHH escapes, single
// quotes with \'). Empty lines and multibulks of count 0 or less are
// skipped. Clients may pipeline: send many commands before reading the
// replies.
//
// Reader follows Redis's processMultibulkBuffer and processInlineBuffer,
// including their leniency (the two bytes after a header's CR and after a
// bulk's data are skipped without being checked) and their error texts. A
// malformed request yields a *ProtocolError, which a server answers with
// "-ERR Protocol error: <Msg>" before closing the connection, as Redis does.
// Limits bound every length a peer can declare (proto-max-bulk-len, the
// multibulk count, the 64 KiB inline and header lines, and
// client-query-buffer-limit), and are checked when the length is read,
// before memory is committed to it.
//
// Decisions depend only on the bytes received, never on how they were split
// across reads: a header line is too long when its first MaxInlineLen+1
// bytes hold no CR, whether they came in one read or many. Redis instead
// checks what happens to be buffered, so a line slightly over the limit may
// pass there when it arrives in one read; the only other known difference is
// that Redis stops at a NUL byte in an inline or header line (and waits for
// more input), where Kiwi treats NUL as an ordinary byte.
//
// # The connection loop
//
// One goroutine per connection owns a Reader and a Writer:
//
//	rd := resp.NewReader(conn, limits)
//	w := resp.NewWriter(2)
//	var cmds [][][]byte
//	for {
//		var err error
//		cmds, err = rd.ReadBatch(cmds[:0], 0) // blocks for the first command only
//		if err != nil {
//			var pe *resp.ProtocolError
//			if errors.As(err, &pe) {
//				w.WriteError("ERR " + pe.Error())
//				conn.Write(w.Bytes())
//			}
//			return // io.EOF, io.ErrUnexpectedEOF, ErrQueryBufferLimit, I/O error
//		}
//		for _, args := range cmds {
//			execute(args, w) // args point into rd's buffer
//		}
//		conn.Write(w.Bytes())
//		w.Reset()
//	}
//
// ReadBatch returns every command already received, so a pipeline is
// executed and answered with one write. The arguments point into the
// Reader's buffer and stay valid until the next ReadBatch: long enough to
// hand the whole batch to the storage runtime and wait for its replies, but
// anything kept afterwards must be copied. The buffer (16 KiB by default) is
// reused for every request; it grows for a request that does not fit and is
// brought back to its default size before the next blocking read, so an idle
// connection pins no more than that. A bulk of 32 KiB or more is read
// straight into a slice of its own, as Redis does, instead of through the
// buffer.
//
// # Replies
//
// Writer appends replies to a buffer that the caller writes to the
// connection. Types RESP2 lacks (map, set, double, boolean, null, verbatim,
// push) are written as their RESP2 equivalents exactly as Redis 7 does when
// the client has not switched to RESP3 with HELLO 3.
package resp
