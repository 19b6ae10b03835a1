// Package server is Kiwi's network runtime: it accepts RESP connections,
// parses and validates commands, answers the ones that need no storage, and
// hands the rest to the storage runtime through a storage.Executor.
//
// # The request path
//
// Every connection has one goroutine, parked on Go's netpoller while it waits
// for bytes. When bytes arrive:
//
//  1. The goroutine reads every complete command already buffered (a
//     pipeline), up to runtime.max-pipeline of them (resp.Reader).
//  2. It acquires a network slot (slots.Pool). Slots bound how many
//     connections do network-stage CPU work at once; connections waiting for
//     a slot are the network request queue. The pool is resized live.
//  3. Holding the slot it walks the commands in order: looks each up in the
//     command table, checks arity and authentication, and either answers it
//     on the spot (Network commands: PING, ECHO, AUTH, HELLO, SELECT, CLIENT,
//     COMMAND, CONFIG, INFO, SLOWLOG, LATENCY, TIME, DBSIZE, QUIT, SHUTDOWN)
//     or appends it to the current storage batch.
//  4. A run of consecutive storage commands becomes one command.Batch, sent
//     to storage as one request (one Job). The slot is released while the
//     connection waits for the reply: a slow engine never pins network
//     slots. Batches containing a write go to the applier whole; read-only
//     batches go to the read workers.
//  5. When every command has its reply, the output buffer is written to the
//     socket (without a slot) and the loop starts again.
//
// # Ordering
//
// A connection has at most one storage request in flight and waits for it
// before it runs the next command, so replies come back in command order and
// every command sees the effects of the ones before it on the same
// connection. Connections are not ordered among themselves, as in Redis.
//
// # Observability
//
// Every command that ran is accounted once, when its reply is ready
// (client.called): its counters (calls, failed, time), its latency
// histogram, and, past their thresholds, the slow log and the latency
// monitor. INFO and the Prometheus collector read the same counters; CONFIG
// RESETSTAT only moves the baseline INFO subtracts, so /metrics stays
// monotonic.
//
// # Errors
//
// Protocol errors are answered with "-ERR Protocol error: ..." and the
// connection is closed, as Redis does. A storage failure of one request
// (queue full after the backpressure timeout, deadline exceeded, commit
// failure, runtime stopped) is answered with one error reply per command of
// that request; the connection stays usable.
package server
