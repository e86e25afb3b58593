#!/usr/bin/env bash
# Single QEMU boots of the loader's and the core's edge cases:
#   corrupt-core   a truncated CORE.ELF is refused with a message and the
#                  loader returns to the firmware, which goes on booting
#   bad-config     unknown keys and bad values each get one line, the
#                  documented defaults stay, and the boot goes on
#   unsupported    a CPU without SVM or VMX: the core says why, the loader
#                  chain-loads next= unvirtualized
#   refuse         the same with on_unsupported=refuse: back to the firmware
#   host-exception a fault in the host (selftest=ud) is reported with its
#                  name, registers, control registers and a stack trace, and
#                  the CPU stops without a reset
#   usb            the disk image from tools/mkimage boots from a USB stick
#                  on xHCI and reaches the banner and the hand-off
#
# usage: loader_cases.sh CASE
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

case_name=${1:?usage: loader_cases.sh CASE}
rd=$(dv_run_dir "loader.$case_name")
b=$(dv_build_dir)
esp=$rd/esp
handoff_cfg=(--cfg monitor=com2 --cfg 'next=\drvisor\tests\handoff.efi' --guest handoff)
mkesp() { "$DV_TOOLS/mkesp" --out "$esp" --build "$b" --clean "$@" >/dev/null; }
c1=$rd/com1.log
c2=$rd/com2.log

case $case_name in
corrupt-core)
	head -c 3000 "$b/core/core.elf" >"$rd/core-truncated.elf"
	mkesp "${handoff_cfg[@]}" --core "$rd/core-truncated.elf"
	# The boot manager records the failure and moves on to its next option.
	dv_qemu_until "$rd" 60 "$c1" 'BdsDxe: failed to start Boot[0-9]+ .*Load Error' --esp "$esp"
	dv_assert_line "$c1" 'drvisor: \\EFI\\BOOT\\CORE\.ELF refused: file is truncated' "no refusal message"
	dv_assert_line "$c1" '^drvisor: returning to the firmware' "the loader did not return"
	dv_assert_no_line "$c1" 'drvisor-guest: handoff ok' "next= ran after a refused core"
	;;
bad-config)
	mkesp "${handoff_cfg[@]}" --cfg 'monitr=com2' --cfg 'baud=7' --cfg 'dr_switch=sometimes'
	st=0
	dv_qemu "$rd" 60 --esp "$esp" || st=$?
	dv_assert_status "$st" 1 "QEMU (expected the hand-off's guest_exit(0))" "$c1"
	dv_assert_line "$c1" "DRVISOR.CFG line 3: unknown key 'monitr'" "unknown key not reported"
	dv_assert_line "$c1" "DRVISOR.CFG line 4: bad value '7' for baud" "bad baud not reported"
	dv_assert_line "$c1" "DRVISOR.CFG line 5: bad value 'sometimes' for dr_switch" \
		"bad dr_switch not reported"
	dv_assert_line "$c1" 'config: monitor=0x2F8 baud=115200 dr_switch=eager' \
		"defaults not kept for the bad keys"
	dv_assert_line "$c1" '^drvisor-guest: handoff ok' "the boot did not go on"
	;;
unsupported | refuse)
	extra=()
	[[ $case_name == refuse ]] && extra=(--cfg on_unsupported=refuse)
	mkesp "${handoff_cfg[@]}" "${extra[@]}"
	if [[ $case_name == refuse ]]; then
		dv_qemu_until "$rd" 60 "$c1" '^drvisor: returning to the firmware' \
			--esp "$esp" --cpu qemu64,-svm
		dv_assert_no_line "$c1" 'drvisor-guest: handoff ok' "next= ran despite refuse"
	else
		st=0
		dv_qemu "$rd" 60 --esp "$esp" --cpu qemu64,-svm || st=$?
		dv_assert_status "$st" 1 "QEMU (expected the hand-off's guest_exit(0))" "$c1" "$c2"
		dv_assert_line "$c1" 'continuing without the hypervisor' "no unvirtualized notice"
		dv_assert_line "$c1" '^drvisor-guest: handoff ok' "next= did not run unvirtualized"
	fi
	dv_assert_line "$c2" 'cannot virtualize: the CPU has neither VMX nor SVM' "no reason given"
	dv_assert_line "$c1" 'core returned 2 \(this CPU cannot host drvisor\)' "wrong core status"
	;;
host-exception)
	mkesp "${handoff_cfg[@]}" --cfg selftest=ud
	dv_qemu_until "$rd" 60 "$c2" '^drvisor: this CPU is stopped' --esp "$esp"
	dv_assert_line "$c2" '^drvisor: HOST EXCEPTION 6: #UD invalid opcode, error code 0x0' \
		"no exception report"
	for re in '^  rax=[0-9a-f]{16} rbx=' '^  r12=[0-9a-f]{16} ' '^  rip=[0-9a-f]{16} \(core\+0x' \
		'^  cr0=[0-9a-f]{16} cr2=[0-9a-f]{16} cr3=[0-9a-f]{16} cr4=' \
		'^  stack trace \(core offsets\): 0x[0-9a-f]+'; do
		dv_assert_line "$c2" "$re" "exception report lacks '$re'"
	done
	sleep 2 # a reset would bring the firmware, and the loader, back
	dv_assert_no_line "$c2" 'launching the loader' "the core went on after the fault"
	[[ $(grep -a -c 'drvisor loader ' "$c1") == 1 ]] || dv_fail "the machine reset" "$c1"
	;;
usb)
	mkesp "${handoff_cfg[@]}"
	dv_require sgdisk mcopy mkfs.fat
	"$DV_TOOLS/mkimage" --esp "$esp" --out "$rd/drvisor.img" >"$rd/mkimage.log" 2>&1 ||
		dv_fail "mkimage failed" "$rd/mkimage.log"
	st=0
	dv_qemu "$rd" 90 --image "$rd/drvisor.img" --usb || st=$?
	dv_assert_status "$st" 1 "QEMU (expected the hand-off's guest_exit(0))" "$c1" "$c2"
	dv_assert_banner qemu "$c2"
	dv_assert_line "$c1" '^drvisor-guest: handoff ok' "no hand-off from the USB image"
	;;
*) dv_fail "unknown case '$case_name'" ;;
esac
dv_pass "loader.$case_name"
