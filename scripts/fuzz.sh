#!/usr/bin/env bash
# Run every libFuzzer target of a fuzzing build for a while.
#
#   scripts/fuzz.sh BUILD_FUZZ_DIR SECONDS
#
# Each target runs for SECONDS on a scratch copy of its committed corpus (so
# a run never rewrites fuzz/corpus/), with a maximum input length suited to
# it, an RSS limit and a per-input timeout.  Crashes, leaks, timeouts and
# OOMs are written to fuzz/crashes/TARGET/.  Prints exec/s and the result of
# each target and a final "N passed, N failed"; exits non-zero when a target
# failed or left a new crash file.
set -uo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_FUZZ_DIR SECONDS" >&2
	exit 2
fi
seconds=$2
if ! build=$(cd "$1" 2>/dev/null && pwd); then
	echo "fuzz: $1: no such build directory" >&2
	exit 2
fi
case $seconds in
'' | *[!0-9]*) echo "fuzz: SECONDS must be a number" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
rss_limit_mb=2048
timeout_s=10

# Inputs a little over each target's own limits, so the over-limit paths
# are reachable without wasting time on huge inputs.
max_len_for() {
	case $1 in
	fuzz_validator) echo 70000 ;;     # KP_PROFILE_MAX_BYTES + a little
	fuzz_manifest) echo 131072 ;;     # two profiles' worth of YAML
	fuzz_configmap_dir) echo 16384 ;; # a tree description, not contents
	fuzz_frame) echo 70000 ;;         # one frame: a profile + overhead
	*) echo 65536 ;;
	esac
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kp-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
found=0
for target in "$build"/fuzz/fuzz_*; do
	if [ ! -f "$target" ] || [ ! -x "$target" ]; then
		continue
	fi
	name=$(basename "$target")
	case $name in *_replay) continue ;; esac
	found=$((found + 1))

	corpus="$scratch/$name"
	mkdir -p "$corpus"
	if [ -d "$root/fuzz/corpus/$name" ]; then
		cp -r "$root/fuzz/corpus/$name/." "$corpus/"
	fi
	artifacts="$root/fuzz/crashes/$name"
	mkdir -p "$artifacts"
	before=$(find "$artifacts" -type f | wc -l)
	log="$scratch/$name.log"

	# The working directory is the scratch dir: anything a target leaves
	# behind (fuzz-N.log with -jobs) never lands in the tree.
	(cd "$scratch" && "$target" \
		-max_total_time="$seconds" \
		-max_len="$(max_len_for "$name")" \
		-rss_limit_mb="$rss_limit_mb" \
		-timeout="$timeout_s" \
		-print_final_stats=1 \
		-artifact_prefix="$artifacts/" \
		"$corpus") >"$log" 2>&1
	rc=$?

	after=$(find "$artifacts" -type f | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	units=$(find "$corpus" -type f | wc -l)
	# Edges covered at the end: a number near the target's own size means
	# the libraries were built without -fsanitize=fuzzer-no-link.
	cov=$(sed -n 's/.*DONE *cov: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
		result=ok
		passed=$((passed + 1))
	else
		result="FAILED (exit $rc, $((after - before)) new file(s) in $artifacts)"
		failed=$((failed + 1))
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
	fi
	printf '%-22s %6ss  %10s execs  %7s exec/s  cov %6s  corpus %5s  %s\n' \
		"$name" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$units" \
		"$result"
done

if [ "$found" -eq 0 ]; then
	echo "fuzz: no fuzz targets in $build/fuzz (configure with -Dfuzzing=true)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
