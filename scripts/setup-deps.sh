#!/usr/bin/env bash
# Install the Debian 12 packages Kapparmor needs to build, test, fuzz and lint.
# Idempotent: apt-get update and install run only when a package is missing.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc make
	clang llvm libclang-rt-14-dev
	libapparmor-dev libseccomp-dev libcap-ng-dev
	libprotobuf-c-dev protobuf-c-compiler
	libcriterion-dev libyaml-dev libmicrohttpd-dev
	nettle-dev
	apparmor
	cppcheck shellcheck gcovr valgrind
	python3 python3-yaml
	qemu-system-x86
	busybox-static
	xz-utils
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
