#!/usr/bin/env bash
# The monitor's integration test (issue 6): boot drvisor with montest.efi as
# its guest and COM2 (the monitor) on a UNIX socket, and drive the guest's
# phases (guest-tests/montest.c) with drvctl, judging drvctl's outputs and
# COM1's TAP:
#   1 the guest waits for DR0 = a magic written through the monitor, writes
#     DR1 and DR7 itself; drvctl reads the guest's values back;
#   2 drvctl arms a watchpoint (DR0, DR7) on a guest variable; the guest's
#     store traps in the guest with DR6 exactly 0xffff0ff1 (QEMU: SKIP, the
#     guest is told platform=qemu: QEMU TCG never arms a breakpoint that is
#     only in the VMCB's DR7 — DESIGN.md quirk table);
#   3 pause: the guest's counter (R12) and RIP stop; step 10: both advance
#     by exactly what a simulation of the guest's loop says; cont: it moves;
#   4 monitor replies while the guest spins with interrupts off and no
#     exiting instruction: timed (wall clock) and compared with a baseline
#     taken in phase 1 (QEMU: figure printed, check SKIPped: under QEMU 7.2
#     TCG drvisor cannot make such a guest exit, arch-x86/svm/svm.c
#     qemu_tcg_virq_bug);
#   5 every bad input of issue 6 gets its `error:` line (raw machine-mode
#     lines and drvctl), and DR0-3/DR6/DR7/DEBUGCTL read back unchanged;
#   6 phase 3's loop again, stepped across its CPUID (an instruction drvisor
#     intercepts and emulates in the middle of the step): exact RIP and
#     counter, and no #DB in the guest (a leaked #DB ends montest);
#   7 a loop that writes DR6 itself, stepped across that MOV to DR6 and its
#     CPUID while DR6 holds sticky bits and a disabled breakpoint matches
#     its store: no #DB in the guest and DR6 exactly as the guest's last MOV
#     wrote it (what the bare CPU does; there is no native run of a monitor:
#     docs/debug-registers.md, "The monitor's single step and DR6").
#   9 phase 3's loop on the first application processor (vCPU 1, started
#     there by the guest through the firmware's MP services): drvctl
#     --vcpu=1 pauses, steps and resumes it while vCPU 0 keeps running and
#     whichever CPU holds the monitor answers. With DV_CPUS=1 the guest says
#     it has one CPU and the phase is checked skipped.
# Fourth argument `smp`: phase 1 (the handshake), then phase 9 only (the
# guest gets phases=smp), for the multi-CPU variants.
# Phases 3, 6 and 7 also check that `regs` shows the guest's RFLAGS after a step
# (no monitor TF), that DR6 is untouched (phase 7: what the loop itself wrote) and that `stats` counts one
# monitor-trap event per stepped instruction; these are reported at the end
# (FAILURE lines as they happen) so that one run shows every finding.
#
# usage: monitor_run.sh PLATFORM [eager|lazy [pci|auto]]
#        PLATFORM: qemu | bochs-vmx | bochs-svm
#        pci, auto (QEMU only, issue 15): the monitor on a PCI 16550 (QEMU
#        pci-serial at 00:06.0, an I/O BAR), the machine without COM2,
#        found through monitor=pci:00:06.0 or monitor=auto (COM1, the
#        firmware's console, must be passed over); `info` must name it.
#
# Transport: QEMU serves COM2 on a UNIX socket (run-qemu --com2 socket:PATH);
# Bochs through run-bochs --com2-socket PATH (a python3 bridge to Bochs's TCP
# socket-client mode on a kernel-picked port, also logging COM2). drvctl
# talks to PATH; raw lines and per-command round trips go through a small
# python3 client (RUN/mon_raw.py) that speaks the same machine mode.
#
# Responsiveness threshold: the issue asks for a reply within 50 ms of the
# command's newline while the guest spins with interrupts off. On Bochs
# (clock: sync=none, 200 M ips) everything the guest and drvisor do runs in
# emulated time, which passes about 3x slower than the wall clock here, so a
# wall-clock figure says more about Bochs than about drvisor. The test
# measures wall-clock round trips and converts them with the slowdown it
# measures during the spin itself (wall ms between the guest's "phase 4
# ready" and "done" lines / the guest's TSC ms of spinning); it asserts that
# the slowest of 5 newline->reply times ("dr 7" sent 0.5 s before its
# newline), in emulated time, is at most MT_NL_LIMIT_MS (50), and that every
# drvctl call got its reply. It prints, wall and emulated, baseline (phase 1:
# the guest makes a CPUID exit every few instructions, IF=1) and spinning:
#   - newline->reply of "dr 7" (the issue's measure),
#   - a whole "dr 7\n" sent at once: Bochs's socket-mode serial port hands
#     the UART one byte only after the last one was read, so while the guest
#     spins every input byte waits for its own preemption-timer exit (2^21
#     TSC ticks, ~10 ms emulated): a line of N bytes takes ~N x 10 ms
#     emulated on Bochs (a real 16550 queues 16 bytes in its FIFO, and 2^21
#     ticks are under 1 ms at real clock rates),
#   - a whole drvctl --get-dr7 (connect, Ctrl-C, mode machine, vcpu 0, dr 7,
#     mode human: ~40 bytes in).
# Measured on the development machine (2 shared cores): Bochs baseline
# newline->reply ~45 ms wall, spinning ~54 ms wall = ~18 ms emulated (max
# ~28); whole line ~140-210 ms wall spinning (~47 ms emulated); drvctl
# ~200 ms baseline, ~750 ms spinning. QEMU: baseline ~1 ms per line, ~4 ms
# per drvctl; the spin gets no reply until it ends (SKIP, reason above).
#
# Run times measured on the development machine (2 cores shared with other
# jobs, no KVM), runner start to PASS/FAIL, all six phases:
#   qemu       about 20-25 s (montest reached after 5-8 s)
#   bochs-vmx  about 60-70 s (montest reached after 14-18 s; the phase-4
#              spin alone ~15 s wall for ~4 s of guest time)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

