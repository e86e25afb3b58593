#!/usr/bin/env bash
# monitor_share=on under QEMU: the monitor shares COM1 with the firmware
# (a machine with one serial port). The guest's output must still reach
# the wire through drvisor's emulated UART, and Ctrl-] must hand the
# keyboard to the monitor and back. One boot, about 10 s.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/platform.sh"

dv_require qemu-system-x86_64 python3
rd=$(dv_run_dir monitor_share.qemu)
"$DV_TOOLS/mkesp" --out "$rd/esp" --build "$(dv_build_dir)" --clean \
	--cfg monitor=com1 --cfg monitor_share=on >/dev/null
sock=$rd/com1.sock
setsid "$DV_TOOLS/run-qemu" --run-dir "$rd" --timeout 90 --esp "$rd/esp" \
	--com1 "socket:$sock" --com2 null </dev/null >"$rd/runner.log" 2>&1 &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true' EXIT

python3 - "$sock" "$rd/wire.log" <<'PY' || dv_fail "shared-port session failed" "$rd/wire.log" "$rd/runner.log"
import socket, sys, time
path, log = sys.argv[1], sys.argv[2]
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("no socket")
s.settimeout(0.2)
wire = b""
def read_until(token, secs):
    global wire
    end = time.time() + secs
    while token not in wire and time.time() < end:
        try:
            d = s.recv(4096)
            if d: wire += d
        except socket.timeout:
            pass
    open(log, "wb").write(wire)
    if token not in wire:
        sys.exit("no %r on the wire" % token)
# The loader prints this as a guest, through drvisor's emulated UART.
read_until(b"core returned 0 (ok)", 60)
read_until(b"returning to the boot manager", 30)
s.sendall(b"\x1d")
read_until(b"[drvisor monitor; Ctrl-] returns to the guest]", 10)
s.sendall(b"mode machine\r")
read_until(b"mode=machine previous=human ok", 10)
s.sendall(b"dr 7\r")
read_until(b"dr7=0x0000000000000400 ok", 10)
s.sendall(b"\x1d")
read_until(b"[guest console; Ctrl-] for the drvisor monitor]", 10)
PY
dv_assert_line "$rd/wire.log" 'drvisor: drvisor [0-9.]+ ' "no banner on the shared wire"
dv_pass "monitor_share.qemu"
