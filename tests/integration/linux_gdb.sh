#!/usr/bin/env bash
# Linux as the guest, gdb's hardware watchpoints inside it (issue 8, after
# FreeBSD review D13229's test plan).
#
# The guest (tools/mklinux: Debian's kernel through its EFI stub, an
# initramfs with busybox, gdb and guest-tests/linux/) runs gdb in batch mode
# on wptest: watch, rwatch, awatch and hbreak, every hit checked by init
# against wptest.expect; init prints "linuxdbg: ok|FAIL CHECK" per check, a
# "linuxdbg: result pass|fail" line, and ends the machine.
#
#   native   the firmware's UEFI shell starts the kernel (startup.nsh), no
#            drvisor anywhere: the reference run.
#
# Every CPU (issue 14): the machine has DV_CPUS CPUs (default 1; QEMU -smp,
# Bochs cpu count) and Linux must bring all of them online; init prints the
# CPUID signature seen on each and runs one gdb session pinned to each CPU
# at once, judged per CPU ("linuxdbg: cpu N ..."). Under drvisor the
# sampling goes over every vCPU (`drvctl --vcpu=N`); a vCPU that the monitor
# does not know makes the run a skip that names it, never a pass.
#   drvisor  drvisor's loader launches the core, then chain-loads the kernel
#            with next= and the same command line in next_args. While gdb
#            runs, this script loops `drvctl --get-dr0..3 --get-dr6
#            --get-dr7` against the monitor (COM2) and takes `--stats` along
#            the way. Passes when every gdb check passes, a sample showed
#            wptest's `counter` in a DR0-3 slot with that slot's enable bit
#            and a 4-byte write condition in DR7, and the exit counts grew
#            while gdb ran, with the guest reporting drvisor's CPUID
#            signature on every CPU, and exits counted on every vCPU.
#   compare  the two runs' logs: the same gdb hits and verdicts, line for
#            line (the runs are this test's ctest fixtures).
#
# usage: linux_gdb.sh native|drvisor|compare PLATFORM [DR_SWITCH]
#        PLATFORM: qemu | bochs-vmx | bochs-svm; DR_SWITCH (drvisor): eager|lazy
#        DV_MONITOR_PCI=1 (QEMU; issue 15): the machine has a PCI 16550 at
#        00:06.0 (pci-serial) and no COM2, drvisor's monitor is on it
#        (monitor=pci:00:06.0), and the runs are named *.pci. Natively Linux
#        must list 0000:00:06.0 (1b36:0002) among its PCI functions, under
#        drvisor not, while the rest of the list is the same.
#
# The kernel command line is tools/mklinux's (all CPUs, no nosmp).
# Why hold: Linux loads a task's debug registers only while the task runs
# (arch/x86/kernel/hw_breakpoint.c), so wptest spins HOLD guest-seconds with
# the watchpoint armed before each watched write, long enough for several
# samples on the slowest platform.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/platform.sh
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

mode=${1:?usage: linux_gdb.sh native|drvisor|compare PLATFORM [DR_SWITCH]}
platform=${2:?usage: linux_gdb.sh native|drvisor|compare PLATFORM [DR_SWITCH]}
dr_switch=${3:-}
case $mode in native | drvisor | compare) ;; *) dv_fail "unknown mode '$mode'" ;; esac
pci=${DV_MONITOR_PCI:+.pci}
[[ -z $pci || $platform == qemu ]] || dv_fail "DV_MONITOR_PCI: QEMU only"
dv_platform_vendor "$platform" >/dev/null
ncpus=${DV_CPUS:-1}
[[ $ncpus =~ ^[1-9][0-9]*$ ]] || dv_fail "DV_CPUS must be a CPU count, not '$ncpus'"
# The runs' names: linux.MODE.PLATFORM[.POLICY][.cpusN] (N > 1).
cpus_sfx=""
((ncpus == 1)) || cpus_sfx=.cpus$ncpus