platform=${1:?usage: monitor_run.sh qemu|bochs-vmx|bochs-svm [eager|lazy] [com2|pci|auto] [all|smp]}
policy=${2:-eager} # dr_switch
phases=${4:-all}
cpus=${DV_CPUS:-1}
[[ $policy == eager || $policy == lazy ]] || dv_fail "unknown policy '$policy'"
uart=${3:-com2} # where the monitor is
case $uart in
com2) monitor_cfg=com2 ;;
pci) monitor_cfg=pci:00:06.0 ;;
auto) monitor_cfg=auto ;;
*) dv_fail "unknown monitor port '$uart' (pci | auto)" ;;
esac
[[ $uart == com2 || $1 == qemu ]] || dv_fail "monitor on a PCI UART: QEMU only"
[[ $uart == com2 ]] || export DV_MONITOR_PCI=1
[[ $phases == all || $phases == smp ]] || dv_fail "unknown phase set '$phases' (all | smp)"
[[ $phases == all ]] || ((cpus > 1)) || dv_fail "phases=smp needs DV_CPUS > 1"
case $platform in
qemu) dv_require qemu-system-x86_64 python3 setsid ;;
bochs-vmx | bochs-svm) dv_require bochs-bin python3 setsid ;;
*) dv_fail "unknown platform '$platform' (qemu | bochs-vmx | bochs-svm)" ;;
esac

name=monitor.$platform
[[ $policy == lazy ]] && name+=.lazy
[[ $phases == smp ]] && name+=.smp
[[ $uart == com2 ]] || name+=.$uart
rd=$(dv_run_dir "$name")
build=$(dv_build_dir)
DRVCTL=$build/tools/drvctl/drvctl
[[ -x $DRVCTL ]] || dv_fail "drvctl not built: $DRVCTL"
boot_timeout=90 # seconds until montest's first line
run_timeout=400 # the whole emulator run (a loaded machine needed 190 s)
reply_timeout=10
if [[ $platform == bochs-* ]]; then
	boot_timeout=150
	run_timeout=560
	reply_timeout=20
fi
MT_NL_LIMIT_MS=${MT_NL_LIMIT_MS:-50}
SAMPLES=5

# The magic values and DR7 patterns of guest-tests/montest.c.
MAGIC_A=0x00006d6f6e740a01
MAGIC_A_ACK=0x00006d6f6e740a02
MAGIC_C=0x00006d6f6e740c01
MAGIC_D=0x00006d6f6e740d01
MAGIC_E=0x00006d6f6e740e01
MAGIC_F=0x00006d6f6e740f01
MAGIC_G=0x00006d6f6e741001
MAGIC_H=0x00006d6f6e741101
MAGIC_I=0x00006d6f6e741201
DR6_BASE=0xffffaff0 # phase 7: the loop writes DR6 = DR6_BASE | (R12 & 3)
GUEST_DR7=0x0000000000d00404
WATCH_DR7=0x00000000000d0401

sock=$(dv_socket_path "$rd")

com1=$rd/com1.log
com2=$rd/com2.log
dlog=$rd/drvctl.log
: >"$dlog"
logs=("$com1" "$dlog" "$rd/runner.log")

next_args=""
[[ $platform == qemu ]] && next_args="platform=qemu"
[[ $phases == smp ]] && next_args+="${next_args:+ }phases=smp"
"$DV_TOOLS/mkesp" --out "$rd/esp" --build "$build" --clean \
	--cfg "monitor=$monitor_cfg" --cfg log_level=info --cfg "dr_switch=$policy" \
	--cfg 'next=\drvisor\tests\montest.efi' ${next_args:+--cfg "next_args=$next_args"} \
	--guest montest >/dev/null

start=$SECONDS
dv_start "$platform" "$rd" "$run_timeout" "$rd/esp" "$sock"
[[ $platform == bochs-* ]] && logs+=("$com2")
emu=$DV_EMU_PID

# ---- talking to the monitor ------------------------------------------------

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# dc ARGS...: drvctl on the socket, acting on vCPU $VCPU (which the raw
# lines after it then act on too: the monitor keeps the selection); DC_OUT,
# DC_ERR, DC_ST, DC_MS (wall time).
VCPU=0
dc() {
	local t0 t1
	t0=$(now_us)
	DC_ST=0
	"$DRVCTL" --socket="$sock" --timeout="$reply_timeout" --vcpu="$VCPU" "$@" >"$rd/dc.out" 2>"$rd/dc.err" ||
		DC_ST=$?
	t1=$(now_us)
	DC_OUT=$(<"$rd/dc.out")
	DC_ERR=$(<"$rd/dc.err")
	DC_US=$((t1 - t0))
	DC_MS=$(((DC_US + 500) / 1000))
	{
		echo "\$ drvctl $* -> status $DC_ST in ${DC_MS} ms"
		[[ -z $DC_OUT ]] || sed 's/^/  /' <<<"$DC_OUT"
		[[ -z $DC_ERR ]] || sed 's/^/  stderr: /' <<<"$DC_ERR"
	} >>"$dlog"
}

# guest_note: what the guest said if it bailed out (an exception it did not
# expect, e.g. a #DB of the monitor's single step), for a FAIL line.
guest_note() {
	local b
	b=$(tr -d '\r' <"$com1" 2>/dev/null | grep -a -m1 '^Bail out!' || true)
	[[ -z $b ]] || echo " [the guest: $b]"
}

