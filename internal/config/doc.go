// Package config is Kiwi's configuration: one validated set of options read
// from a TOML file and the command line, and changed at runtime by CONFIG SET.
//
// # One option table
//
// Every option is one row of a declarative table (options.go): its dotted
// name, type, default, one-line help, validation rule and whether it is live
// (changeable while the server runs) or restart-only. Everything else is
// derived from that table: Default, Validate, the TOML decoding of a file,
// command-line overrides, Usage (--help), DefaultTOML (--default-config),
// CONFIG GET and CONFIG SET, and the option table in docs/configuration.md
// (kept in step by TestDocs). Adding an option is one struct field plus one
// table row.
//
// Options that Redis also has keep Redis's names at the top level (port,
// maxclients, proto-max-bulk-len …); Kiwi's own options live in the
// sections [storage], [runtime], [log] and [metrics] and are named with dots
// (storage.engine, runtime.mode). A few Redis options that tools query
// (save, appendonly) are compatibility options: accepted, remembered and
// reported, with no effect.
//
// # Start-up
//
// The command calls Parse with os.Args[1:]. Parse loads the --config file
// (if any) over Default, applies the --<option> <value> overrides in order,
// validates, and returns the Config together with an Action (run, print
// help, print the default config, print the version). Every problem found
// is reported, each as an *Error that names the option, the value and the
// rule, joined with errors.Join.
//
// # At runtime
//
// A Config is a plain value with no internal pointers: Clone is a copy. The
// server publishes one Config through an atomic pointer and never modifies
// it; CONFIG SET calls SetMany on a Clone, which either applies every pair
// or changes nothing, and then publishes the clone. A reload (for example on
// SIGHUP) calls Parse again with the original arguments and takes the live
// options with MergeLive.
//
// Nothing in this package is safe for concurrent mutation: a Config being
// modified must be owned by one goroutine. Reading a Config that nobody
// modifies is safe from any number of goroutines.
package config
