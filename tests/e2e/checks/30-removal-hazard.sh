# shellcheck shell=sh
# e2e-boots: 1
# The hazard that in-use protection exists for: removing a profile that a
# running process uses makes that process unconfined at once, whether the
# profile is removed with apparmor_parser -R or by writing its name to
# .remove.  This check documents the kernel's behaviour; the daemon must
# never do this to a profile in use.

mkdir -p /tmp/e2e-allowed /tmp/e2e-denied

remove_by_name() {
	printf %s "$1" >"$AA_FS/.remove"
}

# hazard ID PROFILE HOW: HOW is "parser" or "remove-file".
hazard() {
	id=$1 profile=$2 how=$3
	rm -f /tmp/e2e-denied/file
	if ! load_profile "$E2E_PROFILES/$profile" ||
		! holder_start "$id" "$profile"; then
		tap_fail "$how: start a process confined by $profile"
		return
	fi
	pid=$(holder_pid "$id")
	expect_eq "$how: before removal the task is confined" \
		"$profile (enforce)" "$(task_label "$pid")"
	expect_match "$how: before removal the write is denied" \
		'denied: *Permission denied' \
		"$(holder_cmd "$id" write /tmp/e2e-denied/file)"

	if [ "$how" = parser ]; then
		check "$how: apparmor_parser -R removes $profile" \
			apparmor_parser -R "$E2E_PROFILES/$profile"
	else
		check "$how: writing the name to .remove removes $profile" \
			remove_by_name "$profile"
	fi
	check "$how: $profile is no longer listed" profile_absent "$profile"
	wait_until "$E2E_WAIT_MS" task_label_is "$pid" unconfined
	label=$(task_label "$pid")
	diag "$how: label of the task after removal: '$label'"
	expect_eq "$how: the task is now unconfined" unconfined "$label"
	expect_eq "$how: the task sees itself unconfined" unconfined \
		"$(holder_cmd "$id" current)"
	expect_eq "$how: the once-denied write now succeeds" allowed \
		"$(holder_cmd "$id" write /tmp/e2e-denied/file)"
	holder_stop "$id"
}

hazard hold custom.e2e-hold parser
hazard hold2 custom.e2e-hold2 remove-file
