# Shared helpers for the integration tests (sourced, not run).
#
# Why: every integration test boots an emulator, waits, and then judges a
# serial log. When one fails, the only evidence is that log, so every
# assertion here prints one clear FAIL line plus the tail of the log it
# looked at; and every test gets its own run dir under the build dir, kept
# after the run, so parallel tests never share files and a failure can be
# inspected afterwards.
#
# Exit codes follow ctest: 0 pass, 1 fail, 77 skip (SKIP_RETURN_CODE).
set -euo pipefail

DV_SOURCE=${DRVISOR_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DV_TOOLS=$DV_SOURCE/tools
DV_TAIL_LINES=${DV_TAIL_LINES:-25}

# The build dir: $DRVISOR_BUILD (set by CMake for ctest), else ./build of the
# source tree.
dv_build_dir() {
	local b=${DRVISOR_BUILD:-$DV_SOURCE/build}
	[[ -d $b ]] || dv_fail "build dir not found: $b (set DRVISOR_BUILD or build first)"
	(cd "$b" && pwd)
}

# dv_run_dir NAME: a fresh, empty run dir for this test, printed.
dv_run_dir() {
	local d
	d=$(dv_build_dir)/tests/integration/runs/$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "$d"
}

# dv_socket_path RUN_DIR: where a test's monitor socket goes, printed:
# RUN_DIR/com2.sock, or a temporary name where that path would not fit a
# UNIX socket address (sun_path, 108 bytes).
dv_socket_path() {
	local s=$1/com2.sock
	((${#s} <= 100)) || s=$(mktemp -u "${TMPDIR:-/tmp}/dv-com2.XXXXXX.sock")
	echo "$s"
}

dv_log_tail() { # FILE...
	local f
	for f in "$@"; do
		echo "---- last $DV_TAIL_LINES lines of $f ----"
		if [[ -f $f ]]; then
			tail -n "$DV_TAIL_LINES" "$f" | tr -d '\r'
		else
			echo "(missing)"
		fi
	done
	echo "----"
}

# dv_fail MESSAGE [LOG...]: one FAIL line, the logs' tails, exit 1.
dv_fail() {
	local msg=$1
	shift
	echo "FAIL: $msg" >&2
	(($#)) && dv_log_tail "$@" >&2
	exit 1
}

dv_skip() {
	echo "SKIP: $*"
	exit 77
}

dv_pass() {
	echo "PASS: ${*:-$(basename "$0")}"
	exit 0
}

# dv_require COMMAND...: skip the test when an emulator or tool is missing;
# under CI (CI=true) fail instead: there tools/deps.sh has run, so a missing
# tool is a missing line in its list, which a skip would hide.
dv_require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		[[ ${CI:-} == true ]] && dv_fail "$c is not installed, though tools/deps.sh ran (CI=true)"
		dv_skip "$c is not installed (tools/deps.sh)"
	done
}

# dv_has_line FILE REGEX: true if a line (CR stripped) matches the ERE.
# grep reads to the end (no -q): stopping at the first match would let tr,
# still writing a long log, die of SIGPIPE, which pipefail reports as "no
# such line" (seen: a flaky "no banner" on a 22 KB monitor log).
dv_has_line() {
	[[ -f $1 ]] && tr -d '\r' <"$1" | grep -a -E -- "$2" >/dev/null
}

# dv_wait_for_line FILE REGEX SECONDS [PID]: wait until the line shows up;
# fails early if PID (the emulator) exits without printing it.
dv_wait_for_line() {
	local file=$1 re=$2 secs=$3 pid=${4:-}
	local end=$((SECONDS + secs))
	while ! dv_has_line "$file" "$re"; do
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			dv_has_line "$file" "$re" && return 0
			dv_fail "process $pid ended before '$re' appeared in $file" "$file"
		fi
		((SECONDS < end)) || dv_fail "no line matching '$re' in $file after ${secs}s" "$file"
		sleep 0.2
	done
}

# dv_assert_line FILE REGEX [WHAT]
dv_assert_line() {
	local what="expected a line matching '$2'"
	dv_has_line "$1" "$2" || dv_fail "${3:-$what} in $1" "$1"
}

# dv_assert_no_line FILE REGEX [WHAT]
dv_assert_no_line() {
	local what="unexpected line matching '$2'"
	if dv_has_line "$1" "$2"; then
		dv_fail "${3:-$what} in $1: $(tr -d '\r' <"$1" | grep -a -m1 -E -- "$2")" "$1"
	fi
}

# dv_assert_status GOT EXPECTED WHAT [LOG...]
dv_assert_status() {
	local got=$1 want=$2 what=$3
	shift 3
	[[ $got == "$want" ]] || dv_fail "$what: exit status $got, expected $want" "$@"
}

# dv_assert_tap FILE: a TAP plan 1..N, N "ok" lines, no "not ok".
dv_assert_tap() {
	local f=$1 plan oks
	plan=$(tr -d '\r' <"$f" | grep -a -E -m1 '^1\.\.[0-9]+$' | cut -d. -f3 || true)
	[[ -n $plan ]] || dv_fail "no TAP plan (1..N) in $f" "$f"
	dv_assert_no_line "$f" '^not ok ' "a failed TAP test"
	oks=$(tr -d '\r' <"$f" | grep -a -c -E '^ok [0-9]+' || true)
	[[ $oks == "$plan" ]] || dv_fail "TAP plan 1..$plan but $oks 'ok' lines in $f" "$f"
}

# dv_native_esp GUEST ESP_DIR: an ESP whose BOOTX64.EFI is the guest test
# itself (no drvisor): the native reference run.
dv_native_esp() {
	local efi
	efi=$(dv_build_dir)/guest-tests/$1.efi
	[[ -f $efi ]] || dv_fail "guest test not built: $efi"
	"$DV_TOOLS/mkesp" --out "$2" --clean --loader "$efi" --no-core >&2
}

# dv_qemu RUN_DIR TIMEOUT RUN-QEMU-ARGS...: run-qemu with COM1 to
# RUN_DIR/com1.log, COM2 to RUN_DIR/com2.log; prints nothing, returns
# QEMU's status (1 = guest_exit(0)); its own output goes to RUN_DIR/runner.log.
dv_qemu() {
	local rd=$1 t=$2
	shift 2
	local st=0
	"$DV_TOOLS/run-qemu" --run-dir "$rd" --timeout "$t" --no-reboot \
		--com1 "file:$rd/com1.log" --com2 "file:$rd/com2.log" "$@" \
		</dev/null >"$rd/runner.log" 2>&1 || st=$?
	return "$st"
}

# dv_bochs RUN_DIR TIMEOUT RUN-BOCHS-ARGS...: likewise; returns run-bochs's
# status (0 = the guest used the Shutdown port, 124 = timeout).
dv_bochs() {
	local rd=$1 t=$2
	shift 2
	local st=0
	"$DV_TOOLS/run-bochs" --run-dir "$rd" --timeout "$t" \
		--com1 "$rd/com1.log" --com2 "$rd/com2.log" "$@" \
		</dev/null >"$rd/runner.log" 2>&1 || st=$?
	return "$st"
}
