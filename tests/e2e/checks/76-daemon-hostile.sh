# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 10, hostile profile: with custom.d-victim loaded (by 70) and
# in use, two new keys try to define a profile of the same name, each
# allowing the write custom.d-victim denies:
#  - custom.d-intruder defines itself and then a second profile,
#    custom.d-victim, in complain mode (extra-profile);
#  - custom.d-impostor defines only custom.d-victim (name-mismatch).
# Both are rejected, and custom.d-victim is unchanged: the same policy in the
# kernel (its apparmorfs directory, mode and sha1), the same behaviour for
# the process running under it.  The holder "victim" stays for 78.

daemon_required || exit 0
updates=$E2E_CONFIGMAPS/daemon-updates
mkdir -p /tmp/e2e-d/victim /tmp/e2e-d/victim-denied /tmp/e2e-d/intruder

before=$(profile_fingerprint custom.d-victim)
if ! holder_start victim custom.d-victim; then
	tap_fail "start a process confined by custom.d-victim"
	daemon_diag
fi
expect_match "before: custom.d-victim denies the write" \
	'denied: *Permission denied' \
	"$(holder_cmd victim write /tmp/e2e-d/victim-denied/f)"

cm_stage_put custom.d-intruder "$updates/custom.d-intruder"
cm_stage_put custom.d-impostor "$updates/custom.d-impostor"
daemon_publish
log_wait 20000 1 'watcher[profile_rejected]' custom.d-intruder
expect_match "custom.d-intruder is rejected (extra-profile at its second profile)" \
	'*Profile custom.d-intruder rejected: extra-profile: line 11: *' \
	"$(log_lines 'watcher[profile_rejected]' custom.d-intruder)"
log_wait 20000 1 'watcher[profile_rejected]' custom.d-impostor
expect_match "custom.d-impostor is rejected (name-mismatch)" \
	'*Profile custom.d-impostor rejected: name-mismatch: line 6: *' \
	"$(log_lines 'watcher[profile_rejected]' custom.d-impostor)"
check "the pass ends (sync marker loaded)" daemon_wait_synced

expect_eq "custom.d-victim is unchanged in the kernel (directory, mode, sha1)" \
	"$before" "$(profile_fingerprint custom.d-victim)"
diag "custom.d-victim: $before"
expect_eq "the kernel lists custom.d-victim once, in enforce mode" \
	"custom.d-victim (enforce)" "$(grep '^custom\.d-victim ' "$AA_FS/profiles")"
expect_eq "the running process keeps its label" "custom.d-victim (enforce)" \
	"$(task_label "$(holder_pid victim)")"
expect_match "the write custom.d-victim denies is still denied" \
	'denied: *Permission denied' \
	"$(holder_cmd victim write /tmp/e2e-d/victim-denied/f)"
check "custom.d-intruder is not in the kernel" profile_absent custom.d-intruder
check "custom.d-impostor is not in the kernel" profile_absent custom.d-impostor
expect_eq "the loader never handled either key" 0 \
	"$(grep -c ' loader\[[a-z_]*\]: custom.d-i[nm][tp][a-z]*: ' "$E2E_DAEMON_LOG")"
check "neither has a file in the profiles directory" \
	test ! -e "$E2E_PROFILES_DIR/custom.d-intruder" -a \
	! -e "$E2E_PROFILES_DIR/custom.d-impostor"

cm_stage_del custom.d-intruder
cm_stage_del custom.d-impostor
daemon_publish
check "the hostile keys are deleted again (sync marker loaded)" daemon_wait_synced
