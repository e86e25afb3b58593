#!/usr/bin/env bash
# unit.fresh_check_diag: tools/fresh-check names the package a clean root
# lacks. The trace is a recorded shape of strace's output (failed file calls
# of a Bochs boot and a clang link); this machine's own dpkg database answers
# who owns a file (deps.sh installed both packages used here), and the root's
# two queries are stubs: a root that has every file but those of PKG.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tools/fresh_check_diag.sh"

fails=0
check() { # NAME EXPECTED ACTUAL
	if [[ $2 == "$3" ]]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   expected: $2"
		echo "#   got:      $3"
		fails=$((fails + 1))
	fi
}

# A file of each package, as this machine's dpkg lists it.
# (read from a process substitution: a pipe that stops reading early would
# fail the pipeline with SIGPIPE under pipefail, at random.)
pkg_file() {
	local f
	while read -r f; do
		[[ -f $f && ! -L $f ]] && { echo "$f"; break; }
	done < <(dpkg-query -L "$1" 2>/dev/null)
}
term_so=$(pkg_file bochs-term) rt_lib=$(pkg_file libclang-rt-14-dev) bochs_bin=$(pkg_file bochs)
[[ -n $term_so && -n $rt_lib && -n $bochs_bin ]] ||
	{ echo "not ok - this machine lacks bochs-term, libclang-rt-14-dev or bochs (run tools/deps.sh)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/trace" <<EOF
4242 openat(AT_FDCWD, "/etc/ld.so.preload", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
4242 openat(AT_FDCWD, "$term_so", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
4242 newfstatat(AT_FDCWD, "$term_so", 0x7ffd1e0c6b30, 0) = -1 ENOENT (No such file or directory)
4243 access("$rt_lib", F_OK) = -1 ENOENT (No such file or directory)
4243 openat(AT_FDCWD, "relative/file", O_RDONLY) = -1 ENOENT (No such file or directory)
4244 execve("$bochs_bin", ["bochs-bin"], 0x7ffe /* 9 vars */) = -1 EACCES (Permission denied)
4245 openat(AT_FDCWD, "/nonexistent/anywhere.so", O_RDONLY) = -1 ENOENT (No such file or directory)
EOF

# A program that finds its plugins by reading their directory (Bochs): no
# failed lookup, only the directory read, successfully, in a full trace.
cat >"$tmp/dirtrace" <<EOF
4250 openat(AT_FDCWD, "/usr/lib/locale/C.utf8/LC_CTYPE", O_RDONLY|O_CLOEXEC) = 3
4250 openat(AT_FDCWD, "$(dirname "$term_so")", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3
4250 openat(AT_FDCWD, "/usr/lib", O_RDONLY|O_PATH|O_DIRECTORY) = 4
4250 openat(AT_FDCWD, "/usr/share/locale/locale.alias", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
EOF

# The stubbed root: lacks exactly the files of the packages in $root_lacks.
fresh_diag_root_missing() {
	shift
	local p
	for p; do
		case " $root_lacks " in
		*" $(owner_of "$p") "*) echo "$p" ;;
		esac
	done
}
owner_of() { # the stub's own table (dpkg-query -S is slow: it reads every file list)
	case $1 in
	"$term_so") echo bochs-term ;;
	"$rt_lib") echo libclang-rt-14-dev ;;
	"$bochs_bin") echo bochs ;;
	/usr/share/locale/*) echo locales ;;
	esac
}
fresh_diag_root_installed() {
	shift
	local p
	for p; do
		case " $root_lacks " in *" $p "*) ;; *) echo "$p" ;; esac
	done
}

check "paths: absolute ENOENT lookups only, once each" \
	"$(printf '%s\n' /etc/ld.so.preload /nonexistent/anywhere.so "$rt_lib" "$term_so" | sort -u)" \
	"$(fresh_diag_paths "$tmp/trace")"
check "owner of a package file" bochs-term "$(fresh_diag_host_owner "$term_so")"
check "owner of no package's file" "" "$(fresh_diag_host_owner /nonexistent/anywhere.so)"

root_lacks="bochs-term"
check "a root without bochs-term: named, with the file looked for" \
	"bochs-term $term_so" "$(fresh_diag_missing "$tmp/trace" /unused)"
root_lacks="bochs-term libclang-rt-14-dev"
check "a root without both: both named" \
	"$(printf '%s\n' "bochs-term $term_so" "libclang-rt-14-dev $rt_lib" | sort)" \
	"$(fresh_diag_missing "$tmp/trace" /unused)"
check "dirs: directories read, not O_PATH opens" "$(dirname "$term_so")" "$(fresh_diag_dirs "$tmp/dirtrace")"
check "a plugin directory read: its missing plugin's package named" \
	"bochs-term $term_so" "$(fresh_diag_missing "$tmp/dirtrace" /unused)"
root_lacks="bochs-term locales"
check "locale data lookups name nothing" "bochs-term $term_so" "$(fresh_diag_missing "$tmp/dirtrace" /unused)"
root_lacks="bochs"
check "a failed call that is not ENOENT names nothing" "" "$(fresh_diag_missing "$tmp/trace" /unused)"
root_lacks=""
check "a complete root: nothing named" "" "$(fresh_diag_missing "$tmp/trace" /unused)"
check "the report says so" \
	"fresh-check: the trace names no package that this machine has and the root lacks; read the log" \
	"$(fresh_diag_report "$tmp/trace" /unused)"
root_lacks="bochs-term"
check "the report names the package for a person" \
	"fresh-check:   missing package: bochs-term (it has $term_so)" \
	"$(fresh_diag_report "$tmp/trace" /unused | grep 'missing package')"

echo "$((12 - fails)) passed, $fails failed"
((fails == 0))
