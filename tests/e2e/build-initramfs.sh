#!/usr/bin/env bash
# Build the gzip'd newc initramfs archives the end-to-end test boots.
#
#   tests/e2e/build-initramfs.sh --out FILE --work DIR [--bin PROGRAM]...
#   tests/e2e/build-initramfs.sh --overlay --out FILE --work DIR --boot N
#       [--env FILE] [--carry TGZ]
#
#   --out FILE     the archive to write (gzip'd newc cpio)
#   --work DIR     scratch directory (the root is staged in DIR/root)
#   --bin PROGRAM  a program of ours (kapparmor-loader, kapparmor-watcher,
#                  kapparmor-check) to install as /usr/bin/NAME, with the
#                  shared libraries it needs; repeatable
#   --overlay      build the small per-boot archive instead:
#   --boot N       which boot it is for (checks select on it), as E2E_BOOT
#                  in /e2e/env
#   --env FILE     more sh assignments for /e2e/env
#   --carry TGZ    a tar the previous boot printed, unpacked into the root
#
# The kernel unpacks concatenated archives in order, so one boot's initrd is
# the base archive followed by that boot's overlay (cat base overlay), and
# the base is built once per run.
#
# The base holds busybox-static with its applet links, /sbin/apparmor_parser
# with its libraries, the parser's configuration and policy (parser.conf,
# the pinned features file, tunables, abstractions, abi), /init, and under
# /e2e the check library, the checks, test profiles, ConfigMap layouts and
# the seccomp probe.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

out='' work='' boot=1 env_file='' carry='' overlay=0
bins=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--boot) boot=$2; shift 2 ;;
	--env) env_file=$2; shift 2 ;;
	--carry) carry=$2; shift 2 ;;
	--overlay) overlay=1; shift ;;
	--bin) bins+=("$2"); shift 2 ;;
	*) echo "build-initramfs: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$out" ] || [ -z "$work" ]; then
	echo "usage: build-initramfs.sh [--overlay] --out FILE --work DIR" \
		"[--bin PROGRAM]... [--boot N] [--env FILE] [--carry TGZ]" >&2
	exit 2
fi

die() { echo "build-initramfs: $*" >&2; exit 1; }

busybox=$(command -v busybox) || die "busybox not found (package busybox-static)"

# write_archive: the staged root as a gzip'd newc cpio at $out, every file
# owned by root in the guest whoever builds it.
write_archive() {
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		"$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 >"$out.tmp"
	mv "$out.tmp" "$out"
}

mkdir -p "$work"
root=$work/root
rm -rf "$root"
mkdir -p "$root/e2e"

if [ "$overlay" -eq 1 ]; then
	{
		echo "E2E_BOOT=$boot"
		if [ -n "$env_file" ]; then
			cat "$env_file"
		fi
	} >"$root/e2e/env"
	if [ -n "$carry" ]; then
		tar -xzf "$carry" -C "$root"
	fi
	write_archive
	exit 0
fi

parser=/sbin/apparmor_parser
[ -x "$parser" ] || die "$parser not found (package apparmor)"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,var/lib}

# install_elf SRC DEST: copy a program and, when it is dynamic, every shared
# library ldd names, each at the path the dynamic loader will look for it.
install_elf() {
	local src=$1 dst=$2 lib
	install -D -m 0755 "$src" "$root$dst"
	# ldd fails on a static program: then there is nothing to copy.
	ldd "$src" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }' |
	while read -r lib; do
		if [ ! -e "$root$lib" ]; then
			install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
		fi
	done
}

# busybox must be static: the guest has no loader until we copy one.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamic; install busybox-static"
fi
install -m 0755 "$busybox" "$root/bin/busybox"
while read -r applet; do
	if [ ! -e "$root/$applet" ] && [ ! -L "$root/$applet" ]; then
		mkdir -p "$(dirname "$root/$applet")"
		ln -s /bin/busybox "$root/$applet"
	fi
done < <("$busybox" --list-full)

install_elf "$parser" /sbin/apparmor_parser
install -D -m 0644 /etc/apparmor/parser.conf "$root/etc/apparmor/parser.conf"
features=$(sed -n 's/^policy-features=//p' /etc/apparmor/parser.conf | tail -n 1)
features=${features:-/usr/share/apparmor-features/features}
install -D -m 0644 "$features" "$root$features"
mkdir -p "$root/etc/apparmor.d"
for d in tunables abstractions abi; do
	cp -a "/etc/apparmor.d/$d" "$root/etc/apparmor.d/"
done

for b in "${bins[@]}"; do
	[ -x "$b" ] || die "--bin $b is not an executable"
	install_elf "$b" "/usr/bin/$(basename "$b")"
done

# Enough of /etc for programs that look up users by name.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

install -m 0755 "$here/guest-init.sh" "$root/init"
install -m 0644 "$here/guest-lib.sh" "$root/e2e/lib.sh"
install -m 0644 "$here/holder.sh" "$root/e2e/holder.sh"
cp -r "$here/checks" "$here/profiles" "$here/configmaps" "$root/e2e/"

# A small libseccomp program: proves filters load and bite in this kernel.
cc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-o "$work/seccomp-probe" "$here/seccomp-probe.c" -lseccomp
install_elf "$work/seccomp-probe" /e2e/bin/seccomp-probe

# PID 1 gets /dev/console as its stdio before it can mount devtmpfs.
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 0600 "$root/dev/console" c 5 1
fi

write_archive
