#!/usr/bin/env bash
# One boot of a guest test program, natively or under drvisor, judged from
# the serial logs. Under drvisor it also checks the core's banner (the
# features this platform really has), that the loader came back as a guest
# and chain-loaded the program, and the exit statistics drvisor prints on
# its monitor port against the exits the program says it caused.
#
# usage: guest_run.sh PLATFORM GUEST MODE
#   PLATFORM  qemu | bochs-vmx | bochs-svm
#   GUEST     hello | isolation | handoff | traps | events | apic_mmio
#   MODE      drvisor | drvisor-lazy | native   (drvisor: dr_switch=eager,
#             the default; drvisor-lazy: dr_switch=lazy)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

platform=${1:?usage: guest_run.sh PLATFORM GUEST MODE}
guest=${2:?guest}
mode=${3:?mode}
name=$guest.$mode.$platform
rd=$(dv_run_dir "$name")
timeout=90
[[ $platform == bochs-* ]] && timeout=240

policy=eager
[[ $mode == drvisor-lazy ]] && policy=lazy
case $mode in
native) dv_native_esp "$guest" "$rd/esp" ;;
drvisor | drvisor-lazy)
	# isolation checks the bound of a test hypercall (test hooks); events:
	# the host's own watchpoint fires inside the guest's NMI handler, so
	# that a host IRET runs there (QEMU: no host watchpoint, DESIGN.md
	# quirk table).
	hooks=off args=monitor_port=0x2f8
	[[ $guest == isolation ]] && hooks=on
	[[ $guest == events && $platform == bochs-* ]] && hooks=on
	[[ $platform == qemu ]] && args+=" platform=qemu"
	"$DV_TOOLS/mkesp" --out "$rd/esp" --build "$(dv_build_dir)" --clean \
		--cfg monitor=com2 --cfg log_level=info --cfg "test_hooks=$hooks" \
		--cfg "dr_switch=$policy" --cfg "next=\\drvisor\\tests\\$guest.efi" --cfg "next_args=$args" \
		--guest "$guest" >/dev/null
	;;
*) dv_fail "unknown mode '$mode'" ;;
esac

start=$SECONDS
st=0
dv_boot "$platform" "$rd" "$timeout" "$rd/esp" || st=$?
logs=("$rd/com1.log" "$rd/com2.log" "$rd/runner.log")
dv_assert_status "$st" 0 "the machine did not end through the guest's exit port" "${logs[@]}"
dv_assert_tap "$rd/com1.log"

expect_mode_line() { # the program's own statement of where it ran
	local what=$1
	case $guest in
	handoff) dv_assert_line "$rd/com1.log" '^drvisor-guest: handoff ok$' ;;
	traps) ;; # TAP only: it tests the guest library, wherever it runs
	*) dv_assert_line "$rd/com1.log" "^$guest: $what" "$guest did not report '$what'" ;;
	esac
}

if [[ $mode == native ]]; then
	expect_mode_line "running natively"
	dv_pass "$name in $((SECONDS - start))s"
fi

dv_assert_banner "$platform" "$rd/com2.log"
dv_assert_line "$rd/com1.log" '^drvisor: core returned 0 \(ok\)' \
	"the loader did not come back (as a guest) from the core"
expect_mode_line "running under drvisor"
dv_assert_no_line "$rd/com2.log" 'HOST EXCEPTION|unexpected exit|VMRUN failed|VM entry failed'

if [[ $guest == hello || $guest == isolation ]]; then
	# DV_HC_REPORT_STATS: "drvisor: stats vcpu0 total=N cpuid=N hypercall=N ..."
	# (the monitor's prompt may stand before it on the same line)
	stats=$(tr -d '\r' <"$rd/com2.log" | grep -a -o -E 'drvisor: stats vcpu0 .*' | tail -1)
	[[ -n $stats ]] || dv_fail "no exit statistics on the monitor port" "$rd/com2.log"
	count() { sed -n -E "s/.* $1=([0-9]+).*/\1/p" <<<"$stats"; }
	caused=$(tr -d '\r' <"$rd/com1.log" | grep -a -E "^$guest: caused " | tail -1 || true)
	if [[ -n $caused ]]; then
		for r in cpuid hypercall; do
			mine=$(sed -n -E "s/.* $r=([0-9]+).*/\1/p" <<<"$caused")
			seen=$(count "$r")
			((${seen:-0} >= ${mine:-0})) ||
				dv_fail "stats show $r=${seen:-0}, fewer than the $mine the guest caused" \
					"$rd/com1.log" "$rd/com2.log"
		done
	fi
fi
if [[ $guest == isolation ]]; then
	dv_assert_no_line "$rd/com2.log" 'ISOLATION-MARKER' \
		"the guest's bytes reached drvisor's monitor port"
fi
dv_pass "$name in $((SECONDS - start))s"
