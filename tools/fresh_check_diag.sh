# tools/fresh-check's diagnosis (sourced, not run): which package is missing?
#
# Why: when a step fails in the clean root, its log says what broke ("display
# library 'term' not available", "cannot link -fsanitize=fuzzer") but not
# which package brings the missing piece. The step ran under strace (failed
# file system calls only); a file it looked for in vain that this machine
# has, owned by a package the root lacks, names the line tools/deps.sh is
# missing; so do the files of a directory it listed (Bochs finds its display
# plugins by reading its plugin directory, so a missing one is no failed
# lookup). Unit-tested by tests/unit/fresh_check_diag_test.sh, which replaces
# the two root queries below with stubs.

# fresh_diag_paths STRACE_LOG: the absolute paths whose lookup failed with
# ENOENT, once each.
fresh_diag_paths() {
	sed -nE 's/^[0-9]+ +[a-z0-9_]+\((AT_FDCWD, )?"(\/[^"]*)".* = -1 ENOENT .*/\2/p' "$1" | sort -u
}

# fresh_diag_dirs STRACE_LOG: the absolute directories the step listed (opened
# as directories to read them: how a program finds its plugins), once each.
fresh_diag_dirs() {
	sed -nE '/O_PATH/d; s/^[0-9]+ +openat\(AT_FDCWD, "(\/[^"]*)", [^)]*O_DIRECTORY[^)]*\) = [0-9]+$/\1/p' "$1" |
		sort -u
}

# fresh_diag_looked_for STRACE_LOG: the paths of this machine that the step
# looked for: those it missed, and the files in the small directories it
# listed (a plugin directory; a system directory with hundreds of entries
# says nothing). Locale data is left out: every program asks for it, and
# the tests run with LANG=C.UTF-8.
FRESH_DIAG_DIR_MAX=200
fresh_diag_looked_for() {
	local p
	{
		fresh_diag_paths "$1"
		while IFS= read -r p; do
			[[ -d $p ]] || continue
			(($(find "$p" -mindepth 1 -maxdepth 1 | wc -l) <= FRESH_DIAG_DIR_MAX)) || continue
			find "$p" -mindepth 1 -maxdepth 1 -type f
		done < <(fresh_diag_dirs "$1")
	} | grep -Ev '^/usr/(share|lib)/locale/' | sort -u | while IFS= read -r p; do
		[[ -e $p ]] && printf '%s\n' "$p"
	done
}

# fresh_diag_root_missing ROOT PATH...: those PATHs that do not exist in ROOT
# (resolved inside it, so that its absolute symlinks point into it).
fresh_diag_root_missing() {
	local root=$1
	shift
	(($#)) || return 0
	chroot "$root" /bin/bash -c 'for p; do [[ -e $p ]] || echo "$p"; done' _ "$@"
}

# fresh_diag_root_installed ROOT PKG...: those PKGs that ROOT has installed.
fresh_diag_root_installed() {
	local root=$1
	shift
	(($#)) || return 0
	chroot "$root" dpkg-query -W -f '${Package} ${db:Status-Status}\n' "$@" 2>/dev/null |
		awk '$2 == "installed" { print $1 }'
}

# fresh_diag_host_owners PATH...: "PKG PATH" for each PATH that a package of
# this machine owns (also under its other name across the /usr merge). One
# dpkg-query for all of them: each reads the whole file database.
fresh_diag_host_owners() {
	(($#)) || return 0
	local p
	local -a alt=()
	for p; do
		case $p in
		/usr/*) alt+=("${p#/usr}") ;;
		*) alt+=("/usr$p") ;;
		esac
	done
	# "pkg[:arch][, pkg2...]: path"; diversions are no owners.
	dpkg-query -S "$@" "${alt[@]}" 2>/dev/null | grep -v '^diversion ' |
		sed -E 's/^([^:,]+)(:[a-z0-9]+)?(, [^:]*)?: (.*)$/\1 \4/' |
		while read -r pkg path; do
			case $path in
			/usr/*) [[ " $* " == *" $path "* ]] || path=${path#/usr} ;;
			*) [[ " $* " == *" $path "* ]] || path=/usr$path ;;
			esac
			echo "$pkg $path"
		done
}

# fresh_diag_host_owner PATH: the package of this machine that owns PATH, or
# nothing.
fresh_diag_host_owner() {
	fresh_diag_host_owners "$1" | head -n 1 | cut -d' ' -f1
}

# fresh_diag_missing STRACE_LOG ROOT: "PKG PATH" for each package this machine
# has and ROOT lacks whose file the traced step looked for (one example path).
fresh_diag_missing() {
	local log=$1 root=$2 pkg path
	local -a here=() lacking=()
	local -A example=()
	mapfile -t here < <(fresh_diag_looked_for "$log")
	((${#here[@]})) || return 0
	mapfile -t lacking < <(fresh_diag_root_missing "$root" "${here[@]}")
	while read -r pkg path; do
		[[ -n $pkg && -z ${example[$pkg]:-} ]] && example[$pkg]=$path
	done < <(fresh_diag_host_owners "${lacking[@]}" | sort -u)
	((${#example[@]})) || return 0
	local -A installed=()
	while IFS= read -r pkg; do installed[$pkg]=1; done \
		< <(fresh_diag_root_installed "$root" "${!example[@]}")
	for pkg in "${!example[@]}"; do
		[[ -n ${installed[$pkg]:-} ]] || echo "$pkg ${example[$pkg]}"
	done | sort
}

# fresh_diag_report STRACE_LOG ROOT: the diagnosis, for a person.
fresh_diag_report() {
	local found
	found=$(fresh_diag_missing "$1" "$2")
	if [[ -z $found ]]; then
		echo "fresh-check: the trace names no package that this machine has and the root lacks; read the log"
		return 0
	fi
	echo "fresh-check: the failed step looked for files of packages this machine has and the clean root lacks:"
	printf '%s\n' "$found" | while read -r pkg path; do
		echo "fresh-check:   missing package: $pkg (it has $path)"
	done
	echo "fresh-check: add them to PACKAGES in tools/deps.sh"
}
