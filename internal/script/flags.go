package script

import (
	"strings"
)

// Flags are a script's shebang flags ("#!lua flags=no-writes,...").
type Flags uint8

// Script flags, as Redis 7.0 names them.
const (
	// FlagNoWrites: the script may not call write commands (and may run
	// with EVAL_RO).
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagCompat marks a script without a shebang (Redis's eval
	// compatibility mode).
	FlagCompat
)

var flagNames = map[string]Flags{
	"no-writes": FlagNoWrites, "allow-oom": FlagAllowOOM, "allow-stale": FlagAllowStale,
	"no-cluster": FlagNoCluster, "allow-cross-slot-keys": FlagAllowCrossSlot,
}

// parseShebang reads the "#!lua flags=..." first line of body, as Redis's
// evalExtractShebangFlags: it returns the flags, the length of the line
// (without its newline), or an error message (without the ERR code).
func parseShebang(body string) (Flags, int, string) {
	if !strings.HasPrefix(body, "#!") {
		return FlagCompat, 0, ""
	}
	end := strings.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts := strings.Fields(body[:end])
	if len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	var flags Flags
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := flagNames[name]
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, end, ""
}
