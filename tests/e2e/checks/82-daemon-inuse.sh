# shellcheck shell=sh
# e2e-boots: 2
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 5, in-use removal, with the daemon 80 restarted.  Three keys
# are added; then the keys of two profiles in use are deleted in one swap:
#  - custom.d-inuse, the label of a running process;
#  - custom.d-upper, one component of a stacked label: a process runs
#    under custom.d-lower//&custom.d-upper (from "exec A//&B").
# Both removals are deferred: the profiles stay in the kernel, the processes
# keep their labels and their denied writes stay denied, for longer than the
# loader's 2 s confirmation interval.  Once the processes exit, the loader's
# own rescans (POLL_TIME is 3600 s) remove both; custom.d-lower, still in
# the ConfigMap, stays.  Last, SIGTERM stops the daemon (exit 0).

daemon_required || exit 0
updates=$E2E_CONFIGMAPS/daemon-updates
mkdir -p /tmp/e2e-d/inuse /tmp/e2e-d/denied /tmp/e2e-d/stack \
	/tmp/e2e-d/lower-only
rm -f /tmp/e2e-d/denied/f /tmp/e2e-d/lower-only/f
stacked="custom.d-lower//&custom.d-upper"

# both_held: nothing changed for either process or profile.
both_held() {
	profile_loaded custom.d-inuse && profile_loaded custom.d-upper &&
		task_label_is "$inuse" "custom.d-inuse (enforce)" &&
		task_label_is "$stack" "$stacked (enforce)"
}

# removed KEY: gone from the kernel and the loader said so.
removed() {
	profile_absent "$1" &&
		log_has_at_least 1 'loader[profile_removed]' "$1"
}

cm_stage_init /var/lib/e2e-cm/daemon
for k in custom.d-inuse custom.d-lower custom.d-upper; do
	cm_stage_put "$k" "$updates/$k"
done
daemon_publish
if daemon_wait_synced; then
	for k in custom.d-inuse custom.d-lower custom.d-upper; do
		expect_eq "$k is added in enforce mode" enforce "$(profile_mode "$k")"
	done
else
	tap_fail "the daemon loads the added keys"
	daemon_diag
fi

if ! holder_start inuse custom.d-inuse || ! holder_start stack "$stacked"; then
	tap_fail "start the processes that use the profiles"
	daemon_diag
fi
inuse=$(holder_pid inuse)
stack=$(holder_pid stack)
expect_eq "the stacked label" "$stacked (enforce)" "$(task_label "$stack")"
expect_match "the stack denies what only custom.d-lower allows" \
	'denied: *Permission denied' \
	"$(holder_cmd stack write /tmp/e2e-d/lower-only/f)"

cm_stage_del custom.d-inuse
cm_stage_del custom.d-upper
daemon_publish
t0=$(now_ms)
if log_wait 20000 1 'loader[profile_removal_deferred]' custom.d-inuse &&
	log_wait 20000 1 'loader[profile_removal_deferred]' custom.d-upper; then
	tap_ok "both removals are deferred"
else
	tap_fail "both removals are deferred"
	daemon_diag
fi
expect_match "custom.d-inuse: deferred, in use by the holder" \
	"*Profile custom.d-inuse removal deferred: in use by pid $inuse *" \
	"$(log_lines 'loader[profile_removal_deferred]' custom.d-inuse)"
expect_match "custom.d-upper: deferred, in use by the stacked holder" \
	"*Profile custom.d-upper removal deferred: in use by pid $stack *" \
	"$(log_lines 'loader[profile_removal_deferred]' custom.d-upper)"
check "the pass ends (sync marker loaded)" daemon_wait_synced
check "for 3 s (> the 2 s confirmation) both stay loaded and both labels stay" \
	holds_for 3000 both_held
expect_match "custom.d-inuse: the denied write is still denied" \
	'denied: *Permission denied' \
	"$(holder_cmd inuse write /tmp/e2e-d/denied/f)"
expect_match "the stack still denies what custom.d-upper denies" \
	'denied: *Permission denied' \
	"$(holder_cmd stack write /tmp/e2e-d/lower-only/f)"
expect_eq "nothing was removed" 0 "$(log_count 'loader[profile_removed]')"

# Both processes exit: both profiles go at a later rescan.
holder_stop inuse
holder_stop stack
t1=$(now_ms)
for k in custom.d-inuse custom.d-upper; do
	if wait_until 15000 removed "$k"; then
		tap_ok "$k is removed after its process exits"
	else
		tap_fail "$k is removed after its process exits"
		daemon_diag
	fi
done
diag "exit to removal: $(($(now_ms) - t1)) ms; deletion to removal: $(($(now_ms) - t0)) ms"
expect_eq "custom.d-lower, still in the ConfigMap, stays" enforce \
	"$(profile_mode custom.d-lower)"
check "their files are deleted from the profiles directory" \
	test ! -e "$E2E_PROFILES_DIR/custom.d-inuse" -a \
	! -e "$E2E_PROFILES_DIR/custom.d-upper"
expect_eq "the state file no longer lists them" 0 \
	"$(grep -c -E ' custom\.d-(inuse|upper) ' "$E2E_PROFILES_DIR/.kapparmor-state")"

if daemon_stop; then
	expect_eq "the loader exits 0 on SIGTERM" 0 "$(daemon_rc)"
else
	tap_fail "the loader exits on SIGTERM"
	daemon_diag
fi
check "no seccomp kill in this boot" sh -c '! dmesg | grep -q type=1326'
