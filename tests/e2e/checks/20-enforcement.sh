# shellcheck shell=sh
# e2e-boots: 1
# A process confined by a loaded custom.* profile (via "exec PROFILE" in
# /proc/self/attr/exec) is refused a write its profile does not allow, with
# EACCES, and may do the one it allows.

probe=custom.e2e-probe
mkdir -p /tmp/e2e-allowed /tmp/e2e-denied
profile_loaded "$probe" || load_profile "$E2E_PROFILES/$probe"

if holder_start probe "$probe"; then
	pid=$(holder_pid probe)
	expect_eq "confined task's attr/current" "$probe (enforce)" \
		"$(task_label "$pid")"
	expect_eq "the task sees the same label itself" "$probe (enforce)" \
		"$(holder_cmd probe current)"
	expect_eq "attr/apparmor/current shows the same label" \
		"$probe (enforce)" "$(cat "/proc/$pid/attr/apparmor/current" 2>&1)"
	expect_eq "so does the thread's task/TID/attr/apparmor/current" \
		"$probe (enforce)" \
		"$(cat "/proc/$pid/task/$pid/attr/apparmor/current" 2>&1)"
	reply=$(holder_cmd probe write /tmp/e2e-denied/file)
	expect_match "denied write fails with EACCES" \
		'denied: *Permission denied' "$reply"
	check "the denied file was not created" test ! -e /tmp/e2e-denied/file
	expect_eq "allowed write succeeds" allowed \
		"$(holder_cmd probe write /tmp/e2e-allowed/file)"
	check "the allowed file exists" test -e /tmp/e2e-allowed/file
	check "the holder exits on request" holder_stop probe
else
	tap_fail "start a process confined by $probe"
fi

# The same write from an unconfined shell succeeds: the denial above is the
# profile's doing, not the filesystem's.
check "unconfined write to the denied path succeeds" \
	sh -c ': >/tmp/e2e-denied/file'
