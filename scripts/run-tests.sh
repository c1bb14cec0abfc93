#!/usr/bin/env bash
# Run every suite in the normal build and under ASan+UBSan, then the leak
# check, and print one summary whose last line is "N passed, N failed".
# Exits non-zero when anything failed.
set -uo pipefail

build=${1:-build}
build_san=${2:-build-san}
here=$(cd "$(dirname "$0")" && pwd)

status=0
ninja -C "$build" >/dev/null || status=1
ninja -C "$build_san" >/dev/null || status=1
if [ "$status" -ne 0 ]; then
	echo "run-tests: build failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# meson test exits non-zero on any failure; the summary below is what counts.
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 || true
# In the sanitizer build: abort on the first UBSan report, and let ASan's
# LeakSanitizer run at exit of every unfiltered process.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C "$build_san" --no-rebuild --print-errorlogs --num-processes 2 || true

extra=()
# A suite outside meson: run it, show its output, and count its own
# "N passed, N failed" line (no such line counts as one failure).
run_suite() {
	local label=$1
	shift
	local out line
	out=$("$@" 2>&1)
	while IFS= read -r line; do echo "  $label: $line"; done <<<"$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	if [ -n "$line" ]; then
		extra+=("--extra=$label=$(sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*$/\1,\2/' <<<"$line")")
	else
		extra+=("--extra=$label=0,1")
	fi
}

run_suite leak-check bash "$here/leak-check.sh" "$build"
# The real-kernel end-to-end test boots a Debian kernel with AppArmor in
# QEMU (scripts/setup-deps.sh installs it); see docs/testing-e2e.md.
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	run_suite e2e bash "$here/../tests/e2e/run-e2e.sh" --build-dir "$build"
else
	echo "  e2e: qemu-system-x86_64 is not installed: counted as a failure"
	extra+=("--extra=e2e=0,1")
fi

echo
echo "Summary"
python3 "$here/summarize-tests.py" \
	"normal=$build/meson-logs/testlog.json" \
	"asan+ubsan=$build_san/meson-logs/testlog.json" \
	"${extra[@]}"
