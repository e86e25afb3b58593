#!/usr/bin/env bash
# Install the Debian packages drvisor needs to build, boot and test.
#
# Why this script exists: the build (clang, ld.lld, nasm, gnu-efi), the image
# tools (mtools, dosfstools, gdisk) and both emulators (QEMU + OVMF, Bochs +
# its BIOS files) come from Debian packages, and CI machines start bare. It is
# idempotent and cheap when everything is present (no apt-get update unless a
# package is missing), so tools/test and tools/run call it every time.
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: tools/deps.sh [--check] [--list] [-h|--help]

Installs the Debian packages drvisor needs, only when some are missing
(apt-get update + apt-get install -y --no-install-recommends).
Runs as root directly, otherwise through sudo. Works without a tty (CI=true).

  --check   only report missing packages; exit 1 if any are missing
  --list    print the package list and exit
USAGE
}

PACKAGES=(
	cmake make clang lld llvm binutils nasm gnu-efi
	libclang-rt-14-dev
	qemu-system-x86 ovmf
	bochs bochs-term bochsbios vgabios
	mtools dosfstools gdisk
	libcmocka-dev gdb git python3 coreutils util-linux
	gnuplot-nox
	cpio gzip libc6-dev
	debootstrap strace
)

check_only=0
for arg in "$@"; do
	case "$arg" in
	--check) check_only=1 ;;
	--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "deps.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian-like system (no dpkg-query); install these yourself:" >&2
	printf '  %s\n' "${PACKAGES[@]}" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi
echo "deps.sh: missing packages: ${missing[*]}" >&2
if ((check_only)); then
	exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
	# No tty (CI): fail instead of hanging on a password prompt.
	[[ -t 0 ]] || SUDO+=(-n)
else
	echo "deps.sh: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
