# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 9, complain mode: under the default (baseline) policy a
# profile with flags=(complain) is refused, because complain mode lets
# through every write its rules do not deny:
#  - custom.d-complain, in the ConfigMap since 70, was never loaded;
#  - version 2 of custom.d-rep switched to complain mode is refused and the
#    enforce-mode version 2 stays, still denying the running process.

daemon_required || exit 0
updates=$E2E_CONFIGMAPS/daemon-updates

expect_match "the watcher rejected custom.d-complain at start (complain-mode)" \
	'*Profile custom.d-complain rejected: complain-mode: line 6: *' \
	"$(log_lines 'watcher[profile_rejected]' custom.d-complain)"
check "custom.d-complain is not in the kernel" profile_absent custom.d-complain
check "custom.d-complain has no file in the profiles directory" \
	test ! -e "$E2E_PROFILES_DIR/custom.d-complain"
expect_eq "the loader never handled custom.d-complain" 0 \
	"$(grep -c ' loader\[[a-z_]*\]: custom.d-complain: ' "$E2E_DAEMON_LOG")"

v2=$(profile_fingerprint custom.d-rep)
rejected=$(log_count 'watcher[profile_rejected]' custom.d-rep)
cm_stage_put custom.d-rep "$updates/custom.d-rep.complain"
daemon_publish
if log_wait 20000 "$((rejected + 1))" 'watcher[profile_rejected]' custom.d-rep; then
	expect_match "the complain-mode update is rejected (complain-mode)" \
		'*Profile custom.d-rep rejected: complain-mode: line 6: *' \
		"$(log_lines 'watcher[profile_rejected]' custom.d-rep | tail -n 1)"
else
	tap_fail "the complain-mode update is rejected"
	daemon_diag
fi
check "the pass ends (sync marker loaded)" daemon_wait_synced
expect_eq "custom.d-rep stays in enforce mode, unchanged" "$v2" \
	"$(profile_fingerprint custom.d-rep)"
expect_match "the running process is still denied" \
	'denied: *Permission denied' "$(holder_cmd rep write /tmp/e2e-d/rep/f)"
expect_eq "no test profile is in complain mode" 0 \
	"$(grep -c '^custom\.d-.* (complain)$' "$AA_FS/profiles")"

cm_stage_put custom.d-rep "$updates/custom.d-rep.v2"
daemon_publish
check "version 2 is published again (sync marker loaded)" daemon_wait_synced

# The watcher judges a key again only when its content changed, "so a quiet
# resync logs nothing" (watcher/pass.c).  custom.d-complain's content has
# not changed since 70, through every pass of 70-75.
n=$(log_count 'watcher[profile_rejected]' custom.d-complain)
if [ "$n" -eq 1 ]; then
	tap_ok "an unchanged rejected key is logged once, not at every pass"
else
	tap_fail "an unchanged rejected key is logged once, not at every pass" \
		"custom.d-complain, never changed, was logged $n times:"
	log_lines 'watcher[profile_rejected]' custom.d-complain |
		sed 's/^\([^ ]*\) .*(sha256 \([0-9a-f]\{16\}\).*/\1 sha256 \2.../' |
		diag_stream
fi
