#!/usr/bin/env bash
# Kapparmor's end-to-end test on a real AppArmor kernel.
#
#   tests/e2e/run-e2e.sh [--build-dir DIR]
#
# Fetches a Debian 12 kernel (fetch-kernel.sh), builds an initramfs with
# busybox, apparmor_parser, the guest checks and, when DIR holds them, our
# programs (build-initramfs.sh), and boots it twice in QEMU (TCG): the first
# boot prints the directories its checks want to keep as a base64 tar, which
# the second boot's initramfs carries.  Each boot's TAP results, printed by
# the guest between marker lines on the serial console, become this script's
# results.  Output ends with "N passed, N failed"; the exit status is 0 only
# when nothing failed.  Logs are kept in DIR/e2e (printed on failure).
#
# Environment: KERNEL_PKG (another linux-image-6.1.0-NN-amd64),
# E2E_BOOT_TIMEOUT (seconds per boot, default 120), E2E_WORK_DIR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

build_dir=$repo/build
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir)
		build_dir=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*)
		echo "run-e2e: unknown argument $1 (usage: run-e2e.sh [--build-dir DIR])" >&2
		echo "0 passed, 1 failed"
		exit 1
		;;
	esac
done

boot_timeout=${E2E_BOOT_TIMEOUT:-120}
if [ -d "$build_dir" ]; then
	build_dir=$(cd "$build_dir" && pwd)
	work=${E2E_WORK_DIR:-$build_dir/e2e}
else
	work=${E2E_WORK_DIR:-$here/cache/work}
fi
mkdir -p "$work"

passed=0 failed=0 skipped=0
failed_boots=()

ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }

# A failure of the harness itself (no kernel, a boot that timed out...).
harness_fail() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

finish() {
	echo
	echo "e2e: ${timings:-}total $(secs $(($(ms) - t_total)))"
	if [ "$skipped" -gt 0 ]; then
		echo "e2e: $skipped skipped (programs not in $build_dir)"
	fi
	if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
		echo "e2e: guest logs in $work"
	fi
	echo "$passed passed, $failed failed"
	if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
		exit 1
	fi
	exit 0
}

t_total=$(ms)
timings=

if ! command -v qemu-system-x86_64 >/dev/null; then
	harness_fail "qemu-system-x86_64 not found (package qemu-system-x86)"
	finish
fi

t0=$(ms)
if ! vmlinux=$("$here/fetch-kernel.sh" 2>"$work/fetch-kernel.log" | tail -n 1) ||
	[ ! -s "$vmlinux" ]; then
	cat "$work/fetch-kernel.log" >&2
	harness_fail "fetch the kernel"
	finish
fi
timings+="kernel $(secs $(($(ms) - t0))), "
echo "e2e: kernel $(cat "$(dirname "$vmlinux")/package" 2>/dev/null || echo "$vmlinux")"

# Our programs, wherever meson put them in the build directory.
bin_args=()
for name in kapparmor-loader kapparmor-watcher kapparmor-check; do
	for sub in loader watcher check .; do
		if [ -f "$build_dir/$sub/$name" ] && [ -x "$build_dir/$sub/$name" ]; then
			bin_args+=(--bin "$build_dir/$sub/$name")
			break
		fi
	done
done

# build_initrd N [ARG...]: $work/initrd.N.gz, the base archive (built on
# the first call) followed by boot N's overlay built with ARGs.
build_initrd() {
	local n=$1 t
	shift
	t=$(ms)
	if [ ! -s "$work/base.cpio.gz" ] &&
		! "$here/build-initramfs.sh" --out "$work/base.cpio.gz" \
			--work "$work/initramfs.base" "${bin_args[@]}" \
			>"$work/initramfs.base.log" 2>&1; then
		cat "$work/initramfs.base.log" >&2
		return 1
	fi
	if ! "$here/build-initramfs.sh" --overlay --boot "$n" \
		--out "$work/overlay.$n.cpio.gz" --work "$work/initramfs.$n" "$@" \
		>"$work/initramfs.$n.log" 2>&1; then
		cat "$work/initramfs.$n.log" >&2
		return 1
	fi
	cat "$work/base.cpio.gz" "$work/overlay.$n.cpio.gz" >"$work/initrd.$n.gz"
	timings+="initramfs $n $(secs $(($(ms) - t))), "
}

# boot N INITRD: boot the guest, keep its serial console in boot.N.log.
boot() {
	local n=$1 initrd=$2 log=$work/boot.$1.log t rc
	t=$(ms)
	timeout -k 5 "$boot_timeout" qemu-system-x86_64 \
		-accel tcg -cpu max -m 512 -smp 1 \
		-nographic -no-reboot -net none \
		-kernel "$vmlinux" -initrd "$initrd" \
		-append "console=ttyS0 apparmor=1 security=apparmor quiet panic=-1" \
		</dev/null 2>&1 | tr -d '\r' >"$log"
	rc=${PIPESTATUS[0]}
	timings+="boot $n $(secs $(($(ms) - t))), "
	case $rc in
	0) ;;
	124 | 137) harness_fail "boot $n: timed out after $boot_timeout s" ;;
	*) harness_fail "boot $n: qemu exited $rc" ;;
	esac
}

