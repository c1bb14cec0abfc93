#!/usr/bin/env bash
# Demo: run kapparmor-check on the bundled example ConfigMap.  The example
# holds good profiles and one deliberately hostile key, so the output shows
# both verdicts; exit status 1 (some key rejected) is the expected outcome.
set -uo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
echo "== kapparmor-check $root/examples/kapparmor-profiles.yaml"
"$build/check/kapparmor-check" "$root/examples/kapparmor-profiles.yaml"
rc=$?
case $rc in
0) echo "== every key accepted" ;;
1) echo "== some keys rejected (expected: the example holds a hostile key)" ;;
*) echo "== kapparmor-check failed (exit $rc)"; exit "$rc" ;;
esac