# compare: the drvisor run's gdb hits and verdicts, line for line, against
# the native run's (both runs are this test's fixtures).
if [[ $mode == compare ]]; then
	runs=$(dirname "$(dv_run_dir "linux.compare.$platform${dr_switch:+.$dr_switch}$cpus_sfx$pci")")
	native_log=$runs/linux.native.$platform$cpus_sfx$pci/com1.log
	drvisor_log=$runs/linux.drvisor.$platform${dr_switch:+.$dr_switch}$cpus_sfx$pci/com1.log
	for f in "$native_log" "$drvisor_log"; do
		[[ -f $f ]] || dv_fail "no run log $f (run linux.native/linux.drvisor.$platform first)"
	done
	hits() { tr -d '\r' <"$1" | grep -a -E '^linuxdbg: (cpu [0-9]+ )?(hit|ok|FAIL|result|hypervisor=)'; }
	n=$(hits "$native_log" | grep -c -E '^linuxdbg: cpu [0-9]+ hit ' || true)
	((n > 0)) || dv_fail "the native run reported no gdb hits" "$native_log"
	# The signatures differ by design (drvisor's against none/TCG's):
	# compare everything but them.
	if ! d=$(diff <(hits "$native_log" | grep -v hypervisor=) <(hits "$drvisor_log" | grep -v hypervisor=)); then
		dv_fail "gdb's hits under drvisor differ from the native run's: $(tr '\n' ' ' <<<"$d")" \
			"$native_log" "$drvisor_log"
	fi
	if [[ -n $pci ]]; then
		# The PCI functions: the same list but for the monitor's UART.
		funcs() { tr -d '\r' <"$1" | grep -a -E '^linuxdbg: pci ' | grep -v ' 0000:00:06.0 ' | sort; }
		if ! d=$(diff <(funcs "$native_log") <(funcs "$drvisor_log")); then
			dv_fail "Linux's PCI functions under drvisor differ from the native run's beyond 00:06.0: $(tr '\n' ' ' <<<"$d")" \
				"$native_log" "$drvisor_log"
		fi
	fi
	dv_pass "linux.compare.$platform${dr_switch:+.$dr_switch}$cpus_sfx$pci: the same $n gdb hits and verdicts natively and under drvisor"
fi
case $platform in
qemu) dv_require qemu-system-x86_64 setsid ;;
bochs-*) dv_require bochs-bin python3 setsid ;;
esac

name=linux.$mode.$platform${dr_switch:+.$dr_switch}$cpus_sfx$pci
rd=$(dv_run_dir "$name")
monitor=com2
[[ -n $pci ]] && monitor=pci:00:06.0
build=$(dv_build_dir)
linux=$build/linux
for f in vmlinuz.efi initrd.img cmdline; do
	[[ -f $linux/$f ]] || dv_fail "$linux/$f missing: run tools/mklinux (ctest fixture linux.image)"
done

# hold: guest seconds; Bochs's guest clock follows its emulated instruction
# count (200 M per second, tools/run-bochs), far slower than the wall clock.
hold=1 run_timeout=300
[[ $platform == bochs-* ]] && hold=0.2 run_timeout=1500
cmdline="$(<"$linux/cmdline") linuxdbg.hold=$hold"
com1=$rd/com1.log

# Bochs's OVMF has no ACPI tables (they come from QEMU's fw_cfg), so Linux
# would see the boot CPU alone: with more CPUs the kernel is started by
# madtshim.efi, which installs a MADT for the CPUs of EFI MP services
# (guest-tests/linux/madtshim.c), natively and under drvisor alike.
kernel='\linux\vmlinuz.efi' args=$cmdline
if [[ $platform == bochs-* ]] && ((ncpus > 1)); then
	kernel='\linux\madtshim.efi' args="\\linux\\vmlinuz.efi $cmdline"
	[[ -f $build/guest-tests/madtshim.efi ]] || dv_fail "madtshim.efi not built"
fi
esp=$rd/esp
if [[ $mode == native ]]; then
	rm -rf "$esp"
	mkdir -p "$esp/linux"
	printf 'fs0:%s %s\r\n' "$kernel" "$args" >"$esp/startup.nsh"
else
	"$DV_TOOLS/mkesp" --out "$esp" --build "$build" --clean --cfg "monitor=$monitor" \
		--cfg log_level=info ${dr_switch:+--cfg "dr_switch=$dr_switch"} \
		--cfg "next=$kernel" --cfg "next_args=$args" >/dev/null
	mkdir -p "$esp/linux"
fi
cp "$linux/vmlinuz.efi" "$linux/initrd.img" "$esp/linux/"
[[ $kernel != *madtshim* ]] || cp "$build/guest-tests/madtshim.efi" "$esp/linux/"

