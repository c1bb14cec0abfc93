# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 4, bad update: two broken versions 3 of custom.d-rep, each of
# which would allow /tmp/e2e-d/rep again, are refused and version 2 stays
# enforced, unchanged in the kernel and on disk:
#  - a syntax error: the watcher's validator rejects it, nothing is sent;
#  - a text the validator accepts but apparmor_parser refuses ("{one}"):
#    the loader's parser run fails and the previous version stays.
# Then version 2 is published again: the daemon finds it already loaded.

daemon_required || exit 0
updates=$E2E_CONFIGMAPS/daemon-updates

# version2_intact WHAT: the kernel, the running process and the profiles
# directory all still have version 2.
version2_intact() {
	expect_eq "$1: the kernel's custom.d-rep is unchanged" "$v2" \
		"$(profile_fingerprint custom.d-rep)"
	expect_match "$1: the write version 2 denies is still denied" \
		'denied: *Permission denied' \
		"$(holder_cmd rep write /tmp/e2e-d/rep/f)"
	expect_eq "$1: the write version 2 allows still succeeds" allowed \
		"$(holder_cmd rep write /tmp/e2e-d/rep2/f)"
	check "$1: the profiles directory still has version 2" \
		cmp "$updates/custom.d-rep.v2" "$E2E_PROFILES_DIR/custom.d-rep"
	expect_eq "$1: no replacement was logged" "$replaced" \
		"$(log_count 'loader[profile_replaced]' custom.d-rep)"
}

v2=$(profile_fingerprint custom.d-rep)
replaced=$(log_count 'loader[profile_replaced]' custom.d-rep)

# 1. Refused by the validator.
cm_stage_put custom.d-rep "$updates/custom.d-rep.syntax"
daemon_publish
if log_wait 20000 1 'watcher[profile_rejected]' custom.d-rep; then
	expect_match "syntax: the watcher rejects it with the validator's reason" \
		'*Profile custom.d-rep rejected: syntax: line 16: *' \
		"$(log_lines 'watcher[profile_rejected]' custom.d-rep)"
else
	tap_fail "syntax: the watcher rejects it"
	daemon_diag
fi
check "syntax: the pass ends (sync marker loaded)" daemon_wait_synced
expect_eq "syntax: the parser never ran on it" 0 \
	"$(log_count 'loader[profile_load_failed]' custom.d-rep)"
version2_intact syntax

# 2. Refused by apparmor_parser in the loader.
cm_stage_put custom.d-rep "$updates/custom.d-rep.unparsable"
daemon_publish
bad=$(sha256sum "$updates/custom.d-rep.unparsable")
bad=${bad%% *}
if log_wait 20000 1 'loader[profile_load_failed]' custom.d-rep; then
	expect_match "parser: the load fails and the loader keeps version 2" \
		"*Profile custom.d-rep failed to load (sha256 $bad): compile-failed: *; the previous version stays loaded" \
		"$(log_lines 'loader[profile_load_failed]' custom.d-rep)"
	diag "$(log_lines 'loader[profile_load_failed]' custom.d-rep |
		sed 's/.*compile-failed: //')"
else
	tap_fail "parser: the loader reports the failed load"
	daemon_diag
fi
check "parser: the pass ends (sync marker loaded)" daemon_wait_synced
version2_intact parser
check "parser: the failed temporary file was removed" \
	sh -c "! ls -A '$E2E_PROFILES_DIR' | grep -q '\.tmp\.'"
check "parser: the state file remembers the failed content" \
	grep -q "^failed custom.d-rep $bad " "$E2E_PROFILES_DIR/.kapparmor-state"

# 3. Version 2 again: nothing to do, the parser does not run.
unchanged=$(log_count 'loader[profile_unchanged]' custom.d-rep)
cm_stage_put custom.d-rep "$updates/custom.d-rep.v2"
daemon_publish
check "v2 again: the pass ends (sync marker loaded)" daemon_wait_synced
expect_eq "v2 again: the loader finds it already loaded" \
	"$((unchanged + 1))" \
	"$(log_count 'loader[profile_unchanged]' custom.d-rep)"
version2_intact "v2 again"