# dc_ok ARGS...: drvctl that must succeed.
dc_ok() {
	dc "$@"
	[[ $DC_ST == 0 ]] || dv_fail "drvctl $*: exit status $DC_ST, expected 0: $DC_ERR$(guest_note)" "${logs[@]}"
}

# val NAME TEXT: the value of NAME=... in TEXT (name=value items, lines or words).
val() { tr ' ' '\n' <<<"$2" | sed -n -E "s/^$1=//p" | tail -1; }

# hexnorm VALUE: 0x-hex or decimal as bare lowercase hex without leading
# zeros (64-bit values above 2^63 do not fit bash arithmetic).
hexnorm() {
	local v=${1,,}
	if [[ $v == 0x* ]]; then
		v=$(sed -E 's/^0x0*//' <<<"$v")
		echo "${v:-0}"
	else
		printf '%x\n' "$v"
	fi
}

# expect_reg WHAT NAME EXPECTED TEXT: a register's value in TEXT.
expect_reg() {
	local what=$1 reg=$2 want=$3 got
	got=$(val "$reg" "$4")
	[[ -n $got ]] || dv_fail "$what: no $reg in the reply: '$4'" "${logs[@]}"
	if [[ $(hexnorm "$got") != "$(hexnorm "$want")" ]]; then
		dv_fail "$what: register $reg: expected 0x$(hexnorm "$want"), got $got$(guest_note)" "${logs[@]}"
	fi
}

cat >"$rd/mon_raw.py" <<'PY'
# mon_raw.py SOCKET TIMEOUT LINE...: send each LINE to the monitor in machine
# mode and print "MS<TAB>REPLY" per line (MS: from the newline to the reply,
# wall clock). A LINE "@long" is a 200-byte line; "@nl:TEXT" sends TEXT, waits
# 0.5 s (so that the monitor has taken the text in) and then times only the
# newline's reply. Exits 3 on a timeout.
import socket, sys, time

path, timeout = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(timeout)
buf = b""

def reply():
    global buf
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode("ascii", "replace")
            if line.startswith("error: ") or line == "ok" or line.endswith(" ok"):
                return line
        data = s.recv(4096)
        if not data:
            raise EOFError("connection closed")
        buf += data

def cmd(line, pre=0.0):
    s.sendall(line.encode("latin-1"))
    time.sleep(pre)
    t0 = time.monotonic()
    s.sendall(b"\n")
    r = reply()
    return r, (time.monotonic() - t0) * 1000

try:
    s.sendall(b"\x03")
    r, _ = cmd("mode machine")
    human = "previous=human" in r
    for line in sys.argv[3:]:
        pre = 0.0
        if line == "@long":
            line = "dr 0 " + "1" * 195
        elif line.startswith("@nl:"):
            line, pre = line[4:], 0.5
        r, ms = cmd(line, pre)
        print("%.1f\t%s" % (ms, r), flush=True)
    if human:
        s.sendall(b"mode human\n")
        time.sleep(0.05)
except (socket.timeout, TimeoutError):
    print("timeout\tno reply within %s s" % timeout, flush=True)
    sys.exit(3)
except (OSError, EOFError) as e:
    print("io\t%s" % e, flush=True)
    sys.exit(4)
PY

# raw LINE...: RAW_OUT (one "MS<TAB>REPLY" per line), RAW_ST.
raw() {
	RAW_ST=0
	RAW_OUT=$(python3 "$rd/mon_raw.py" "$sock" "$reply_timeout" "$@" 2>&1) || RAW_ST=$?
	{
		echo "\$ raw $* -> status $RAW_ST"
		sed 's/^/  /' <<<"$RAW_OUT"
	} >>"$dlog"
}
raw_ok() {
	raw "$@"
	[[ $RAW_ST == 0 ]] || dv_fail "monitor lines '$*': status $RAW_ST: $RAW_OUT" "${logs[@]}"
}
# regs: REGS (the reply of `regs`).
regs() {
	raw_ok regs
	REGS=$(cut -f2- <<<"$RAW_OUT")
	[[ $REGS == *" ok" ]] || dv_fail "regs: no ok reply: $REGS" "${logs[@]}"
}

# Failures that leave the rest of the run meaningful are collected and
# reported at the end, so that one run shows them all.
late_fails=()
late_fail() {
	echo "monitor: FAILURE (reported at the end): $*"
	late_fails+=("$*")
}

wait_guest() { # REGEX SECONDS
	dv_wait_for_line "$com1" "$1" "$2" "$emu"
}
# line_of REGEX: the last COM1 line matching it.
line_of() { tr -d '\r' <"$com1" | grep -a -E -- "$1" | tail -1; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : -1)}'; }
maxof() { sort -n | tail -1; }

# ---- phase 1: DR0 from the monitor, DR1/DR7 from the guest --------------------

wait_guest '^montest: phase 1 ready' "$boot_timeout"
dv_assert_line "$com1" '^montest: running under drvisor' "montest did not run under drvisor"
boot_s=$((SECONDS - start))

