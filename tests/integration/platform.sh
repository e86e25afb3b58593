# Platform facts for the integration tests (sourced after lib.sh).
#
# Each test platform is an emulator plus a CPU model; the features drvisor's
# banner must report there are what that emulator really offers on these
# versions (QEMU 7.2 TCG, Bochs 2.7), as DESIGN's quirk table and the
# emulators' CPUID show. A banner that claims more or less fails the test.

# dv_platform_vendor PLATFORM: svm or vmx, the half drvisor must pick there.
dv_platform_vendor() {
	case $1 in
	qemu | bochs-svm) echo svm ;;
	bochs-vmx) echo vmx ;;
	*) dv_fail "unknown platform '$1'" ;;
	esac
}

# dv_platform_features PLATFORM: the name=value tokens of the banner's
# "virt:" lines that must appear.
dv_platform_features() {
	case $1 in
	qemu) # TCG's SVM: nested paging, none of the optional features.
		echo "svm=yes svm-disabled=no npt=yes lbr-virt=no nrip-save=no vmcb-clean=no" \
			"decode-assists=no vmx=no" ;;
	bochs-svm) # Bochs ryzen: LBR virtualization and NRIP save, no clean bits.
		echo "svm=yes svm-disabled=no npt=yes lbr-virt=yes nrip-save=yes vmcb-clean=no" \
			"decode-assists=no vmx=no" ;;
	bochs-vmx) # Bochs corei7_skylake_x: EPT, VPID, debug controls; MTF only on later models.
		echo "vmx=yes vmx-locked-off=no ept=yes vpid=yes unrestricted-guest=yes" \
			"preemption-timer=yes load-debug-controls=yes save-debug-controls=yes" \
			"monitor-trap-flag=no svm=no" ;;
	*) dv_fail "unknown platform '$1'" ;;
	esac
}

# dv_platform_model PLATFORM: the Bochs CPU model of a Bochs platform.
dv_platform_model() {
	case $1 in
	bochs-vmx) echo corei7_skylake_x ;;
	bochs-svm) echo ryzen ;;
	*) dv_fail "platform '$1' is not a Bochs one" ;;
	esac
}

# dv_start PLATFORM RUN_DIR TIMEOUT ESP_DIR [SOCKET]: boot ESP_DIR in the
# background, in a session of its own so that the emulator and its helpers
# can be killed together (an EXIT trap does so), for tests that talk to
# drvisor's monitor while the guest runs. COM1 goes to RUN_DIR/com1.log;
# COM2 (the monitor) to RUN_DIR/com2.log, or with SOCKET on that UNIX socket
# (Bochs: through run-bochs's bridge, which logs it to com2.log too). Sets
# DV_EMU_PID; the runner's status is wait's. With DV_MONITOR_PCI=1 (QEMU
# only) the monitor's wire is a PCI 16550 at 00:06.0 instead and the
# machine has no COM2 (issue 15).
dv_start() {
	local platform=$1 rd=$2 t=$3 esp=$4 sock=${5:-} com2 mon
	case $platform in
	qemu)
		com2=file:$rd/com2.log
		[[ -z $sock ]] || com2=socket:$sock
		mon=(--com2 "$com2")
		[[ -z ${DV_MONITOR_PCI:-} ]] || mon=(--com2 none --pci-serial "$com2")
		setsid "$DV_TOOLS/run-qemu" --run-dir "$rd" --timeout "$t" --no-reboot \
			--smp "${DV_CPUS:-1}" --com1 "file:$rd/com1.log" "${mon[@]}" --esp "$esp" \
			</dev/null >"$rd/runner.log" 2>&1 &
		;;
	bochs-vmx | bochs-svm)
		setsid "$DV_TOOLS/run-bochs" --run-dir "$rd" --timeout "$t" --esp "$esp" \
			--cpus "${DV_CPUS:-1}" --model "$(dv_platform_model "$platform")" --com1 "$rd/com1.log" \
			--com2 "$rd/com2.log" ${sock:+--com2-socket "$sock"} \
			</dev/null >"$rd/runner.log" 2>&1 &
		;;
	*) dv_fail "unknown platform '$platform'" ;;
	esac
	DV_EMU_PID=$!
	trap 'kill -- -"$DV_EMU_PID" 2>/dev/null || true' EXIT
}

# dv_boot PLATFORM RUN_DIR TIMEOUT ESP_DIR: boot ESP_DIR on PLATFORM with
# COM1/COM2 logs in RUN_DIR; returns 0 when the guest ended the machine
# through its exit port, else the runner's status.
dv_boot() {
	local platform=$1 rd=$2 t=$3 esp=$4 st=0
	case $platform in
	qemu)
		dv_require qemu-system-x86_64
		dv_qemu "$rd" "$t" --smp "${DV_CPUS:-1}" --esp "$esp" || st=$?
		# guest_exit(code) makes QEMU exit with (code << 1) | 1.
		[[ $st == 1 || $st == 3 ]] && st=0
		;;
	bochs-vmx | bochs-svm)
		dv_require bochs-bin
		dv_bochs "$rd" "$t" --cpus "${DV_CPUS:-1}" --esp "$esp" --model "$(dv_platform_model "$platform")" || st=$?
		;;
	*) dv_fail "unknown platform '$platform'" ;;
	esac
	return "$st"
}

# dv_assert_banner PLATFORM COM2_LOG: the core's banner with this platform's
# features, and the launch under the right vendor half.
dv_assert_banner() {
	local platform=$1 log=$2 tok vendor
	dv_assert_line "$log" '^drvisor: drvisor [0-9]+\.[0-9]+\.[0-9]+ ' "no banner"
	dv_assert_line "$log" '^drvisor: cpu: (GenuineIntel|AuthenticAMD) family ' "no CPU line"
	for tok in $(dv_platform_features "$platform"); do
		dv_assert_line "$log" "^drvisor: virt: (.* )?$tok( |\$)" "banner lacks '$tok'"
	done
	dv_assert_line "$log" '^drvisor: cpus: [0-9]+' "no CPU count"
	dv_assert_line "$log" '^drvisor: memory: reserved 0x[0-9a-f]+-0x[0-9a-f]+' "no reservation line"
	vendor=$(dv_platform_vendor "$platform")
	dv_assert_line "$log" "^drvisor: launching the loader as a guest under $vendor " \
		"no launch under $vendor"
}

# dv_qemu_until RUN_DIR TIMEOUT FILE REGEX RUN-QEMU-ARGS...: boot QEMU until
# FILE (one of the run dir's logs) has a line matching REGEX, then stop it.
# For boots that end in a stopped CPU or the firmware's menu rather than a
# guest exit. Fails when QEMU ends or the time runs out first.
dv_qemu_until() {
	local rd=$1 t=$2 file=$3 re=$4
	shift 4
	dv_require qemu-system-x86_64 setsid
	setsid "$DV_TOOLS/run-qemu" --run-dir "$rd" --timeout "$t" --no-reboot \
		--com1 "file:$rd/com1.log" --com2 "file:$rd/com2.log" "$@" \
		</dev/null >"$rd/runner.log" 2>&1 &
	DV_UNTIL_PID=$!
	trap 'kill -- -"$DV_UNTIL_PID" 2>/dev/null || true' EXIT
	dv_wait_for_line "$file" "$re" "$t" "$DV_UNTIL_PID"
	kill -- -"$DV_UNTIL_PID" 2>/dev/null || true
	wait "$DV_UNTIL_PID" 2>/dev/null || true
}
