#!/usr/bin/env bash
# The Linux guest's verdict (guest-tests/linux/gdb_judge.sh) on the host:
# a recorded gdb run of wptest.gdb (data/gdb_wptest.log, from a native QEMU
# boot) passes all six checks, and each way gdb could misreport fails the
# check it concerns: a missing hit, a software watchpoint (gdb's fallback
# when no debug register could be armed), a wrong value, an extra hit; and
# the per-CPU verdict (issue 14): a session whose watched writes did not all
# run on its CPU fails "pinned", one failing CPU fails the sum.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/../../guest-tests/linux
log=$here/data/gdb_wptest.log
# shellcheck source=guest-tests/linux/gdb_judge.sh
. "$src/gdb_judge.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# verdict NAME LOG: judge LOG's events into $tmp/NAME.verdict.
verdict() {
	gdb_events <"$2" >"$tmp/$1.events"
	judge "$tmp/$1.events" "$src/wptest.expect" >"$tmp/$1.verdict"
}

# expect NAME REGEX...: every REGEX matches a line of NAME's verdict.
expect() {
	local name=$1 re
	shift
	for re in "$@"; do
		if ! grep -q -E -- "$re" "$tmp/$name.verdict"; then
			echo "FAIL $name: no line matching '$re' in:" >&2
			sed 's/^/  /' "$tmp/$name.verdict" >&2
			failures=$((failures + 1))
			return
		fi
	done
	echo "ok $name"
}

verdict recorded "$log"
expect recorded '^linuxdbg: result pass 6/6$' '^linuxdbg: ok watch$' '^linuxdbg: ok rwatch$'
[[ $(grep -c '^linuxdbg: ok ' "$tmp/recorded.verdict") == 6 ]] ||
	{ echo "FAIL recorded: not 6 ok lines" >&2; failures=$((failures + 1)); }

# The second read of `source` missing: rwatch fails, and so does every
# later check (their events moved up one place).
awk '/^Hardware read watchpoint 3: source$/ { n++ } n == 3 && /^Value = 7$/ { n++; next } { print }' \
	"$log" >"$tmp/missing.log"
verdict missing "$tmp/missing.log"
expect missing '^linuxdbg: ok watch$' '^linuxdbg: FAIL rwatch ' '^linuxdbg: result fail 2/6$'

# gdb fell back to a software watchpoint for `counter`.
sed 's/^Hardware watchpoint 2: counter$/Watchpoint 2: counter/' "$log" >"$tmp/software.log"
verdict software "$tmp/software.log"
expect software '^linuxdbg: ok hbreak-main$' '^linuxdbg: FAIL watch ' '^linuxdbg: result fail '

# A write seen with the wrong value.
sed 's/^New value = 20$/New value = 21/' "$log" >"$tmp/value.log"
verdict value "$tmp/value.log"
expect value '^linuxdbg: FAIL watch \[#3 want "watch counter 10 20" got "watch counter 10 21"\]' \
	'^linuxdbg: ok rwatch$' '^linuxdbg: result fail 5/6$'

# One hit more than wptest makes.
{ cat "$log"; printf '\nHardware watchpoint 2: counter\n\nOld value = 30\nNew value = 40\n'; } \
	>"$tmp/extra.log"
verdict extra "$tmp/extra.log"
expect extra '^linuxdbg: FAIL exit \[1 extra events\]' '^linuxdbg: result fail 5/6$'

# Every CPU (issue 14): sysfs CPU lists, and judge_cpu's "pinned" check on
# the CPUs wptest says its watched writes ran on.
for case in "0:0" "0-3:0 1 2 3" "0,2-3:0 2 3" "1-2,5:1 2 5"; do
	got=$(cpu_list "${case%%:*}")
	if [[ $got == "${case#*:}" ]]; then
		echo "ok cpu_list ${case%%:*}"
	else
		echo "FAIL cpu_list ${case%%:*}: got '$got'" >&2
		failures=$((failures + 1))
	fi
done
# cpu_verdict NAME CPU WRITES: judge_cpu CPU on the recorded log with
# "wptest: counter written on cpus WRITES" (none when WRITES is empty).
cpu_verdict() {
	cp "$log" "$tmp/$1.log"
	[[ -z $3 ]] || echo "wptest: counter written on cpus $3" >>"$tmp/$1.log"
	judge_cpu "$2" "$tmp/$1.log" "$src/wptest.expect" >"$tmp/$1.verdict"
}
cpu_verdict pinned 2 "2 2 2"
expect pinned '^linuxdbg: cpu 2 hit watch counter 10 20$' '^linuxdbg: cpu 2 ok watch$' \
	'^linuxdbg: cpu 2 ok pinned$' '^linuxdbg: cpu 2 result pass 7/7$'
cpu_verdict migrated 1 "1 0 1"
expect migrated '^linuxdbg: cpu 1 ok watch$' \
	'^linuxdbg: cpu 1 FAIL pinned \[counter written on cpus "1 0 1"\]$' '^linuxdbg: cpu 1 result fail 6/7$'
cpu_verdict silent 0 ""
expect silent '^linuxdbg: cpu 0 FAIL pinned ' '^linuxdbg: cpu 0 result fail 6/7$'
sed 's/^New value = 20$/New value = 21/' "$log" >"$tmp/value.log"
echo "wptest: counter written on cpus 3 3 3" >>"$tmp/value.log"
judge_cpu 3 "$tmp/value.log" "$src/wptest.expect" >"$tmp/cpuvalue.verdict"
expect cpuvalue '^linuxdbg: cpu 3 FAIL watch ' '^linuxdbg: cpu 3 ok pinned$' '^linuxdbg: cpu 3 result fail 6/7$'
# tally: every CPU's checks summed; one failing CPU fails the whole.
cat "$tmp/pinned.verdict" >"$tmp/all.verdict"
tally "$tmp/all.verdict" >"$tmp/tally1.verdict"
expect tally1 '^linuxdbg: result pass 7/7$'
cat "$tmp/pinned.verdict" "$tmp/migrated.verdict" >"$tmp/all.verdict"
tally "$tmp/all.verdict" >"$tmp/tally2.verdict"
expect tally2 '^linuxdbg: result fail 13/14$'
: >"$tmp/empty.verdict"
tally "$tmp/empty.verdict" >"$tmp/tally0.verdict"
expect tally0 '^linuxdbg: result fail 0/0$'

((failures == 0)) || { echo "gdb_judge: $failures case(s) failed" >&2; exit 1; }
echo "gdb_judge: all cases passed"
