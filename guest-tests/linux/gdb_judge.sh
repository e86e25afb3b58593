# shellcheck shell=sh
# The Linux guest's verdict on gdb's output (issue 8), sourced by init in
# the guest (busybox) and by tests/unit/gdb_judge_test.sh on the host: POSIX
# sh and awk only.

# gdb's output -> one event per line: "break FUNC", "watch|rwatch|awatch VAR
# OLD NEW" (a write) or "... VAR VALUE" (a read), "print VALUE", "exit HOW".
# Only "Hardware ..." watchpoint lines count: a software watchpoint (gdb's
# fallback when it cannot arm a debug register) prints "Watchpoint N: VAR".
gdb_events() {
	awk '
	/^Hardware watchpoint [0-9]+: / { kind = "watch"; name = $4; next }
	/^Hardware read watchpoint [0-9]+: / { kind = "rwatch"; name = $5; next }
	/^Hardware access \(read\/write\) watchpoint [0-9]+: / { kind = "awatch"; name = $6; next }
	/^Old value = / { old = $4; next }
	/^New value = / { if (kind != "") print kind, name, old, $4; kind = ""; next }
	/^Value = / { if (kind != "") print kind, name, $3; kind = ""; next }
	/^Breakpoint [0-9]+, [A-Za-z_0-9]+ \(/ { print "break", $3; next }
	/^\$[0-9]+ = / { print "print", $3; next }
	/^\[Inferior [0-9]+ \(process [0-9]+\) exited / { sub(/.*exited /, ""); sub(/\]$/, ""); print "exit", $0; next }
	'
}

# judge EVENTS EXPECT: the events against the expected ones (wptest.expect:
# CHECK EVENT per line, in order); one "linuxdbg: ok|FAIL CHECK" line per
# check, then "linuxdbg: result pass|fail PASSED/CHECKS".
judge() {
	awk -v events="$1" '
	BEGIN { while ((getline line < events) > 0) got[++n] = line }
	/^#/ || NF == 0 { next }
	{
		check = $1; want = $0; sub(/^[^ ]+ /, "", want); i++
		if (!(check in seen)) { order[++checks] = check; seen[check] = 1; bad[check] = "" }
		if (got[i] != want) bad[check] = bad[check] sprintf(" [#%d want \"%s\" got \"%s\"]", i, want, got[i])
	}
	END {
		if (n > i) bad[order[checks]] = bad[order[checks]] sprintf(" [%d extra events]", n - i)
		for (c = 1; c <= checks; c++) {
			k = order[c]
			if (bad[k] == "") { pass++; printf "linuxdbg: ok %s\n", k }
			else printf "linuxdbg: FAIL %s%s\n", k, bad[k]
		}
		printf "linuxdbg: result %s %d/%d\n", (pass == checks ? "pass" : "fail"), pass, checks
	}' "$2"
}
