# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 1, start: the daemon, started on a ConfigMap laid out like
# kubelet's, loads every accepted key into the kernel in enforce mode, and
# the keys the validator refuses never reach it.  The daemon started here
# serves the daemon checks of this boot that follow (71-78), in order.

accepted="custom.d-rep custom.d-victim"

# The ConfigMap keys loaded in the kernel, one line, sorted.
loaded_test_profiles() {
	awk '$1 ~ /^custom\.(d-|zz-e2e-sync$)/ { print $1 }' "$AA_FS/profiles" |
		sort | tr '\n' ' '
}

# same_files: every accepted key's file in the profiles directory is the
# ConfigMap's content, and nothing else is there but the state file.
same_files() {
	for k in $accepted $E2E_SYNC_KEY; do
		cmp -s "$E2E_CM_STAGE/$k" "$E2E_PROFILES_DIR/$k" ||
			{ echo "$k differs or is missing"; return 1; }
	done
	for f in "$E2E_PROFILES_DIR"/* "$E2E_PROFILES_DIR"/.*; do
		k=${f##*/}
		case " $accepted $E2E_SYNC_KEY .kapparmor-state . .. " in
		*" $k "*) ;;
		*) echo "unexpected file $k"; return 1 ;;
		esac
	done
}

cm_stage_init "$E2E_CONFIGMAPS/daemon"
daemon_publish
t0=$(now_ms)
daemon_start --log-level debug
if daemon_wait_ready 25000; then
	tap_ok "the daemon starts and reports ready (/readyz)"
	diag "start to ready: $(($(now_ms) - t0)) ms, after $(cat "$E2E_RUN/not-ready-seen") answers 'not ready'"
else
	tap_fail "the daemon starts and reports ready (/readyz)"
	daemon_diag
fi

# Checked as soon as it is ready: ready means loaded.
for k in $accepted; do
	expect_eq "when ready, $k is loaded in enforce mode" enforce \
		"$(profile_mode "$k")"
done
check "the first pass included the sync marker" daemon_synced
expect_eq "the kernel holds exactly the accepted keys' profiles" \
	"$accepted $E2E_SYNC_KEY " "$(loaded_test_profiles)"
expect_eq "each was loaded once, by the first pass" "1 1" \
	"$(for k in $accepted; do
		printf '%s ' "$(log_count 'loader[profile_loaded]' "$k")"
	done | sed 's/ $//')"
expect_eq "no load failed" 0 "$(log_count 'loader[profile_load_failed]')"
expect_match "start-up reloaded nothing (first start, no state file)" \
	'*start-up: 0 profile(s) reloaded, 0 already loaded in this boot' \
	"$(log_lines 'loader[boot_reload]')"

# The rejected key: refused by the watcher with the validator's reason,
# never offered to the loader, never loaded.
expect_match "the watcher rejects custom.d-broken (unbalanced)" \
	'*Profile custom.d-broken rejected: unbalanced: line 4: *' \
	"$(log_lines 'watcher[profile_rejected]' custom.d-broken)"
check "custom.d-broken is not in the kernel" profile_absent custom.d-broken
expect_eq "the loader never handled custom.d-broken" 0 \
	"$(grep -c ' loader\[[a-z_]*\]: custom.d-broken: ' "$E2E_DAEMON_LOG")"

check "the profiles directory holds exactly the loaded keys' files" same_files
expect_eq "the state file is root's and private" "600 0:0" \
	"$(stat -c '%a %u:%g' "$E2E_PROFILES_DIR/.kapparmor-state" 2>&1)"
expect_eq "the state file records every loaded key" \
	"$accepted $E2E_SYNC_KEY " \
	"$(awk '$1 == "loaded" { print $2 }' \
		"$E2E_PROFILES_DIR/.kapparmor-state" | sort | tr '\n' ' ')"
