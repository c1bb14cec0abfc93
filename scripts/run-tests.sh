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
leak_out=$(bash "$here/leak-check.sh" "$build" 2>&1)
while IFS= read -r line; do echo "  leak-check: $line"; done <<<"$leak_out"
leak_line=$(echo "$leak_out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ -n "$leak_line" ]; then
	extra+=("--extra=leak-check=$(echo "$leak_line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1,\2/')")
else
	extra+=("--extra=leak-check=0,1")
fi

echo
echo "Summary"
python3 "$here/summarize-tests.py" \
	"normal=$build/meson-logs/testlog.json" \
	"asan+ubsan=$build_san/meson-logs/testlog.json" \
	"${extra[@]}"
