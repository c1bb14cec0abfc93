#!/usr/bin/env bash
# Static checks; any finding fails.  cppcheck and clang-tidy on the C code
# (with the real compile flags from the build directory), shellcheck on every
# shell script.
set -uo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
status=0

mapfile -t c_files < <(git ls-files '*.c' | grep -v '^tests/' | grep -v '^fuzz/')
mapfile -t sh_files < <(git ls-files '*.sh' .ci/run)

echo "lint: cppcheck (${#c_files[@]} files)"
if ! cppcheck --quiet --error-exitcode=1 --inline-suppr \
	--enable=warning,portability,performance \
	--std=c11 -D__linux__ -D_GNU_SOURCE -I . -I "$build/proto" \
	--suppress=missingIncludeSystem \
	"${c_files[@]}"; then
	status=1
fi

echo "lint: clang-tidy"
ninja -C "$build" >/dev/null 2>&1 || true
for f in "${c_files[@]}"; do
	if ! clang-tidy --quiet -p "$build" "$f" 2>/dev/null; then
		echo "lint: clang-tidy: findings in $f"
		status=1
	fi
done

echo "lint: shellcheck (${#sh_files[@]} files)"
if [ "${#sh_files[@]}" -gt 0 ] && ! shellcheck "${sh_files[@]}"; then
	status=1
fi

if [ "$status" -eq 0 ]; then
	echo "lint: clean"
fi
exit "$status"
