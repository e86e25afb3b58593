#!/usr/bin/env bash
# The monitor's PCI UART kept from the guest (issue 15): QEMU q35 with a
# pci-serial at 00:06.0 (an I/O BAR) as the monitor's wire and no COM2;
# guest-tests/pcihide.c looks for the function through 0xCF8/0xCFC and
# ECAM and pokes its BAR: natively it is all there (the reference run),
# under drvisor (monitor=pci:00:06.0) it reads as absent, its writes are
# dropped and its BAR answers as nothing. Under drvisor the monitor's wire
# must still carry drvisor's output after the guest's writes to the hidden
# function's BAR0 and COMMAND (its exit statistics, DV_HC_REPORT_STATS),
# and COM1 the firmware's console (the loader's lines after the launch).
#
# usage: pci_hide.sh MODE     (native | drvisor | share)
#   share: drvisor with monitor_share=on, which a PCI UART cannot honour:
#   refused with a warning, the function hidden all the same.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

mode=${1:?usage: pci_hide.sh native|drvisor|share}
dv_require qemu-system-x86_64
name=pci_hide.$mode.qemu
rd=$(dv_run_dir "$name")
case $mode in
native) dv_native_esp pcihide "$rd/esp" ;;
drvisor | share)
	share=off
	[[ $mode == share ]] && share=on
	"$DV_TOOLS/mkesp" --out "$rd/esp" --build "$(dv_build_dir)" --clean \
		--cfg monitor=pci:00:06.0 --cfg log_level=info --cfg "monitor_share=$share" \
		--cfg 'next=\drvisor\tests\pcihide.efi' --guest pcihide >/dev/null
	;;
*) dv_fail "unknown mode '$mode'" ;;
esac

start=$SECONDS
st=0
dv_qemu "$rd" 90 --esp "$rd/esp" --com2 none --pci-serial "file:$rd/com2.log" || st=$?
[[ $st == 1 || $st == 3 ]] && st=0
logs=("$rd/com1.log" "$rd/com2.log" "$rd/runner.log")
dv_assert_status "$st" 0 "the machine did not end through the guest's exit port" "${logs[@]}"
dv_assert_tap "$rd/com1.log"
dv_assert_line "$rd/com1.log" '^pcihide: done' "pcihide did not finish"
if [[ $mode == native ]]; then
	dv_assert_line "$rd/com1.log" '^pcihide: running natively' "not a native run"
	dv_pass "$name in $((SECONDS - start))s"
fi
dv_assert_line "$rd/com1.log" '^pcihide: running under drvisor' "pcihide did not run under drvisor"
dv_assert_banner qemu "$rd/com2.log"
dv_assert_line "$rd/com2.log" '^drvisor: monitor: pci 00:06.0 BAR0 I/O 0x[0-9a-f]+ \(monitor=pci:00:06.0\)' \
	"the banner does not name the PCI UART"
dv_assert_line "$rd/com2.log" '^drvisor: monitor: pci 00:06.0 hidden from the guest: config ports 0xcf8-0xcff intercepted, BAR0 0x[0-9a-f]+\+0x8 intercepted, ECAM page unmapped' \
	"the banner does not say the function is hidden"
dv_assert_line "$rd/com1.log" '^drvisor: starting \\drvisor\\tests\\pcihide.efi' \
	"the firmware's console (COM1) lost the loader's output after the launch"
# After the guest's writes to BAR0/COMMAND: still drvisor's wire.
dv_assert_line "$rd/com2.log" 'drvisor: stats vcpu0 ' \
	"no exit statistics on the monitor's PCI UART after the guest's writes to its function"
if [[ $mode == share ]]; then
	dv_assert_line "$rd/com2.log" "^drvisor: warning: monitor_share=on refused: the guest cannot share a PCI UART \\(its function is hidden from the guest\\)" \
		"monitor_share=on on a PCI UART was not refused"
fi
dv_assert_no_line "$rd/com2.log" 'HOST EXCEPTION|unexpected exit|VMRUN failed|VM entry failed|cannot hide'
dv_pass "$name in $((SECONDS - start))s"
