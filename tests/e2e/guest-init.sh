#!/bin/sh
# shellcheck shell=sh
# The end-to-end test's /init (busybox sh, PID 1 in the QEMU guest).
#
# Mounts what AppArmor and the checks need, runs every /e2e/checks/*.sh
# meant for this boot (a "# e2e-boots: 1 2" line in the file says which),
# each in its own shell under a hard timeout, and prints the results as TAP
# between two marker lines that run-e2e.sh looks for.  Then it prints the
# directories the checks asked to carry into the next boot as a base64 tar
# between two more markers, and powers off.  Nothing here may block without
# a bound: the host only has its own timeout to fall back on.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid devtmpfs /dev
mount -t securityfs -o nosuid,nodev,noexec securityfs /sys/kernel/security
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
exec </dev/null >/dev/console 2>&1

# shellcheck source-path=SCRIPTDIR source=guest-lib.sh disable=SC1091
. /e2e/lib.sh

E2E_CHECK_TIMEOUT=30

mkdir -p "$E2E_RUN"
echo 0 >"$E2E_RUN/tap-count"
: >"$E2E_RUN/carry.list"

# runs_in_this_boot FILE
runs_in_this_boot() {
	boots=$(sed -n 's/^# e2e-boots://p' "$1" | head -n 1)
	for b in $boots; do
		if [ "$b" = "$E2E_BOOT" ]; then
			return 0
		fi
	done
	return 1
}

# The programs a check needs ("# e2e-needs: kapparmor-loader ..."); when one
# is not in the initramfs the check is skipped, not failed, so the harness
# runs before the daemon exists.
missing_needs() {
	for need in $(sed -n 's/^# e2e-needs://p' "$1" | head -n 1); do
		if ! command -v "$need" >/dev/null 2>&1; then
			printf '%s ' "$need"
		fi
	done
}

echo "KAPPARMOR-E2E-BEGIN boot=$E2E_BOOT"
diag "kernel $(uname -r), init started $(now_ms) ms after boot"
t_start=$(now_ms)

for f in /e2e/checks/*.sh; do
	runs_in_this_boot "$f" || continue
	name=${f##*/}
	name=${name%.sh}
	missing=$(missing_needs "$f")
	if [ -n "$missing" ]; then
		tap_skip "$name" "not in this build: $missing"
		continue
	fi
	before=$(cat "$E2E_RUN/tap-count")
	diag "--- $name"
	t0=$(now_ms)
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout "$E2E_CHECK_TIMEOUT" sh -c \
		'. /e2e/lib.sh; . "$1"; exit 0' sh "$f"
	rc=$?
	after=$(cat "$E2E_RUN/tap-count")
	if [ "$rc" -eq 143 ]; then
		tap_fail "$name: timed out after $E2E_CHECK_TIMEOUT s"
	elif [ "$after" -eq "$before" ]; then
		tap_fail "$name: reported no result (exit $rc)"
	elif [ "$rc" -ne 0 ]; then
		# a syntax error or an explicit exit: the rest did not run
		tap_fail "$name: stopped early (exit $rc)"
	fi
	diag "$name took $(($(now_ms) - t0)) ms"
done

total=$(cat "$E2E_RUN/tap-count")
echo "1..$total"
diag "checks took $(($(now_ms) - t_start)) ms"
echo "KAPPARMOR-E2E-END boot=$E2E_BOOT"

# The kernel's messages (AppArmor's audit lines among them) help explain a
# failure; the host shows them only when it reports one.
echo "KAPPARMOR-E2E-DMESG-BEGIN boot=$E2E_BOOT"
dmesg | tail -n 60
echo "KAPPARMOR-E2E-DMESG-END boot=$E2E_BOOT"

if [ -s "$E2E_RUN/carry.list" ]; then
	# shellcheck disable=SC2046 # one relative path per line, no spaces
	tar -czf "$E2E_RUN/carry.tgz" -C / $(cat "$E2E_RUN/carry.list")
	echo "KAPPARMOR-E2E-CARRY-BEGIN boot=$E2E_BOOT"
	base64 "$E2E_RUN/carry.tgz"
	echo "KAPPARMOR-E2E-CARRY-END boot=$E2E_BOOT"
	sum=$(sha256sum "$E2E_RUN/carry.tgz")
	echo "KAPPARMOR-E2E-CARRY-SHA256 ${sum%% *}"
fi

echo "KAPPARMOR-E2E-POWEROFF boot=$E2E_BOOT"
poweroff -f