# section LOG NAME N: the lines between "KAPPARMOR-E2E-NAME-BEGIN boot=N"
# and the matching END.  The BEGIN may follow other output on its line
# (the firmware prints no newline before the kernel starts).
section() {
	sed -n "/KAPPARMOR-E2E-$2BEGIN boot=$3\$/,/^KAPPARMOR-E2E-$2END boot=$3\$/p" "$1" |
		sed '1d;$d'
}

# results N: count and print the TAP results of boot N; show the
# diagnostics of each failed one.
results() {
	local n=$1 log=$work/boot.$1.log tap line plan count=0 boot_failed=0
	local last=ok
	if ! grep -q "KAPPARMOR-E2E-BEGIN boot=$n\$" "$log" ||
		! grep -qx "KAPPARMOR-E2E-END boot=$n" "$log"; then
		harness_fail "boot $n: no complete result section on the console"
		boot_failed=1
	fi
	tap=$(section "$log" "" "$n")
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			skipped=$((skipped + 1))
			count=$((count + 1))
			echo "boot $n: $line"
			;;
		"ok "[0-9]*)
			passed=$((passed + 1))
			count=$((count + 1))
			echo "boot $n: $line"
			;;
		"not ok "[0-9]*)
			failed=$((failed + 1))
			boot_failed=1
			count=$((count + 1))
			echo "boot $n: $line"
			;;
		"#   "*)
			# details of the result just printed, shown for failures only
			if [ "$last" = fail ]; then
				echo "boot $n:     $line"
			fi
			continue
			;;
		*)
			continue
			;;
		esac
		case $line in
		"not ok "*) last=fail ;;
		*) last=ok ;;
		esac
	done <<<"$tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$tap" | tail -n 1)
	if [ -n "$plan" ] && [ "$plan" != "$count" ]; then
		harness_fail "boot $n: the guest planned $plan results, printed $count"
		boot_failed=1
	fi
	# the guest's measurements worth a line of their own
	sed -n 's/^# \(kernel .*\)/boot '"$n"': \1/p
		s/^# \(checks took .*\)/boot '"$n"': \1/p
		s/^# \(swap-to-enforcement: .*\)/boot '"$n"': \1/p' <<<"$tap"
	if [ "$boot_failed" -ne 0 ]; then
		failed_boots+=("$n")
	fi
}

# carry_out N OUT: decode the tar that boot N printed into OUT and check its
# digest; set token to the boot's carry token.
carry_out() {
	local n=$1 out=$2 log=$work/boot.$1.log want got
	section "$log" CARRY- "$n" | base64 -d >"$out" 2>/dev/null
	want=$(sed -n 's/^KAPPARMOR-E2E-CARRY-SHA256 //p' "$log")
	got=$(sha256sum "$out" | cut -d' ' -f1)
	if [ -z "$want" ] || [ "$want" != "$got" ] || ! tar -tzf "$out" >/dev/null 2>&1; then
		harness_fail "boot $n: the carried directory did not come through intact"
		rm -f "$out"
		return 1
	fi
	token=$(sed -n 's/^# e2e-carry-token: //p' "$log" | tail -n 1)
}

# Boot 1.
rm -f "$work/base.cpio.gz"
if build_initrd 1; then
	boot 1 "$work/initrd.1.gz"
	results 1
else
	harness_fail "build the initramfs for boot 1"
fi

# Boot 2, carrying what boot 1 printed.
carry_args=()
token=
if carry_out 1 "$work/carry.1.tgz"; then
	carry_args=(--carry "$work/carry.1.tgz")
fi
printf 'E2E_PREV_BOOT_ID=%s\n' "$token" >"$work/env.2"
if build_initrd 2 --env "$work/env.2" "${carry_args[@]}"; then
	boot 2 "$work/initrd.2.gz"
	results 2
else
	harness_fail "build the initramfs for boot 2"
fi

for n in "${failed_boots[@]}"; do
	log=$work/boot.$n.log
	echo
	if grep -qx "KAPPARMOR-E2E-END boot=$n" "$log"; then
		echo "e2e: $log: the end of the results, then of the guest's dmesg:"
		section "$log" "" "$n" | tail -n 25 | sed 's/^/  | /'
		section "$log" DMESG- "$n" | tail -n 20 | sed 's/^/  | /'
	else
		echo "e2e: $log: its last lines:"
		tail -n 40 "$log" | sed 's/^/  | /'
	fi
done

finish
