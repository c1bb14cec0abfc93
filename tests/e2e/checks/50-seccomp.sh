# shellcheck shell=sh
# e2e-boots: 1
# Seccomp filters work in the guest: the status file reports the mode, and
# a libseccomp filter loads and is enforced (the watcher depends on both).

check "/proc/self/status has a Seccomp line" \
	grep -q '^Seccomp:' /proc/self/status
check "/proc/self/status has a NoNewPrivs line" \
	grep -q '^NoNewPrivs:' /proc/self/status
expect_eq "init runs without a filter" 0 \
	"$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/1/status)"
check "a libseccomp filter loads and is enforced" "$E2E_DATA/bin/seccomp-probe"
diag "$("$E2E_DATA/bin/seccomp-probe" 2>&1)"
