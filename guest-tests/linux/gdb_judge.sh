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

# cpu_list LIST: a sysfs CPU list (/sys/devices/system/cpu/online: "0",
# "0-3", "0,2-3") as CPU numbers, one per word.
cpu_list() {
	echo "$1" | awk -F, '{
		for (i = 1; i <= NF; i++) {
			n = split($i, r, "-")
			for (c = r[1]; c <= (n == 2 ? r[2] : r[1]); c++) printf "%s%d", (out++ ? " " : ""), c
		}
		print ""
	}'
}

# judge_cpu CPU LOG EXPECT: the verdict on one gdb session of wptest pinned
# to CPU (issue 14): judge's checks on LOG's events, then "pinned" (every
# write of `counter` ran on CPU: wptest prints where), each line prefixed
# "linuxdbg: cpu CPU", the hits first ("linuxdbg: cpu CPU hit EVENT").
judge_cpu() {
	gdb_events <"$2" >"$2.events"
	sed "s/^/linuxdbg: cpu $1 hit /" "$2.events"
	judge "$2.events" "$3" | awk -v cpu="$1" -v lf="$2" '
	BEGIN {
		while ((getline line < lf) > 0)
			if (line ~ /^wptest: counter written on cpus /) { n = split(line, w, " "); got = w[6] " " w[7] " " w[8] }
	}
	/^linuxdbg: result / { split($4, pc, "/"); pass = pc[1]; checks = pc[2]; next }
	{ sub(/^linuxdbg: /, ""); printf "linuxdbg: cpu %s %s\n", cpu, $0 }
	END {
		checks++
		if (got == cpu " " cpu " " cpu) { pass++; printf "linuxdbg: cpu %s ok pinned\n", cpu }
		else printf "linuxdbg: cpu %s FAIL pinned [counter written on cpus \"%s\"]\n", cpu, got
		printf "linuxdbg: cpu %s result %s %d/%d\n", cpu, (pass == checks ? "pass" : "fail"), pass, checks
	}'
}

# tally VERDICTS: the per-CPU result lines of judge_cpu summed into one
# "linuxdbg: result pass|fail PASSED/CHECKS".
tally() {
	awk '/^linuxdbg: cpu [0-9]+ result / { split($6, pc, "/"); pass += pc[1]; checks += pc[2] }
	END { printf "linuxdbg: result %s %d/%d\n", (checks && pass == checks ? "pass" : "fail"), pass, checks }' "$1"
}
