#!/usr/bin/env bash
# End-to-end test of drvctl against monitor_sim (the real monitor interpreter
# on a fake target, served on a UNIX socket): outputs, the monitor's errors
# on stderr with exit status 1, usage errors 2, timeout 3, no connection 4,
# and every refused write proved harmless by reading the register back.
#
# usage: drvctl_sim.sh DRVCTL MONITOR_SIM WORKDIR
set -euo pipefail

drvctl=$1
sim=$2
work=$3
rm -rf "$work"
mkdir -p "$work"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# start_sim NAME ARGS...: a monitor_sim on $work/NAME.sock, log $work/NAME.log.
start_sim() {
	local name=$1 i
	shift
	"$sim" "$work/$name.sock" --log "$work/$name.log" "$@" &
	pids+=("$!")
	for ((i = 0; i < 100; i++)); do
		[[ -S $work/$name.sock || -c $work/$name.sock ]] && return 0
		sleep 0.05
	done
	fail "monitor_sim $name did not start"
}

sock=$work/main.sock

# check STATUS STDOUT STDERR_PART ARGS...: run drvctl on $sock and compare
# (STDERR_PART empty: stderr must be empty).
check() {
	local want_rc=$1 want_out=$2 want_err=$3 out err rc
	shift 3
	set +e
	out=$("$drvctl" --socket="$sock" "$@" 2>"$work/stderr")
	rc=$?
	set -e
	err=$(<"$work/stderr")
	[[ $rc == "$want_rc" ]] || fail "drvctl $*: exit $rc, wanted $want_rc; stderr: $err"
	[[ $out == "$want_out" ]] || fail "drvctl $*: stdout
$out
wanted
$want_out"
	if [[ -z $want_err ]]; then
		[[ -z $err ]] || fail "drvctl $*: unexpected stderr: $err"
	else
		[[ $err == *"$want_err"* ]] || fail "drvctl $*: stderr '$err' lacks '$want_err'"
	fi
	echo "ok ($rc): drvctl $*"
}

start_sim main

# Reading.
check 0 "dr7=0x0000000000000400" "" --get-dr7
check 0 "dr0=0x0000000000000000
dr1=0x0000000000000000
dr2=0x0000000000000000
dr3=0x0000000000000000
dr6=0x00000000ffff0ff0
dr7=0x0000000000000400
debugctl=0x0000000000000000" "" --get-all

# Writing: the reply is the value read back; values are hex, 0x optional.
check 0 "dr0=0x0000000000001000
dr0=0x0000000000001000" "" --set-dr0=0x1000 --get-dr0
check 0 "dr7=0x0000000000000401" "" --set-dr7=401
check 0 "dr6=0x00000000ffff0ff0" "" --set-dr6=0
check 0 "dr2=0x0000000000000400" "" --set-dr2=0n1024
check 0 "debugctl=0x0000000000000003" "" --set-debugctl=3
check 0 "dr1=0x0000000000002000
dr1=0x0000000000000000" "" --vcpu=1 --set-dr1=0x2000 --vcpu=0 --get-dr1

# The monitor's errors: exit 1, its text on stderr, nothing changed, and the
# actions after the failing one not run.
check 1 "" "error: dr7 bits 63:32 must be 0" --set-dr7=0x100000401
check 1 "" "error: dr7 bits 11, 12, 14 and 15 are reserved" --set-dr7=0x1401 --get-dr7
check 1 "" "error: dr6 bits 63:32 must be 0" --set-dr6=0x1ffff0ff0
check 1 "" "error: reserved IA32_DEBUGCTL bit set: 0x4" --set-debugctl=4
check 1 "" "error: dr0-dr3 hold linear addresses: value not canonical" \
	--set-dr0=0x8000000000000000
