#!/usr/bin/env bash
# monitor=auto picks the port an ACPI SPCR names (issue 15). QEMU x86 has
# no SPCR: guest-tests/spcr_install.c, booted first, installs one through
# EFI_ACPI_TABLE_PROTOCOL naming the PCI UART at 00:06.0 (QEMU pci-serial,
# the monitor's wire here), then starts drvisor's loader from
# \drvisor\boot\, whose next= is pcihide.efi (the function hidden, as in
# pci_hide.sh). COM1, the firmware's console, answers the legacy probe but
# is passed over before SPCR is even needed. Judged: the loader's account
# ("auto: SPCR"), the banner on the PCI UART, SPCR taken out of the root
# tables, and pcihide's TAP.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

dv_require qemu-system-x86_64
name=spcr.qemu
rd=$(dv_run_dir "$name")
build=$(dv_build_dir)
esp=$rd/esp
"$DV_TOOLS/mkesp" --out "$esp" --build "$build" --clean --cfg monitor=auto --cfg log_level=info \
	--cfg 'next=\drvisor\tests\pcihide.efi' --guest pcihide >/dev/null
mkdir -p "$esp/drvisor/boot"
mv "$esp/EFI/BOOT/"* "$esp/drvisor/boot/"
cp "$build/guest-tests/spcr_install.efi" "$esp/EFI/BOOT/BOOTX64.EFI"

start=$SECONDS
st=0
dv_qemu "$rd" 90 --esp "$esp" --com2 none --pci-serial "file:$rd/com2.log" || st=$?
[[ $st == 1 || $st == 3 ]] && st=0
logs=("$rd/com1.log" "$rd/com2.log" "$rd/runner.log")
dv_assert_status "$st" 0 "the machine did not end through the guest's exit port" "${logs[@]}"
dv_assert_line "$rd/com1.log" '^spcr: installed an SPCR for 00:06.0 \(00021b36\) at I/O 0x[0-9a-f]+: status 0$' \
	"the SPCR was not installed" "${logs[@]}"
dv_assert_line "$rd/com1.log" '^drvisor: monitor: I/O at 0x[0-9A-F]+ \(width 1, shift 0, clock 1843200 Hz\): auto: SPCR$' \
	"the loader did not pick the SPCR's port" "${logs[@]}"
dv_assert_tap "$rd/com1.log"
dv_assert_line "$rd/com1.log" '^pcihide: running under drvisor' "pcihide did not run under drvisor"
dv_assert_banner qemu "$rd/com2.log"
dv_assert_line "$rd/com2.log" '^drvisor: monitor: pci 00:06.0 BAR0 I/O 0x[0-9a-f]+ \(auto: SPCR\)$' \
	"the banner does not name the SPCR's PCI UART" "${logs[@]}"
dv_assert_line "$rd/com2.log" '^drvisor: monitor: ACPI SPCR taken out of the XSDT/RSDT' \
	"the SPCR naming drvisor's port was left to the OS" "${logs[@]}"
dv_assert_no_line "$rd/com2.log" 'HOST EXCEPTION|unexpected exit|VMRUN failed|VM entry failed|cannot hide'
dv_pass "$name in $((SECONDS - start))s"
