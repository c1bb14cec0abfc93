#!/usr/bin/env bash
# Demo: run the real daemon once (kapparmor-loader starting the
# unprivileged kapparmor-watcher) on the bundled example ConfigMap, laid out
# exactly as kubelet mounts it, against the kernel's AppArmor when it has
# one and otherwise against the test suite's fake apparmorfs.  Then show
# what was loaded and what was refused, and kapparmor-check's audit of the
# same manifest.  The example holds one deliberately hostile key, so the
# daemon's exit status 1 ("a key was rejected") is the expected outcome.
set -uo pipefail

build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
manifest="$root/examples/kapparmor-profiles.yaml"
features=/usr/share/apparmor-features/features

work=$(mktemp -d /tmp/kapparmor-demo.XXXXXX)
chmod 0755 "$work"
fake_pid=""
cleanup() {
	if [ -n "$fake_pid" ]; then
		kill "$fake_pid" 2>/dev/null
		wait "$fake_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# The ConfigMap as kubelet's atomic writer lays it out (..data swap).
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$root/tests/integration" python3 - "$manifest" "$work/configmap" <<'PY' || exit 2
import sys, yaml
from lib.atomic_writer import AtomicWriter
data = {}
with open(sys.argv[1], "rb") as f:
    for doc in yaml.safe_load_all(f):
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
            data.update({k: v.encode() for k, v in (doc.get("data") or {}).items()})
AtomicWriter(sys.argv[2]).write(data)
PY

if [ -r /sys/kernel/security/apparmor/profiles ]; then
	apparmorfs=/sys/kernel/security/apparmor
	echo "== using the kernel's AppArmor ($apparmorfs)"
else
	apparmorfs="$work/apparmorfs"
	echo "== this kernel has no AppArmor: using the fake apparmorfs of the test suite"
	PYTHONDONTWRITEBYTECODE=1 python3 "$root/tests/integration/lib/fake_kernel.py" serve "$apparmorfs" \
		>"$work/fake-kernel.out" 2>&1 &
	fake_pid=$!
	for _ in $(seq 100); do
		grep -q ready "$work/fake-kernel.out" 2>/dev/null && break
		sleep 0.05
	done
fi
mkdir -m 0755 "$work/profiles"

echo "== kapparmor-loader --once (ConfigMap: $manifest)"
"$build/loader/kapparmor-loader" --once \
	--configmap-dir "$work/configmap" \
	--profiles-dir "$work/profiles" \
	--apparmorfs "$apparmorfs" \
	--features "$features" \
	--watcher "$build/watcher/kapparmor-watcher" \
	--listen off
rc=$?

echo
echo "== profiles in the kernel ($apparmorfs/profiles), ours only:"
grep '^custom\.' "$apparmorfs/profiles" | sed 's/^/   /'
echo "== files written to the profiles directory:"
find "$work/profiles" -maxdepth 1 -type f -printf '   %f\n' | sort
echo
echo "== kapparmor-check $manifest"
"$build/check/kapparmor-check" "$manifest"
echo
case $rc in
0) echo "== daemon: every key loaded" ;;
1) echo "== daemon: some keys rejected (expected: the example holds a hostile key)" ;;
*) echo "== daemon failed (exit $rc)"; exit "$rc" ;;
esac
