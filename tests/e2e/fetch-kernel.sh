#!/usr/bin/env bash
# Fetch the Debian 12 kernel the end-to-end test boots, and cut the
# uncompressed vmlinux out of its vmlinuz (QEMU boots it directly through
# PVH, which takes about a third of the time of decompressing in the guest).
#
#   tests/e2e/fetch-kernel.sh [CACHE_DIR]
#
# Prints the path of the vmlinux as the last line of stdout.
# KERNEL_PKG=linux-image-6.1.0-NN-amd64 picks another kernel; by default the
# one that apt's candidate of linux-image-amd64 depends on.  The package is
# downloaded with apt-get download (never installed), only ./boot is
# unpacked, and the result is cached by the .deb's file name.  apt-get update
# runs only when apt has no list that offers the package.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-$here/cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

log() { echo "fetch-kernel: $*" >&2; }

apt_opts=()
# apt drops to the _apt user for downloads, which cannot write a root-owned
# cache directory; as root download as root and spare the warning.
if [ "$(id -u)" -eq 0 ]; then
	apt_opts+=(-o APT::Sandbox::User=root)
fi

# The image package that linux-image-amd64's candidate version depends on,
# e.g. linux-image-6.1.0-56-amd64.  Empty when apt has no lists.
default_pkg() {
	{ apt-cache depends --important linux-image-amd64 2>/dev/null || true; } |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' |
		head -n 1
}

# "NAME_VERSION_ARCH.deb" for $1 as apt would download it; empty when apt
# does not know the package.
deb_name() {
	{ apt-get "${apt_opts[@]}" download --print-uris "$1" 2>/dev/null || true; } |
		awk '{ print $2 }' | head -n 1
}

resolve() {
	pkg=${KERNEL_PKG:-$(default_pkg)}
	deb=
	if [ -n "$pkg" ]; then
		deb=$(deb_name "$pkg")
	fi
}

pkg='' deb=''
resolve
if [ -z "$deb" ]; then
	log "apt offers no ${pkg:-linux-image-amd64}; running apt-get update"
	if apt-get update -qq >/dev/null 2>&1; then
		resolve
	fi
fi

if [ -z "$deb" ]; then
	# No lists and no network: fall back to a kernel fetched before, if any.
	found=$(find "$cache" -mindepth 2 -maxdepth 2 -name vmlinux \
		-path "$cache/${KERNEL_PKG:-linux-image-}*" | sort | tail -n 1)
	if [ -n "$found" ]; then
		log "apt cannot resolve ${pkg:-the kernel}; using cached $found"
		echo "$found"
		exit 0
	fi
	log "cannot find ${pkg:-a linux-image-6.1.0-*-amd64 package} with apt"
	exit 1
fi

dir=$cache/${deb%.deb}
if [ -s "$dir/vmlinux" ] && [ -s "$dir/config" ]; then
	log "cached $deb"
	echo "$dir/vmlinux"
	exit 0
fi

log "downloading $deb"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get "${apt_opts[@]}" download -q "$pkg" >/dev/null)
if [ ! -s "$tmp/$deb" ]; then
	log "apt-get download $pkg did not produce $deb"
	exit 1
fi

# Only ./boot: vmlinuz and config.  Modules are not needed, everything the
# test uses (AppArmor, serial console, initramfs, PVH) is built in.
dpkg-deb --fsys-tarfile "$tmp/$deb" | (cd "$tmp" && tar -x ./boot)
vmlinuz=$(find "$tmp/boot" -name 'vmlinuz-*' | head -n 1)
config=$(find "$tmp/boot" -name 'config-*' | head -n 1)
if [ -z "$vmlinuz" ] || [ -z "$config" ]; then
	log "$deb has no boot/vmlinuz-* or boot/config-*"
	exit 1
fi
for opt in CONFIG_SECURITY_APPARMOR CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP \
	CONFIG_PVH CONFIG_SERIAL_8250_CONSOLE CONFIG_SECCOMP_FILTER CONFIG_DEVTMPFS; do
	if ! grep -qx "$opt=y" "$config"; then
		log "$deb: $opt is not built in; this kernel cannot run the test"
		exit 1
	fi
done

# The bzImage carries the kernel as one XZ stream after the setup code; a
# signed image has its signature after the stream, hence --single-stream.
# (grep may die of SIGPIPE once head has its line: that is not an error.)
offset=$({ LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" || true; } |
	head -n 1 | cut -d: -f1)
if [ -z "$offset" ]; then
	log "$vmlinuz: no XZ stream found; this script handles XZ kernels" \
		"(the -amd64 flavour), this one has" \
		"$(grep -o '^CONFIG_KERNEL_[A-Z0-9]*=y' "$config" | head -n 1)"
	exit 1
fi
# xz stops reading after the stream, so feed it without a pipeline whose
# writer would fail on SIGPIPE.
xz -dc --single-stream <(tail -c "+$((offset + 1))" "$vmlinuz") >"$tmp/vmlinux"
if [ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" != '177ELF' ]; then
	log "$vmlinuz: the XZ stream is not an ELF kernel"
	exit 1
fi

mkdir -p "$dir"
cp "$config" "$dir/config"
echo "$pkg" >"$dir/package"
mv "$tmp/vmlinux" "$dir/vmlinux"
log "extracted $(basename "$vmlinuz") to $dir/vmlinux"
echo "$dir/vmlinux"
