// Package storage is Kiwi's storage runtime: the stage that runs requests
// against the keyspace, after the network runtime has parsed them.
//
// # Usage
//
// Create a Runtime over a keyspace, start it, submit Jobs, stop it:
//
//	rt := storage.New(ks, storage.Config{Sync: true}, logger)
//	rt.Start()
//	defer rt.Stop(ctx)
//
//	rt.Submit(job, msgchan.Normal, time.Now().Add(5*time.Second))
//	err := <-job.done // the job's Finish signals its submitter
//
// A Job says whether it writes (Write), does its work against a transaction
// (Run), and learns its outcome (Finish). The network runtime wraps each
// connection's command.Batch into one Job; Run calls Batch.Run, and Finish
// wakes the connection, which calls Batch.FailAll on error.
//
// # The request flow
//
// Submit puts the job on the MessageChannel (package msgchan): lane 0 for
// reads, lane 1 for writes, at the job's priority. If the channel is full,
// Submit blocks (the connection stops reading its socket: TCP backpressure)
// for up to Config.BackpressureTimeout, then finishes the job with ErrBusy.
// Submit never loses a job and never returns an error: every outcome,
// success or failure, arrives through exactly one call of Job.Finish.
//
// Read workers (a pool, resized live with Resize) each loop:
//
//	env := channel.Recv(lane 0)         // most urgent first, FIFO per priority
//	if env.Deadline has passed: Finish(ErrTimeout), never Run
//	tx := ks.ReadTx()                   // a consistent view per command (docs/keyspace.md, Transactions)
//	job.Run(tx); tx.Close()             // a panic becomes Finish(ErrPanic…)
//	job.Finish(nil)
//
// The applier, a single goroutine and the only writer, loops:
//
//	batch := channel.RecvBatch(lane 1, MaxGroupSize) // waits for one, takes what is queued
//	g := ks.BeginGroup()
//	for each job in batch, in arrival order:
//	    if its deadline has passed: Finish(ErrTimeout), never Run
//	    c := g.Begin()                  // child transaction
//	    job.Run(c)                      // sees the writes of the jobs before it
//	    panic?  c.Discard(); Finish(ErrPanic…)  — only this job fails
//	    else    c.Merge()               // its writes join the group
//	    if g.Pending() >= MaxGroupKeys: commit this group, start another
//	err := g.Commit(Sync)               // one engine batch, one WAL fsync
//	Finish(each member, err wrapped in ErrCommit, or nil)
//
// Group commit is what makes many small writes cheap: N concurrent writers
// share one engine batch and one fsync. A job is finished with nil only after
// its group is committed (durable if Sync), so a client never sees a reply
// for a write that a crash could undo.
//
// # Ordering rules
//
//   - Writes run one at a time, in the order the applier receives them:
//     strict priority between levels, FIFO within a level. A write sees every
//     write received before it, committed or still in its group.
//   - A read sees everything committed before its snapshot is taken. A job is
//     finished only after its commit, so a connection that waits for Finish
//     before sending its next request (the network runtime does) always
//     reads its own writes.
//   - Requests of different connections carry no order between them, as in
//     Redis.
//
// # Errors
//
// A job fails as a whole with ErrBusy (channel full), ErrTimeout (deadline
// passed while queued), ErrUnavailable (runtime stopped), ErrCommit (the
// group's engine commit failed: the job ran but nothing it wrote exists) or
// ErrPanic (a panic escaped Run: its writes were discarded). Errors of
// single commands are not job failures: a Job reports them in its own reply
// and discards that command's writes (command.Batch runs every command in a
// child transaction of its own). A panic in Finish is logged and contained.
//
// # Background work
//
// Active expiry (Tx.ExpireCycle, every Config.ExpireInterval, repeated at
// once while keys remain and a quarter of the interval has not passed, as
// Redis does) and the garbage sweep (Tx.SweepGarbage, every
// Config.GCInterval, repeated while garbage remains) are submitted as write
// jobs at Low priority, so they go through the single writer between client
// writes and never ahead of them. At most one of each is in flight.
//
// # Observing
//
// Stats holds cumulative counters. For latency distributions, SetObserver
// installs an Observer (package metrics turns it into Prometheus
// histograms) that is told each job's queue wait and Run time, labelled
// with its RunKind and priority, and each group commit's size and
// duration. Without an observer (the default) none of this is timed.
// Inline observes runs and commits but no queue wait.
//
// # Stopping
//
// Stop closes the channel: later Submits finish with ErrUnavailable, the
// workers and the applier drain what is queued, then return. If Stop's
// context ends first, the still-queued jobs are finished with
// ErrUnavailable.
//
// # Single mode
//
// Inline implements the same Executor by running each job in the caller's
// goroutine: reads on a snapshot, writes under one mutex as a group of one.
// It exists to measure what the dual runtime buys.
package storage
