#!/usr/bin/env bash
# Leak check of the code that runs without a seccomp filter, independent of
# Criterion (which reports a leaking test as passing): run kapparmor-check
# under valgrind over every corpus and example, and fail on any definite or
# possible leak or memory error.  Prints "N passed, N failed".
set -uo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
check="$build/check/kapparmor-check"
passed=0
failed=0

run() {
	local label=$1
	shift
	local log
	log=$(mktemp)
	# --error-exitcode distinguishes valgrind's findings (99) from the
	# checker's own verdict exit codes (0 accepted, 1 rejected).
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,possible \
		--errors-for-leak-kinds=definite,possible --error-exitcode=99 \
		--log-file="$log" "$check" "$@" >/dev/null 2>&1
	local rc=$?
	if [ "$rc" -eq 99 ] || [ "$rc" -gt 2 ]; then
		echo "FAIL $label (exit $rc)"
		head -n 40 "$log"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	rm -f "$log"
}

if [ ! -x "$check" ]; then
	echo "leak-check: $check not built"
	echo "0 passed, 1 failed"
	exit 1
fi

run "accept corpus" --no-compile "$root/tests/corpus/accept"
run "reject corpus" --no-compile "$root/tests/corpus/reject"
run "accept corpus, json" --json --no-compile "$root/tests/corpus/accept"
run "example manifest" --no-compile "$root/examples/kapparmor-profiles.yaml"
run "example manifest, json" --json --no-compile "$root/examples/kapparmor-profiles.yaml"
run "example manifest, compiled" "$root/examples/kapparmor-profiles.yaml"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