# Which port the monitor is on and why (issue 15): `info`'s monitor line,
# and the loader's account on the firmware console.
raw_ok info
mon_info=$(cut -f2- <<<"$RAW_OUT")
case $uart in
com2) want='monitor="I/O 0x2f8 \(monitor=0x2f8\)"' ;;
pci) want='monitor="pci 00:06.0 BAR0 I/O 0x[0-9a-f]+ \(monitor=pci:00:06.0\)"' ;;
auto) want='monitor="pci 00:06.0 BAR0 I/O 0x[0-9a-f]+ \(auto: PCI scan; SPCR: not present; DBG2: not present; com1-4: none free\)"' ;;
esac
grep -q -E -- "$want" <<<"$mon_info" || dv_fail "info: the monitor line does not match '$want': $mon_info" "${logs[@]}"
echo "monitor: info says: $(grep -o -E 'monitor="[^"]*"' <<<"$mon_info")"
if [[ $uart != com2 ]]; then
	dv_assert_line "$com1" '^drvisor: monitor: PCI 00:06.0 BAR0 0x[0-9A-F]+\+0x8, ECAM page 0xB0030000: hidden from the guest' \
		"the loader did not report the PCI function it hides"
fi

# The baseline of responsiveness: the guest waits with interrupts on and makes
# a CPUID exit every few instructions. Three figures, wall clock (see the
# header): a whole drvctl --get-dr7, one machine-mode line sent at once
# ("dr 7" + newline), and the newline alone ("dr 7" sent 0.5 s before it).
base_dc=() base_line=() base_nl=()
for ((i = 0; i < SAMPLES; i++)); do
	dc_ok --get-dr7
	base_dc+=("$DC_MS")
done
raw_ok "dr 7" "dr 7" "dr 7" "dr 7" "dr 7"
mapfile -t base_line < <(cut -f1 <<<"$RAW_OUT")
raw_ok "@nl:dr 7" "@nl:dr 7" "@nl:dr 7" "@nl:dr 7" "@nl:dr 7"
mapfile -t base_nl < <(cut -f1 <<<"$RAW_OUT")

dc_ok --set-dr0=$MAGIC_A
expect_reg "phase 1: monitor write of dr0" dr0 $MAGIC_A "$DC_OUT"
wait_guest '^montest: phase 1 wrote dr1=0x[0-9a-f]{16} dr7=0x[0-9a-f]{16}; waiting for dr2=0x[0-9a-f]{16}$' 60
wrote=$(line_of '^montest: phase 1 wrote ')
g_dr1=$(sed -n -E 's/.*dr1=(0x[0-9a-f]+).*/\1/p' <<<"$wrote")
g_dr7=$(sed -n -E 's/.*dr7=(0x[0-9a-f]+).*/\1/p' <<<"$wrote")
[[ -n $g_dr1 && -n $g_dr7 ]] || dv_fail "phase 1: cannot parse '$wrote'" "${logs[@]}"
[[ $(hexnorm "$g_dr7") == "$(hexnorm $GUEST_DR7)" ]] ||
	dv_fail "phase 1: the guest read back dr7=$g_dr7 after writing $GUEST_DR7" "${logs[@]}"
dc_ok --get-all
expect_reg "phase 1: the guest's dr1 read through the monitor" dr1 "$g_dr1" "$DC_OUT"
expect_reg "phase 1: the guest's dr7 read through the monitor" dr7 $GUEST_DR7 "$DC_OUT"
expect_reg "phase 1: dr0 (monitor's write) still there" dr0 $MAGIC_A "$DC_OUT"
dc_ok --get-dr1 --get-dr7
expect_reg "phase 1: --get-dr1" dr1 "$g_dr1" "$DC_OUT"
expect_reg "phase 1: --get-dr7" dr7 $GUEST_DR7 "$DC_OUT"
dc_ok --set-dr2=$MAGIC_A_ACK
echo "monitor: phase 1 ok: dr0=$MAGIC_A from the monitor; dr1=$g_dr1 dr7=$GUEST_DR7 from the guest, read back"

if [[ $phases == all ]]; then
# ---- phase 2: a watchpoint armed through the monitor --------------------------

wait_guest '^montest: phase 2 ready: watch=0x[0-9a-f]{16} dr7=0x[0-9a-f]{16}$' 60
watch=$(line_of '^montest: phase 2 ready: watch=' | sed -n -E 's/.*watch=(0x[0-9a-f]+).*/\1/p')
[[ -n $watch ]] || dv_fail "phase 2: no watch address" "${logs[@]}"
dc_ok --set-dr0="$watch" --set-dr7=0xd0001
expect_reg "phase 2: monitor write of dr0" dr0 "$watch" "$DC_OUT"
expect_reg "phase 2: monitor write of dr7 (read back)" dr7 $WATCH_DR7 "$DC_OUT"
wait_guest '^montest: phase 2 result: .*\)$' 60
result=$(line_of '^montest: phase 2 result: ')
if [[ $platform == qemu ]]; then
	echo "monitor: phase 2 SKIP (QEMU 7.2 TCG never arms a breakpoint written only into the VMCB's DR7): $result"
else
	echo "monitor: phase 2: $result"
fi

fi # phases == all

# ---- phase 3: pause, step 10, cont ---------------------------------------------

# mt_count_loop's instructions (montest.c): offset, length, change of R12;
# JE (+22) falls through (DR3 is not the magic while paused), JB (+36) goes
# back to +0 (the deadline is minutes away).
# LOOP_BACK: the offset of the JB; DR6_AT: of a MOV to DR6 of
# DR6_BASE | (R12 & 3) (phase 7's loop; none in this one).
declare -A ilen=([0]=2 [2]=2 [4]=3 [7]=3 [10]=3 [13]=3 [16]=3 [19]=3 [22]=2 [24]=2 [26]=4 [30]=3 [33]=3 [36]=2)
declare -A idelta=([4]=1 [7]=1 [10]=1 [13]=1)
LOOP_BACK=36
DR6_AT=-1
SIM_DR6=0
simulate() { # OFFSET N R12 DR6: prints "OFFSET_AFTER R12_DELTA DR6_AFTER"
	local o=$1 n=$2 r=$3 dr6=$4 d=0
	while ((n--)); do
		((o == DR6_AT)) && dr6=$((DR6_BASE | ((r + d) & 3)))
		d=$((d + ${idelta[$o]:-0}))
		if ((o == LOOP_BACK)); then o=0; else o=$((o + ${ilen[$o]})); fi
	done
	echo "$o $d $dr6"
}

# pause_in_loop PHASE: waits for the phase's loop, pauses the guest inside
# it (retrying when the pause lands just before it) and checks that it stays
# put. Sets LOOP, OFF (RIP - LOOP), R12, FL (RFLAGS) and STATS0 (--stats).
pause_in_loop() {
	local ph=$1 attempt rip
	wait_guest "^montest: phase $ph ready: loop=0x[0-9a-f]{16} end=0x[0-9a-f]{16}\$" 60
	LOOP=$(line_of "^montest: phase $ph ready: loop=" | sed -n -E 's/.*loop=(0x[0-9a-f]+).*/\1/p')
	[[ -n $LOOP ]] || dv_fail "phase $ph: no loop address" "${logs[@]}"
	LOOP=$(printf '%d' "$LOOP")
	OFF=-1
	for ((attempt = 1; attempt <= 10; attempt++)); do
		sleep 0.3
		dc_ok --pause
		regs
		rip=$(printf '%d' "$(val rip "$REGS")")
		R12=$(printf '%d' "$(val r12 "$REGS")")
		FL=$(printf '%d' "$(val rflags "$REGS")")
		OFF=$((rip - LOOP))
		[[ -n ${ilen[$OFF]:-} ]] && break
		echo "monitor: phase $ph: paused at rip=$(printf '%#x' "$rip"), not in the loop yet; again"
		dc_ok --cont
		OFF=-1
	done
	((OFF >= 0)) || dv_fail "phase $ph: never paused inside the loop at $(printf '%#x' "$LOOP")" "${logs[@]}"
	((!(FL & 0x200))) || dv_fail "phase $ph: paused in the loop with rflags=$(printf '%#x' "$FL"): IF set (the guest runs it with cli)" "${logs[@]}"
	sleep 0.5
	regs
	expect_reg "phase $ph: paused guest, second read of rip" rip "$rip" "$REGS"
	expect_reg "phase $ph: paused guest, second read of the counter" r12 "$R12" "$REGS"
	dc_ok --get-dr6 --stats
	DR6_0=$(val dr6 "$DC_OUT")
	SIM_DR6=$(printf '%d' "$DR6_0")
	STATS0=$DC_OUT
}

# step_check PHASE N: step N from (OFF, R12) and check the reply, RIP and
# R12 against the simulation; updates OFF and R12.
step_check() {
	local ph=$1 n=$2 off_after delta
	read -r off_after delta SIM_DR6 < <(simulate "$OFF" "$n" "$R12" "$SIM_DR6")
	dc_ok --step="$n"
	expect_reg "phase $ph: step $n from loop+$OFF (reply)" stepped "$n" "$DC_OUT"
	expect_reg "phase $ph: step $n from loop+$OFF (reply)" rip "$((LOOP + off_after))" "$DC_OUT"
	regs
	expect_reg "phase $ph: step $n from loop+$OFF" rip "$((LOOP + off_after))" "$REGS"
	expect_reg "phase $ph: step $n from loop+$OFF, counter" r12 "$((R12 + delta))" "$REGS"
	# The guest never set TF (it runs the loop with TF clear): `regs` must
	# show the guest's RFLAGS, not the monitor's single-step TF.
	local f
	f=$(printf '%d' "$(val rflags "$REGS")")
	((!(f & 0x100))) ||
		late_fail "phase $ph: after step $n, regs shows rflags=$(printf '%#x' "$f") with TF (0x100) set; the guest's RFLAGS had TF clear (paused at rflags=$(printf '%#x' "$FL"))"
	STEP_LOG+=" step $n -> loop+$off_after r12+$delta;"
	OFF=$off_after
	R12=$((R12 + delta))
}

# after_steps PHASE COUNT MAGIC: still paused, DR6 untouched by the steps
# (what the simulation says the loop's own MOVs to DR6 left, if any), COUNT
# step events in the statistics; cont, the counter moves; end the loop with
# MAGIC.
after_steps() {
	local ph=$1 count=$2 magic=$3 m0 m1 moved=0 i r
	sleep 0.3
	regs
	expect_reg "phase $ph: still paused after the steps" rip "$((LOOP + OFF))" "$REGS"
	expect_reg "phase $ph: still paused after the steps, counter" r12 "$R12" "$REGS"
	dc_ok --get-dr6 --stats
	expect_reg "phase $ph: guest dr6 after the monitor's steps" dr6 "$SIM_DR6" "$DC_OUT"
	m0=$(val monitor-trap "$STATS0")
	m1=$(val monitor-trap "$DC_OUT")
	((${m1:-0} - ${m0:-0} == count)) ||
		late_fail "phase $ph: stats monitor-trap went from ${m0:-0} to ${m1:-0} over $count stepped instructions, expected +$count"
	dc_ok --cont
	for ((i = 0; i < 20; i++)); do
		sleep 0.2
		regs
		r=$(printf '%d' "$(val r12 "$REGS")")
		((r != R12)) && moved=1 && break
	done
	((moved)) || dv_fail "phase $ph: after cont the counter r12 stays at $R12" "${logs[@]}"
	dc_ok --set-dr3="$magic"
	wait_guest "^montest: phase $ph done: .*rflags=0x[0-9a-f]+\$" 60
	echo "monitor: phase $ph ok: paused in the loop,$STEP_LOG still paused, dr6 kept, $count step events, cont -> r12 moves ($r)"
}

if [[ $phases == all ]]; then
STEP_LOG=""
pause_in_loop 3
step_check 3 10
step_check 3 1
after_steps 3 11 $MAGIC_C

# ---- phase 4: replies while the guest spins with interrupts off -----------------

wait_guest '^montest: phase 4 ready: .*loop=0x[0-9a-f]{16}$' 60
t_spin0=$(now_ms)
spin=$(line_of '^montest: phase 4 ready' | sed -n -E 's/.*loop=(0x[0-9a-f]+).*/\1/p')
sleep 0.5
if [[ $platform == qemu || $platform == bochs-svm ]]; then
	# Nothing makes this guest exit under QEMU TCG (svm.c
	# qemu_tcg_virq_bug), nor on Bochs ryzen, where drvisor on SVM has no
	# timer exit of its own and the firmware's timer barely ticks (19
	# interrupt exits in a whole run, measured): the reply comes when the
	# spin (3 s of guest TSC) ends. Printed, not judged.
	dc --get-dr7
	echo "monitor: phase 4 SKIP ($platform: no exit while the guest spins with interrupts off):" \
		"drvctl --get-dr7 took $DC_MS ms (status $DC_ST);" \
		"baseline (guest exiting, IF=1): drvctl ${base_dc[*]} ms, one line ${base_line[*]} ms," \
		"newline alone ${base_nl[*]} ms"
	wait_guest '^montest: phase 4 done: .*ended=(dr3|timeout)$' 60
else
	spin_dc=() spin_line=() spin_nl=()
	dc_ok --stats
	stats0=$DC_OUT
	for ((i = 0; i < SAMPLES; i++)); do
		dc --get-dr7
		[[ $DC_ST == 0 ]] || dv_fail "phase 4: drvctl --get-dr7 while the guest spins: status $DC_ST after $DC_MS ms: $DC_ERR" "${logs[@]}"
		spin_dc+=("$DC_MS")
	done
	raw "dr 7" "dr 7" "dr 7" "dr 7" "dr 7"
	[[ $RAW_ST == 0 ]] || dv_fail "phase 4: a machine-mode 'dr 7' while the guest spins: $RAW_OUT" "${logs[@]}"
	mapfile -t spin_line < <(cut -f1 <<<"$RAW_OUT")
	raw "@nl:dr 7" "@nl:dr 7" "@nl:dr 7" "@nl:dr 7" "@nl:dr 7"
	[[ $RAW_ST == 0 ]] || dv_fail "phase 4: a machine-mode 'dr 7' while the guest spins: $RAW_OUT" "${logs[@]}"
	mapfile -t spin_nl < <(cut -f1 <<<"$RAW_OUT")
	dc_ok --stats
	stats1=$DC_OUT
	# Prove where the guest was: in mt_spin_loop with interrupts off.
	dc_ok --pause
	regs
	rip=$(printf '%d' "$(val rip "$REGS")")
	fl=$(printf '%d' "$(val rflags "$REGS")")
	dc_ok --cont
	s=$(printf '%d' "$spin")
	((rip >= s && rip < s + 30)) || dv_fail "phase 4: the guest was not spinning: rip=$(printf '%#x' "$rip"), loop at $spin" "${logs[@]}"
	((!(fl & 0x200))) || dv_fail "phase 4: spinning with rflags=$(printf '%#x' "$fl"): IF set" "${logs[@]}"
	dc_ok --set-dr3=$MAGIC_D
	wait_guest '^montest: phase 4 done: .*ended=(dr3|timeout)$' 60
	t_spin1=$(now_ms)
	spun=$(line_of '^montest: phase 4 done: ' | sed -n -E 's/.* spun ([0-9]+) ms.*/\1/p')
	[[ -n $spun && $spun -gt 0 ]] || dv_fail "phase 4: no spin time from the guest" "${logs[@]}"
	# Wall-clock ms per emulated (guest TSC) ms while spinning.
	slow=$(awk -v w=$((t_spin1 - t_spin0)) -v g="$spun" 'BEGIN {printf "%.2f", w / g}')
	emu() { awk -v m="$1" -v r="$slow" 'BEGIN {printf "%.1f", m / r}'; }
	med() { printf '%s\n' "$@" | median; }
	echo "monitor: responsiveness on $platform, wall clock ms (median):" \
		"newline alone: baseline ${base_nl[*]} ($(med "${base_nl[@]}")), spinning IF=0 ${spin_nl[*]} ($(med "${spin_nl[@]}"));" \
		"whole line 'dr 7': baseline ${base_line[*]} ($(med "${base_line[@]}")), spinning ${spin_line[*]} ($(med "${spin_line[@]}"));" \
		"whole drvctl --get-dr7: baseline ${base_dc[*]} ($(med "${base_dc[@]}")), spinning ${spin_dc[*]} ($(med "${spin_dc[@]}"))"
	echo "monitor: the spin took $((t_spin1 - t_spin0)) ms wall for $spun ms of guest TSC ($slow wall ms per emulated ms);" \
		"in emulated time, spinning: newline->reply $(emu "$(med "${spin_nl[@]}")") ms (max $(emu "$(printf '%s\n' "${spin_nl[@]}" | maxof)")), whole line $(emu "$(med "${spin_line[@]}")") ms"
	echo "monitor: exits while measuring: $(($(val total "$stats1") - $(val total "$stats0"))); stats after: $(tr '\n' ' ' <<<"$stats1")"
	nl_emu=$(emu "$(printf '%s\n' "${spin_nl[@]}" | maxof)")
	awk -v m="$nl_emu" -v l="$MT_NL_LIMIT_MS" 'BEGIN {exit !(m <= l)}' ||
		dv_fail "phase 4: a reply came $nl_emu ms (emulated; wall $(printf '%s\n' "${spin_nl[@]}" | maxof) ms / $slow) after its newline while the guest spun with interrupts off; limit $MT_NL_LIMIT_MS ms" "${logs[@]}"
fi
line_of '^montest: phase 4 done: '

# ---- phase 5: bad input changes nothing -----------------------------------------

wait_guest '^montest: phase 5 ready' 60
dc_ok --set-dr0=0x7ffe1000 --set-dr1=0x1234567 --set-dr2=0xffff800000001000 \
	--set-dr3=0x2468ace0 --set-dr6=0xffff4ff2 --set-dr7=0x00ff0700
dc_ok --get-all
before=$DC_OUT
expect_reg "phase 5: setup" dr6 0xffff4ff2 "$before"
expect_reg "phase 5: setup" dr7 0x00ff0700 "$before"
raw_ok vcpu
vcpus=$(val vcpus "$(cut -f2- <<<"$RAW_OUT")")
[[ -n $vcpus ]] || dv_fail "phase 5: no vcpus= in '$RAW_OUT'" "${logs[@]}"

unchanged() { # WHAT: DR0-3/6/7/DEBUGCTL as in $before
	local r
	dc_ok --get-all
	for r in dr0 dr1 dr2 dr3 dr6 dr7 debugctl; do
		expect_reg "phase 5: after $1: read back" "$r" "$(val "$r" "$before")" "$DC_OUT"
	done
}

# LINE<TAB>REGEX of the error it must get.
bad_lines=(
	$'frob\terror: unknown command'
	$'dr 8\terror: .*dr8'
	$'dr 4\terror: .*dr4 and dr5 are aliases'
	$'dr 5 0x400\terror: .*dr4 and dr5 are aliases'
	$'dr 7 0x100000400\terror: dr7 bits 63:32 must be 0'
	$'dr 6 0x1ffff0ff0\terror: dr6 bits 63:32 must be 0'
	$'dr 7 0x1400\terror: dr7 bits .*reserved'
	$'dr 7 0x800\terror: dr7 bits .*reserved'
	$'dr 7 0x8400\terror: dr7 bits .*reserved'
	$'dr 6 0xffff1ff0\terror: dr6 bit 12 is reserved'
	$'dr 0 0x8000000000000000\terror: .*not canonical'
	$'dr 3 0x0100000000000000\terror: .*not canonical'
	$'dr 0 xyz\terror: bad value .xyz.'
	$'dr 1 0x\terror: bad value'
	$'dr 2 0x10000000000000000\terror: '
	$'dr 0 1 2\terror: dr: too many arguments'
	$'dr x\terror: '
	$'debugctl 0x4\terror: reserved IA32_DEBUGCTL bit'
	$'debugctl 0x8000000000000000\terror: reserved IA32_DEBUGCTL bit'
	"vcpu $vcpus"$'\terror: no vcpu '"$vcpus"
	$'vcpu 99999999999999999999999\terror: '
	$'step 0\terror: step count must be'
	$'step 1000001\terror: step count must be'
	$'step 10\terror: cannot step vcpu 0: it is running'
	$'@long\terror: line too long'
)
lines=() res=()
for b in "${bad_lines[@]}"; do lines+=("${b%%$'\t'*}") res+=("${b#*$'\t'}"); done
raw_ok "${lines[@]}"
mapfile -t replies < <(cut -f2- <<<"$RAW_OUT")
((${#replies[@]} == ${#lines[@]})) ||
	dv_fail "phase 5: ${#lines[@]} bad lines, ${#replies[@]} replies: $RAW_OUT" "${logs[@]}"
for i in "${!lines[@]}"; do
	grep -q -E -- "^${res[$i]}" <<<"${replies[$i]}" ||
		dv_fail "phase 5: '${lines[$i]}': expected a reply matching '${res[$i]}', got '${replies[$i]}'" "${logs[@]}"
done
unchanged "${#lines[@]} bad machine-mode lines"

# drvctl: ACTION<TAB>EXIT STATUS<TAB>REGEX of its stderr (1: the monitor's error).
bad_dc=(
	$'--set-dr7=0x100000400\t1\terror: dr7 bits 63:32'
	$'--set-dr6=0x1ffff0ff0\t1\terror: dr6 bits 63:32'
	$'--set-dr7=0x1400\t1\terror: dr7 bits'
	$'--set-dr6=0xffff1ff0\t1\terror: dr6 bit 12'
	$'--set-dr0=0x8000000000000000\t1\tnot canonical'
	$'--set-dr1=xyz\t1\tbad value'
	$'--set-debugctl=0x4\t1\treserved IA32_DEBUGCTL bit'
	"--vcpu=$vcpus --get-dr0"$'\t1\tno vcpu'
	$'--step=0\t1\tstep count'
	$'--step=10\t1\tit is running'
	$'--get-dr4\t2\t.'
	$'--set-dr5=0x400\t2\t.'
)
for b in "${bad_dc[@]}"; do
	IFS=$'\t' read -r act want re <<<"$b"
	# shellcheck disable=SC2086 # ACTION may be two flags
	dc $act
	[[ $DC_ST == "$want" ]] || dv_fail "phase 5: drvctl $act: exit status $DC_ST, expected $want ($DC_ERR)" "${logs[@]}"
	grep -q -E -- "$re" <<<"$DC_ERR" || dv_fail "phase 5: drvctl $act: stderr '$DC_ERR' does not match '$re'" "${logs[@]}"
	[[ -z $DC_OUT ]] || dv_fail "phase 5: drvctl $act printed '$DC_OUT' on a refusal" "${logs[@]}"
done
unchanged "${#bad_dc[@]} refused drvctl actions"
echo "monitor: phase 5 ok: ${#lines[@]} bad lines and ${#bad_dc[@]} bad drvctl actions refused, registers unchanged"
dc_ok --set-dr7=0 --set-dr6=0xffff0ff0 --set-dr3=$MAGIC_E

# ---- phase 6: a step across an intercepted instruction ---------------------------

# Last, because a #DB leaking into the guest ends montest ("Bail out!").
STEP_LOG=""
pause_in_loop 6
# Enough steps to execute the CPUID at +2 (from wherever the pause landed),
# then two more.
n=0 o=$OFF
while ((o != 2)); do
	if ((o == 36)); then o=0; else o=$((o + ${ilen[$o]})); fi
	n=$((n + 1))
done
n=$((n + 3))
step_check 6 "$n"
if dv_has_line "$com1" '^Bail out!'; then
	dv_fail "phase 6: the monitor's step of $n instructions across the CPUID at loop+2 raised a #DB in the guest: $(line_of '^Bail out!')" "${logs[@]}"
fi
after_steps 6 "$n" $MAGIC_F

# ---- phase 7: steps across the guest's own MOV to DR6, sticky DR6 bits -----------

# mt_dr6_loop (montest.c): DR6 always holds BD, BT and B0/B1 of the guest's
# own writes (sticky: the CPU never clears them), DR0 is enabled on a
# variable nobody touches, DR2 matches the loop's store but is disabled. On
# a bare CPU none of this is a #DB, and DR6 holds what the guest's MOV wrote:
# the monitor's steps must leave exactly that (no #DB into the guest, its
# MOV to DR6 not undone).
declare -A ilen=([0]=2 [2]=2 [4]=3 [7]=3 [10]=3 [13]=3 [16]=7 [23]=3 [26]=3 [29]=3 [32]=2 [34]=2 [36]=4 [40]=3 [43]=3 [46]=2)
declare -A idelta=([23]=1)
LOOP_BACK=46
DR6_AT=13
STEP_LOG=""
pause_in_loop 7
# Up to the MOV to DR6 at +13, across it and the store, then a whole round
# more (the next MOV writes other B bits; the round's CPUID is an exit).
n=0 o=$OFF
while ((o != DR6_AT)); do
	if ((o == LOOP_BACK)); then o=0; else o=$((o + ${ilen[$o]})); fi
	n=$((n + 1))
done
n=$((n + 3))
step_check 7 "$n"
step_check 7 16
after_steps 7 $((n + 16)) $MAGIC_G
wait_guest '^(not )?ok [0-9]+ - phase 7: ' 60
if ! dv_has_line "$com1" '^ok [0-9]+ - phase 7: '; then
	dv_fail "phase 7: $(line_of '^montest: phase 7 done: ')" "${logs[@]}"
fi

# ---- phase 8: the guest moves its TSC -------------------------------------------

# The guest writes IA32_TSC far back, then far forward, and waits each time
# for DR3 from us: the monitor must keep answering (core/poll_clock.h).
for move in "back $MAGIC_G" "forward $MAGIC_H"; do
	set -- $move
	wait_guest "^montest: phase 8 ready: tsc moved $1 to 0x[0-9a-f]{16}, reads 0x[0-9a-f]{16}; waiting for dr3=0x[0-9a-f]{16}\$" 60
	dc --set-dr3="$2"
	[[ $DC_ST == 0 ]] ||
		dv_fail "phase 8: no answer from the monitor after the guest moved its TSC $1: status $DC_ST after $DC_MS ms: $DC_ERR$(guest_note)" "${logs[@]}"
	echo "monitor: phase 8: TSC moved $1, the monitor answered in $DC_MS ms"
done

fi # phases == all

# ---- phase 9: phase 3's loop on vCPU 1 -------------------------------------------

wait_guest '^montest: phase 9 (ready|skipped)' 60
if dv_has_line "$com1" '^montest: phase 9 skipped'; then
	((cpus == 1)) || dv_fail "phase 9: the guest found one CPU, the machine has $cpus" "${logs[@]}"
	echo "monitor: phase 9 SKIP (one CPU)"
else
	VCPU=1
	STEP_LOG=""
	pause_in_loop 9
	step_check 9 10
	step_check 9 1
	# While vCPU 1 is paused (the guest ends when its loop does): every
	# vCPU has exits of its own.
	dc_ok --stats-all
	echo "monitor: phase 9: stats all: $(tr '\n' ' ' <<<"$DC_OUT")"
	for ((i = 0; i < cpus; i++)); do
		n=$(val "vcpu$i" "$DC_OUT")
		((${n:-0} > 0)) || late_fail "phase 9: stats all shows no exits on vcpu $i: $(tr '\n' ' ' <<<"$DC_OUT")"
	done
	after_steps 9 11 $MAGIC_I
	VCPU=0
fi

# ---- the end --------------------------------------------------------------------

wait_guest '^montest: done' 60
st=0
end=$((SECONDS + 60))
while kill -0 "$emu" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
wait "$emu" || st=$?
trap - EXIT
case $platform in
qemu) [[ $st == 1 ]] || dv_fail "QEMU did not end through the guest's exit with code 0: status $st" "${logs[@]}" ;;
*) [[ $st == 0 ]] || dv_fail "Bochs did not end through the guest's Shutdown: status $st" "${logs[@]}" ;;
esac
dv_assert_tap "$com1"
((${#late_fails[@]} == 0)) || dv_fail "$(printf '%s; ' "${late_fails[@]}")" "${logs[@]}"
if [[ -f $com2 ]]; then
	dv_assert_banner "$platform" "$com2"
	dv_assert_no_line "$com2" 'HOST EXCEPTION|unexpected exit|VMRUN failed|VM entry failed'
fi
dv_pass "$name in $((SECONDS - start))s (montest reached after ${boot_s}s)"