check 1 "" "error: bad value 'zz'" --set-dr3=zz
check 1 "" "error: no vcpu 9: vcpus are 0-1" --vcpu=9 --set-dr0=1
check 0 "dr0=0x0000000000001000
dr3=0x0000000000000000
dr6=0x00000000ffff0ff0
dr7=0x0000000000000401
debugctl=0x0000000000000003" "" --get-dr0 --get-dr3 --get-dr6 --get-dr7 --get-debugctl
check 1 "dr7=0x0000000000000401" "error: no vcpu 2" --get-dr7 --vcpu=2 --get-dr7

# Run control (monitor_sim's step ends from its poll loop, as from an exit loop).
check 1 "" "error: cannot step vcpu 0: it is running" --cont --step
check 0 "stepped=10
rip=0x0000000000010004" "" --pause --step=10
check 0 "stepped=1
rip=0x0000000000010006" "" --step
check 1 "" "error: step count must be 1-1000000" --step=0
check 0 "" "" --cont --pause --cont
check 0 "total=13
cpuid=10
io=3" "" --pause --stats
check 0 "total=0" "" --reset-stats --stats

# drvctl's own refusals: exit 2, nothing sent.
check 2 "" "dr4 and dr5 are aliases of dr6 and dr7" --get-dr4
check 2 "" "dr4 and dr5 are aliases of dr6 and dr7" --set-dr5=0
check 2 "" "unknown argument --frob" --frob
check 2 "" "nothing to do" --timeout=1
check 2 "" "needs =VALUE" --set-dr0
check 2 "" "bad argument '1 2'" "--set-dr0=1 2"
check 2 "" "--timeout: bad number of seconds" --timeout=0 --get-dr7
set +e
"$drvctl" --get-dr7 2>"$work/stderr"
rc=$?
set -e
[[ $rc == 2 && $(<"$work/stderr") == *"give one of --socket"* ]] || fail "no connection option: exit $rc"

# The monitor is back in human mode after drvctl (it found it there): the
# last thing it wrote is its prompt, after drvctl's "mode human".
sleep 0.2
[[ $(tail -c 9 "$work/main.log") == "drvisor> " ]] || fail "monitor left in machine mode"
grep -q "^mode=human$" "$work/main.log" || fail "drvctl did not restore human mode"
echo "ok: human mode restored"

# A monitor already in machine mode stays there.
start_sim machine --machine
sock=$work/machine.sock
check 0 "dr7=0x0000000000000400" "" --get-dr7
sleep 0.2
grep -q "mode=human" "$work/machine.log" && fail "drvctl switched a machine-mode monitor to human"
echo "ok: machine mode kept"

# A serial device (a pseudo-terminal standing in for one): termios raw mode,
# --baud, the same protocol.
start_sim pty --pty
set +e
out=$("$drvctl" --device="$work/pty.sock" --baud=115200 --set-dr3=0x3000 --get-dr3 2>"$work/stderr")
rc=$?
set -e
[[ $rc == 0 && $out == "dr3=0x0000000000003000
dr3=0x0000000000003000" ]] || fail "drvctl --device: exit $rc, stdout '$out', stderr $(<"$work/stderr")"
echo "ok (0): drvctl --device=PTY --set-dr3=0x3000 --get-dr3"
set +e
"$drvctl" --device="$work/pty.sock" --baud=12345 --get-dr3 2>"$work/stderr"
rc=$?
set -e
[[ $rc == 2 && $(<"$work/stderr") == *"--baud=12345"* ]] || fail "--baud=12345: exit $rc"
echo "ok (2): drvctl --device=PTY --baud=12345"

# No reply: exit 3 after the timeout.
start_sim silent --silent
sock=$work/silent.sock
start=$(date +%s%N)
check 3 "" "timeout: no reply to 'mode machine' within 300 ms" --timeout=0.3 --get-dr7
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
((elapsed_ms < 3000)) || fail "timeout took ${elapsed_ms} ms"

# No monitor at all: exit 4.
sock=$work/nonexistent.sock
check 4 "" "nonexistent.sock" --get-dr7

echo "drvctl_sim: all passed"