sock=""
[[ $mode == drvisor ]] && sock=$(dv_socket_path "$rd")
start=$SECONDS
dv_start "$platform" "$rd" "$run_timeout" "$esp" "$sock"
emu=$DV_EMU_PID
logs=("$com1" "$rd/runner.log")

# The drvisor run's sampling: DR0-3/DR6/DR7 as often as the monitor answers,
# the exit counts every 5th sample, until gdb is done or the machine ended.
# Per vCPU V: samples.V.txt and stats.V.txt, one line per sample.
dlog=$rd/drvctl.log
DRVCTL=$build/tools/drvctl/drvctl
vcpus=() unknown=()
# find_vcpus: the vCPUs 0..ncpus-1 that the monitor answers for (`vcpu N`);
# the others go to unknown with drvctl's reason.
find_vcpus() {
	local v err
	for ((v = 0; v < ncpus; v++)); do
		if "$DRVCTL" --socket="$sock" --timeout=20 --vcpu="$v" --get-dr7 >/dev/null 2>"$rd/vcpu.err"; then
			vcpus+=("$v")
		else
			err=$(tr '\n' ' ' <"$rd/vcpu.err")
			cat "$rd/vcpu.err" >>"$dlog"
			unknown+=("vcpu $v (drvctl --vcpu=$v: ${err% })")
		fi
	done
}
sample_loop() {
	local n=0 out v
	for v in "${vcpus[@]}"; do : >"$rd/samples.$v.txt" && : >"$rd/stats.$v.txt"; done
	while kill -0 "$emu" 2>/dev/null && ! dv_has_line "$com1" '^linuxdbg: gdb done'; do
		for v in "${vcpus[@]}"; do
			if out=$("$DRVCTL" --socket="$sock" --timeout=20 --vcpu="$v" --get-dr0 --get-dr1 \
				--get-dr2 --get-dr3 --get-dr6 --get-dr7 2>>"$dlog"); then
				tr '\n' ' ' <<<"$out" >>"$rd/samples.$v.txt" && echo >>"$rd/samples.$v.txt"
			fi
			if ((n % 5 == 0)) && out=$("$DRVCTL" --socket="$sock" --timeout=20 --vcpu="$v" \
				--stats 2>>"$dlog"); then
				tr '\n' ' ' <<<"$out" >>"$rd/stats.$v.txt" && echo >>"$rd/stats.$v.txt"
			fi
		done
		n=$((n + 1))
		sleep 0.1
	done
}

if [[ $mode == drvisor ]]; then
	[[ -x $DRVCTL ]] || dv_fail "drvctl not built: $DRVCTL"
	logs+=("$rd/com2.log" "$dlog")
	dv_wait_for_line "$com1" '^linuxdbg: gdb start' "$run_timeout" "$emu"
	: >"$dlog"
	find_vcpus
	sample_loop
fi
st=0
wait "$emu" || st=$?
trap - EXIT
secs=$((SECONDS - start))

case $platform in
qemu) [[ $st == 1 || $st == 3 ]] || dv_fail "QEMU exit status $st (expected the guest's isa-debug-exit)" "${logs[@]}" ;;
bochs-*) [[ $st == 0 ]] || dv_fail "run-bochs exit status $st (expected the Shutdown port)" "${logs[@]}" ;;
esac
online=0
((ncpus == 1)) || online=0-$((ncpus - 1))
dv_assert_line "$com1" "^linuxdbg: booted .* cpus=$ncpus online=$online " \
	"Linux did not reach init with CPUs $online online"
tr -d '\r' <"$com1" | grep -a -E '^linuxdbg: cpu [0-9]+ (ok|FAIL|result|hypervisor=)' | sed 's/^/  /'
dv_assert_no_line "$com1" '^linuxdbg: cpu [0-9]+ FAIL ' "a gdb check failed"
dv_assert_line "$com1" '^linuxdbg: result pass [0-9]+/[0-9]+$' "gdb checks did not all pass"
for ((c = 0; c < ncpus; c++)); do
	dv_assert_line "$com1" "^linuxdbg: cpu $c result pass [0-9]+/[0-9]+\$" "no passing gdb session on CPU $c"
done

