# causes.awk — aggregates Kiwi's failure causes over all units, for
# scripts/compat.sh. Input lines, tab-separated:
#   failed   1  MESSAGE   a test that failed with this first error
#   blocked  N  MESSAGE   an error that aborted a start_server block or the
#                         whole unit; N = tests that pass on redis-server but
#                         never ran on Kiwi behind it (0 when the unit had
#                         several aborts)
#   several  N  (several aborts in UNIT)   those N, unattributed
# Messages are normalised ("unknown command 'x'", "CONFIG SET opt: unknown
# option", ...) and the causes printed by the tests they cost, most first.

function norm(m,   o) {
    sub(/\.$/, "", m)
    if (match(m, /unknown command '[^']*'/)) return tolower(substr(m, RSTART, RLENGTH))
    if (match(m, /unknown subcommand '[^']*'/)) {
        o = substr(m, RSTART, RLENGTH)
        if (match(m, /Try [A-Za-z|]+ HELP/)) o = o " of " substr(m, RSTART + 4, RLENGTH - 9)
        return tolower(o)
    }
    if (match(m, /CONFIG SET - '[^']*'/)) return "CONFIG SET " substr(m, RSTART + 14, RLENGTH - 15) ": unknown option"
    if (match(m, /CONFIG SET parameter '[^']*'/)) return "CONFIG SET " substr(m, RSTART + 22, RLENGTH - 23) ": rejected"
    if (m ~ /^Expected /) return "(assertion failed: unexpected reply; see kiwi-missing.txt)"
    if (length(m) > 100) m = substr(m, 1, 100) "..."
    return m
}

BEGIN { FS = "\t" }
{
    c = norm($3)
    if (!(c in failed)) { failed[c] = 0; blocked[c] = 0; order[++n] = c }
    if ($1 == "failed") failed[c] += $2
    else if ($1 == "several") blocked[c] += $2
    else { blocked[c] += $2; aborts[c]++ }
}
END {
    print "# Kiwi failure causes over all units, by tests lost (failed + blocked)."
    print "# failed:  tests that failed with this as their first error."
    print "# blocked: tests that pass on redis-server but never ran on Kiwi because this"
    print "#          error aborted their start_server block (or the whole unit), when"
    print "#          it was the only abort in the unit (else counted under 'several')."
    printf "%6s %7s  %s\n", "failed", "blocked", "cause"
    fflush()
    cmd = "sort -t '\t' -k1,1nr -k2 | cut -f2-"
    for (i = 1; i <= n; i++) {
        c = order[i]
        printf "%d\t%6d %7d  %s%s\n", failed[c] + blocked[c], failed[c], blocked[c], c, (aborts[c] ? "  [aborts: " aborts[c] "]" : "") | cmd
    }
    close(cmd)
}
