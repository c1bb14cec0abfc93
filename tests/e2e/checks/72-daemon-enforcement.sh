# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 2, enforcement: a process confined by a profile the daemon
# loaded (custom.d-rep, version 1) gets EACCES on a write the profile does
# not allow, and the kernel audits the denial under that profile; the write
# it allows succeeds.  The holder "rep" stays for 73-75 and 78.

daemon_required || exit 0
mkdir -p /tmp/e2e-d/rep /tmp/e2e-d/rep2 /tmp/e2e-d/denied

if holder_start rep custom.d-rep; then
	pid=$(holder_pid rep)
	expect_eq "the confined task's label" "custom.d-rep (enforce)" \
		"$(task_label "$pid")"
	expect_match "a write the profile does not allow fails with EACCES" \
		'denied: *Permission denied' \
		"$(holder_cmd rep write /tmp/e2e-d/denied/f)"
	check "the denied file was not created" test ! -e /tmp/e2e-d/denied/f
	check "the kernel audited the denial under custom.d-rep" \
		sh -c 'dmesg | grep "apparmor=\"DENIED\"" |
			grep "profile=\"custom.d-rep\"" |
			grep -q "name=\"/tmp/e2e-d/denied/f\""'
	expect_eq "the write it allows succeeds" allowed \
		"$(holder_cmd rep write /tmp/e2e-d/rep/f)"
	check "the allowed file exists" test -e /tmp/e2e-d/rep/f
else
	tap_fail "start a process confined by custom.d-rep"
	daemon_diag
fi
