#!/bin/sh
# kubelet's ConfigMap volume update in POSIX sh, for guests with busybox and
# no python (the QEMU end-to-end test).  Same order as atomic_writer.py:
#   new DIR/..<UTC timestamp>.<random> with the files (0644), symlink
#   ..data_tmp to it, rename ..data_tmp over ..data, create the missing
#   key -> ..data/key links, drop the links of keys that went away, remove
#   the old timestamped directory.
#
# Usage:  atomic_write.sh DIR key=FILE...      (DIR then holds exactly these keys)
#    or:  . atomic_write.sh; atomic_write DIR key=FILE...
#
# The switch needs rename(2) of a symlink over a symlink to a directory.
# Plain `mv -f ..data_tmp ..data` follows ..data and moves ..data_tmp INTO
# the old directory (GNU and busybox alike); `mv -T` renames.  busybox has
# -T since 1.32 (Debian 12 ships 1.35).  Without it this script stops with
# an error, unless AW_ALLOW_NONATOMIC=1 lets it fall back to `ln -sfn`,
# which unlinks then re-creates ..data: a reader can see it missing.

aw_die() {
	echo "atomic_write: $*" >&2
	exit 1
}

aw_valid_key() {
	case $1 in
	'' | .. | ..* | . | *[!A-Za-z0-9._-]*) return 1 ;;
	esac
	return 0
}

# aw_in_payload KEY key=FILE...: is KEY one of the keys given?
aw_in_payload() {
	aw_k=$1
	shift
	for aw_s in "$@"; do
		[ "${aw_s%%=*}" = "$aw_k" ] && return 0
	done
	return 1
}

atomic_write() (
	set -eu
	dir=$1
	shift
	[ -d "$dir" ] || aw_die "$dir is not a directory"
	for spec in "$@"; do
		key=${spec%%=*}
		src=${spec#*=}
		[ "$key" != "$spec" ] || aw_die "expected key=FILE, got $spec"
		aw_valid_key "$key" || aw_die "invalid key $key"
		[ -f "$src" ] || aw_die "$src is not a file"
	done

	old=$(readlink "$dir/..data" 2>/dev/null || true)
	changed=1
	if [ -n "$old" ]; then
		changed=0
		for spec in "$@"; do
			cmp -s "${spec#*=}" "$dir/$old/${spec%%=*}" || changed=1
		done
		for f in "$dir/$old"/* "$dir/$old"/.[!.]*; do
			[ -e "$f" ] || continue
			aw_in_payload "${f##*/}" "$@" || changed=1
		done
	fi

	if [ "$changed" = 1 ]; then
		stamp=..$(date -u +%Y_%m_%d_%H_%M_%S).
		while :; do
			n=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')
			ts=$stamp$n
			mkdir "$dir/$ts" 2>/dev/null && break
		done
		chmod 0755 "$dir/$ts"
		for spec in "$@"; do
			cat "${spec#*=}" >"$dir/$ts/${spec%%=*}"
			chmod 0644 "$dir/$ts/${spec%%=*}"
		done

		ln -s "$ts" "$dir/..data_tmp" || { rm -rf "${dir:?}/$ts"; aw_die "cannot create ..data_tmp"; }
		if mv -fT "$dir/..data_tmp" "$dir/..data" 2>/dev/null; then
			:
		elif [ "${AW_ALLOW_NONATOMIC:-0}" = 1 ]; then
			rm -f "$dir/..data_tmp"
			ln -sfn "$ts" "$dir/..data"
		else
			rm -f "$dir/..data_tmp"
			rm -rf "${dir:?}/$ts"
			aw_die "mv -T failed: cannot rename ..data_tmp over ..data atomically (set AW_ALLOW_NONATOMIC=1 to use ln -sfn)"
		fi
		# A mv that followed ..data would have left ..data_tmp inside the old dir.
		[ "$(readlink "$dir/..data")" = "$ts" ] || aw_die "..data does not point to $ts after the switch"
		if [ -e "$dir/..data_tmp" ] || [ -L "$dir/..data_tmp" ]; then
			aw_die "..data_tmp left behind"
		fi
	fi

	for spec in "$@"; do
		key=${spec%%=*}
		[ -L "$dir/$key" ] || [ -e "$dir/$key" ] || ln -s "..data/$key" "$dir/$key"
	done

	if [ "$changed" = 1 ] && [ -n "$old" ]; then
		for f in "$dir/$old"/* "$dir/$old"/.[!.]*; do
			[ -e "$f" ] || continue
			aw_in_payload "${f##*/}" "$@" || rm -f "${dir:?}/${f##*/}"
		done
		rm -rf "${dir:?}/$old"
	fi
)

case ${0##*/} in
atomic_write.sh)
	[ $# -ge 1 ] || aw_die "usage: atomic_write.sh DIR key=FILE..."
	atomic_write "$@"
	;;
esac
