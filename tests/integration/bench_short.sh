#!/usr/bin/env bash
# The exit-path benchmark's short mode (guest-tests/bench.c, tools/bench):
# one native boot and one under drvisor (dr_switch=lazy, batches=5 ops=50),
# judged only on the form of the output: every operation has a figure in
# both, except the hypercall natively ("n/a": it raises #UD there). No timing
# is asserted; the figures themselves are tools/bench's business.
#
# usage: bench_short.sh PLATFORM   (qemu | bochs-vmx | bochs-svm)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

platform=${1:?usage: bench_short.sh PLATFORM}
name=bench.short.$platform
rd=$(dv_run_dir "$name")
timeout=90
[[ $platform == bochs-* ]] && timeout=240
ops="nop cpuid hypercall rdmsr wrmsr out mov_from_dr0 mov_to_dr7 cpuid_dr_armed apic_tpr cpuid_ap cpuid_ap_busy"
num='[0-9]+\.[0-9]'
start=$SECONDS

# check LOG MODE: the header, one well-formed line per operation, the end.
check() {
	local log=$1 mode=$2 op fig
	dv_assert_line "$log" "^bench: cpu=\".*\" vendor=[A-Za-z]+ mode=$mode batches=[0-9]+ ops=[0-9]+\$" \
		"no '$mode' header line"
	for op in $ops; do
		fig="cycles=$num min=$num"
		[[ $mode == native && $op == hypercall ]] && fig="cycles=n/a"
		# The SMP rows (issue 14) need a second CPU (DV_CPUS).
		[[ $op == cpuid_ap* && ${DV_CPUS:-1} == 1 ]] && fig="cycles=n/a"
		dv_assert_line "$log" "^bench: op=$op mode=$mode $fig\$" "no well-formed $mode figure for $op"
	done
	[[ $(tr -d '\r' <"$log" | grep -a -c -E '^bench: op=') == 12 ]] ||
		dv_fail "expected 12 operation lines in $log" "$log"
	dv_assert_line "$log" '^bench: done$'
}

mkdir -p "$rd/native" "$rd/drvisor"
dv_native_esp bench "$rd/native/esp"
st=0
dv_boot "$platform" "$rd/native" "$timeout" "$rd/native/esp" || st=$?
dv_assert_status "$st" 0 "native: the machine did not end through the guest's exit port" \
	"$rd/native/com1.log" "$rd/native/runner.log"
check "$rd/native/com1.log" native

"$DV_TOOLS/mkesp" --out "$rd/drvisor/esp" --build "$(dv_build_dir)" --clean \
	--cfg monitor=com2 --cfg log_level=info --cfg dr_switch=lazy \
	--cfg 'next=\drvisor\tests\bench.efi' --cfg 'next_args=batches=5 ops=50 port=0x2ff' \
	--guest bench >/dev/null
st=0
dv_boot "$platform" "$rd/drvisor" "$timeout" "$rd/drvisor/esp" || st=$?
logs=("$rd/drvisor/com1.log" "$rd/drvisor/com2.log" "$rd/drvisor/runner.log")
dv_assert_status "$st" 0 "drvisor: the machine did not end through the guest's exit port" "${logs[@]}"
dv_assert_banner "$platform" "$rd/drvisor/com2.log"
dv_assert_no_line "$rd/drvisor/com2.log" 'HOST EXCEPTION|unexpected exit|VMRUN failed|VM entry failed'
check "$rd/drvisor/com1.log" drvisor
dv_pass "$name in $((SECONDS - start))s"