# The CPUID signature on every CPU: the emulator's natively, drvisor's under it.
sig='drvisor'
[[ $mode == native ]] && sig='(none|TCGTCGTCGTCG)'
dv_assert_line "$com1" "^linuxdbg: booted .* hypervisor=$sig\$" "init saw the wrong hypervisor signature"
for ((c = 0; c < ncpus; c++)); do
	dv_assert_line "$com1" "^linuxdbg: cpu $c hypervisor=$sig\$" "CPU $c saw the wrong hypervisor signature"
done

# The monitor's PCI UART: there natively, gone under drvisor (lspci -n's
# view: the functions in /sys/bus/pci/devices).
if [[ -n $pci ]]; then
	dv_assert_line "$com1" '^linuxdbg: pci 0000:00:00.0 ' "Linux listed no PCI host bridge"
	if [[ $mode == native ]]; then
		dv_assert_line "$com1" '^linuxdbg: pci 0000:00:06.0 0x1b36:0x0002 class 0x070002$' \
			"natively Linux did not list the pci-serial at 00:06.0"
	else
		dv_assert_no_line "$com1" '^linuxdbg: pci 0000:00:06.0 ' \
			"under drvisor Linux found the monitor's PCI UART"
		echo "  Linux's PCI functions: $(tr -d '\r' <"$com1" | sed -n -E 's/^linuxdbg: pci ([^ ]+) .*/\1/p' | tr '\n' ' ')"
	fi
fi

if [[ $mode == native ]]; then
	dv_pass "$name in ${secs}s: every gdb check passed natively on CPUs $online (logs: $rd)"
fi

# A sample with wptest's counter in slot N: DR7's L or G bit of N, R/W = 01
# (data writes), LEN = 11 (4 bytes) (SDM Vol. 3B 18.2.4). Every CPU runs a
# gdb session of its own, so every vCPU must show one.
addr=$(tr -d '\r' <"$com1" | sed -n -E 's/^wptest: counter at (0x[0-9a-f]+)$/\1/p' | head -n 1)
[[ -n $addr ]] || dv_fail "wptest did not print counter's address" "${logs[@]}"
summary=""
for v in "${vcpus[@]}"; do
	samples=$rd/samples.$v.txt stats=$rd/stats.$v.txt seen=0
	while read -r line; do
		dr7=$(tr ' ' '\n' <<<"$line" | sed -n 's/^dr7=//p')
		for n in 0 1 2 3; do
			val=$(tr ' ' '\n' <<<"$line" | sed -n "s/^dr$n=//p")
			[[ -n $val && -n $dr7 ]] || continue
			((val == addr)) || continue
			(((dr7 >> (2 * n)) & 3)) || continue
			((((dr7 >> (16 + 4 * n)) & 0xf) == 0xd)) || continue
			seen=$((seen + 1))
			[[ $seen == 1 ]] && echo "  vcpu $v: sample with the watchpoint: $line"
		done
	done <"$samples"
	total=$(wc -l <"$samples")
	((seen > 0)) || dv_fail "none of vcpu $v's $total drvctl samples showed $addr armed for writes in DR7" \
		"$samples" "${logs[@]}"

	# The exit counts: the first sample (taken as gdb starts) against the
	# last (as gdb ends), strictly growing.
	first=$(head -n 1 "$stats") last=$(tail -n 1 "$stats")
	t0=$(sed -n -E 's/.*total=([0-9]+).*/\1/p' <<<"$first")
	t1=$(sed -n -E 's/.*total=([0-9]+).*/\1/p' <<<"$last")
	[[ -n $t0 && -n $t1 ]] || dv_fail "no exit statistics from drvctl --vcpu=$v --stats" "$stats" "${logs[@]}"
	((t1 > t0)) || dv_fail "vcpu $v's exit counts did not grow while gdb ran ($t0 -> $t1)" "$stats"
	echo "  vcpu $v: exit statistics, first: $first"
	echo "  vcpu $v: exit statistics, last:  $last"
	summary+="; vcpu $v: $seen of $total DR samples showed the watchpoint at $addr, exits $t0 -> $t1"
done
if ((${#unknown[@]})); then
	dv_skip "$name: every gdb check passed on CPUs $online under drvisor${summary}; but the" \
		"monitor cannot reach ${unknown[*]}: no DR samples or exit counts from it (logs: $rd)"
fi
dv_pass "$name in ${secs}s: every gdb check passed on CPUs $online as natively${summary} (logs: $rd)"
