#!/usr/bin/env bash
# Native reference run of guest-tests/handoff.efi: OVMF boots it directly as
# \EFI\BOOT\BOOTX64.EFI, with no drvisor. It proves the runners, the ESP
# tooling and the guest library (COM1 output, TAP, machine exit) before any
# hypervisor test depends on them.
#
# usage: native_handoff.sh qemu [CPU] | bochs MODEL
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

emu=${1:?usage: native_handoff.sh qemu [CPU] | bochs MODEL}
model=${2:-}
name=native_handoff.$emu${model:+.$model}
rd=$(dv_run_dir "$name")
dv_native_esp handoff "$rd/esp-src"

start=$SECONDS
case "$emu" in
qemu)
	dv_require qemu-system-x86_64
	st=0
	dv_qemu "$rd" 90 --esp "$rd/esp-src" ${model:+--cpu "$model"} || st=$?
	# guest_exit(0) -> isa-debug-exit -> QEMU exits with (0 << 1) | 1.
	dv_assert_status "$st" 1 "QEMU (expected guest_exit(0))" "$rd/com1.log" "$rd/runner.log"
	;;
bochs)
	dv_require bochs-bin
	st=0
	dv_bochs "$rd" 150 --esp "$rd/esp-src" --model "${model:?bochs needs a MODEL}" || st=$?
	dv_assert_status "$st" 0 "run-bochs (expected a Shutdown-port exit)" \
		"$rd/com1.log" "$rd/runner.log" "$rd/bochs.log"
	;;
*) dv_fail "unknown emulator '$emu'" ;;
esac

dv_assert_line "$rd/com1.log" '^drvisor-guest: handoff ok$' "no handoff line"
dv_assert_line "$rd/com1.log" '^TAP version 13$' "no TAP header"
dv_assert_line "$rd/com1.log" '^ok 1 - chain-loaded by the firmware$' "no 'ok 1' line"
dv_assert_tap "$rd/com1.log"
dv_pass "$name in $((SECONDS - start))s (logs: $rd)"
