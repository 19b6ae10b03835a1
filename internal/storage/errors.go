package storage

import "errors"

// Errors passed to Job.Finish when a job failed as a whole. Check them with
// errors.Is: ErrCommit and ErrPanic arrive wrapped with the cause. Any other
// error (for example a failure to open a read snapshot) is an engine failure
// wrapped with context.
var (
	// ErrBusy means the MessageChannel stayed full for the whole
	// backpressure timeout: the job was never queued. Suggested reply:
	// "OVERLOADED storage request queue is full, try again later".
	ErrBusy = errors.New("storage: storage queue is full")

	// ErrTimeout means the job's deadline passed before a storage goroutine
	// picked it up: it was not run and changed nothing. Suggested reply:
	// "TIMEOUT request deadline exceeded before it could run".
	ErrTimeout = errors.New("storage: request deadline exceeded before it ran")

	// ErrUnavailable means the storage runtime is not running (stopped, or
	// stopping and out of time): the job was not run. Suggested reply:
	// "UNAVAILABLE storage runtime is not running".
	ErrUnavailable = errors.New("storage: storage runtime is not running")

	// ErrCommit wraps the engine error of a failed group commit. Every job
	// of the group gets it: nothing the group wrote exists, although the
	// jobs ran (their replies must be replaced). Suggested reply:
	// "ERR storage commit failed: <cause>".
	ErrCommit = errors.New("storage: group commit failed")

	// ErrPanic wraps the value of a panic that escaped Job.Run. The job's
	// writes were discarded; other jobs are unaffected. If the panic value
	// was an error it is wrapped too (errors.Is(err, keyspace.ErrReadOnly)
	// works). Suggested reply: "ERR internal error: <cause>".
	ErrPanic = errors.New("storage: job panicked")
)
