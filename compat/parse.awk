# parse.awk — reads the output of one `./runtest --single UNIT` run (Redis
# 7.0.15 test suite, external-server mode, TERM=dumb so no colours) and
# counts the outcome of each test. Used by scripts/compat.sh.
#
#   awk -v okf=FILE -v errf=FILE -f compat/parse.awk runtest.log
#
# Writes the names of the passed tests to okf (one a line; a name can repeat
# when the suite runs the same test body for several encodings) and the
# failures to errf as "name<TAB>first line of the error". Prints one line:
#   passed failed skipped ignored block_errors completed exception<TAB>message
# where completed is 1 when the suite reached "The End", exception is 1 when
# the test client died with an [exception] (the rest of the unit was not run).
#
# Line formats (tests/test_helper.tcl, read_from_test_client):
#   [ok]: NAME (N ms)
#   [err]: NAME in tests/unit/x.tcl      then the details, one or more lines
#   [err]: MESSAGE                       a start_server block aborted (external
#                                        mode with --durable): no test name
#   [skip]: NAME                         skipped by --skipfile / --skiptest
#   [ignore]: NAME: Tag: x denied        skipped by a tag (or a whole block)
#   [exception]: Executing test client: MESSAGE
#   [TIMEOUT]: clients state report follows.
# After "The End" the suite lists the failures again ("*** [err]: ...");
# those lines are not counted.

function clean(s) {
    gsub(/\t/, " ", s)
    gsub(/\r/, "", s)
    return s
}

# The test proc strips the first 10 characters of every error (meant for the
# "assertion:" prefix), so an error reply such as "ERR unknown command ..."
# arrives as "n command ...". When the error was not an assertion the next
# detail line starts Tcl's errorInfo, whose first line is the whole message:
# prefer it when it contains the truncated one.
function flush_err(   name, msg) {
    if (!inerr) return
    if (d1 ~ / in tests\/[^ ]*\.tcl$/) {
        name = d1
        sub(/ in tests\/[^ ]*\.tcl$/, "", name)
        msg = d2
        if (d2 != "" && d3 != "" && index(d3, d2) > 0) msg = d3
        failed++
    } else {
        name = "(start_server block aborted: the rest of the block was not run)"
        msg = d1
        if (d1 != "" && d2 != "" && index(d2, d1) > 0) msg = d2
        blockerr++
    }
    if (errf != "") print clean(name) "\t" clean(msg) > errf
    inerr = 0
}

BEGIN { passed = failed = skipped = ignored = blockerr = 0; completed = 0; exc = 0; excmsg = "" }

ended { next }

/^\[/ { flush_err() }

inerr && !/^\[/ {
    inerr_lines++
    if (inerr_lines == 1) { d2 = $0; next }
    d3 = $0; flush_err(); next
}

/^\[ok\]: / {
    name = $0
    sub(/^\[ok\]: /, "", name)
    sub(/ \([0-9]+ ms\)$/, "", name)
    passed++
    if (okf != "") print clean(name) > okf
    next
}
/^\[err\]: / {
    d1 = $0
    sub(/^\[err\]: /, "", d1)
    d2 = ""; d3 = ""; inerr = 1; inerr_lines = 0
    next
}
/^\[skip\]: / { skipped++; next }
/^\[ignore\]: / { ignored++; next }
/^\[exception\]: / {
    exc = 1
    excmsg = $0
    sub(/^\[exception\]: (Executing test client: )?/, "", excmsg)
    next
}
/^\[TIMEOUT\]/ { exc = 1; excmsg = "runtest: no progress for --timeout seconds"; next }
/^ *The End *$/ { completed = 1; ended = 1; next }

END {
    flush_err()
    if (errf != "") close(errf)
    if (okf != "") close(okf)
    printf "%d %d %d %d %d %d %d\t%s\n", passed, failed, skipped, ignored, blockerr, completed, exc, clean(excmsg)
}
