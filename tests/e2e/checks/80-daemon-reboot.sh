# shellcheck shell=sh
# e2e-boots: 2
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 7, reboot: in a fresh kernel (15-reboot-fresh-kernel saw no
# custom.* profile), with the profiles directory and state file the first
# boot left, and the same ConfigMap, the loader reloads every profile of
# the state file at start-up, before it serves the watcher's first pass and
# so before /readyz says ready: they are in the kernel when it does, its
# boot_reload line counts them after their profile_reloaded lines, and the
# first pass finds each one already loaded (debug "profile_unchanged"; no
# load).  Version 2 of custom.d-rep, the last good one, is what is
# enforced.  A restart in the same boot reloads nothing; the restarted
# daemon stays for 82-daemon-inuse.

keys="custom.d-rep custom.d-victim $E2E_SYNC_KEY"
state=$E2E_PROFILES_DIR/.kapparmor-state
mkdir -p /tmp/e2e-d/rep /tmp/e2e-d/rep2

# The boot_reload line is logged and every test profile is in the kernel.
reloaded_and_loaded() {
	log_has_at_least "$1" 'loader[boot_reload]' || return 1
	for k in $keys; do
		profile_loaded "$k" || { echo "$k not loaded"; return 1; }
	done
}

# first_pass_done: the first pass offered every key and the loader found
# each unchanged.
first_pass_done() {
	for k in $keys; do
		log_has_at_least 1 'loader[profile_unchanged]' "$k" || return 1
	done
}

check "the profiles directory came from the first boot" test -s "$state"
expect_eq "its state file lists the profiles loaded at the end of boot 1" \
	"$keys " "$(awk '$1 == "loaded" { print $2 }' "$state" | sort | tr '\n' ' ')"
expect_eq "they carry boot 1's boot id" "${E2E_PREV_BOOT_ID:-unset}" \
	"$(awk '$1 == "loaded" { print $4 }' "$state" | sort -u)"
for k in $keys; do
	check "$k is not in this kernel yet" profile_absent "$k"
done

cm_publish "$E2E_CM_DIR" /var/lib/e2e-cm/daemon
t0=$(now_ms)
daemon_start --log-level debug
if daemon_wait_ready 25000; then
	tap_ok "the daemon reports ready (/readyz)"
	diag "start to ready: $(($(now_ms) - t0)) ms"
else
	tap_fail "the daemon reports ready (/readyz)"
	daemon_diag
fi
# Checked as soon as it is ready.
check "when ready, every profile of the state file is in the kernel" \
	reloaded_and_loaded 1
expect_match "boot_reload: 3 reloaded, 0 already loaded" \
	'*start-up: 3 profile(s) reloaded, 0 already loaded in this boot' \
	"$(log_lines 'loader[boot_reload]')"
for k in $keys; do
	expect_eq "$k is in enforce mode" enforce "$(profile_mode "$k")"
done
expect_eq "each was reloaded from the profiles directory" "1 1 1" \
	"$(for k in $keys; do
		printf '%s ' "$(log_count 'loader[profile_reloaded]' "$k")"
	done | sed 's/ $//')"
expect_eq "all 3 reloads are logged before the boot_reload line" 3 \
	"$(sed -n '/ loader\[boot_reload\]: /q; / loader\[profile_reloaded\]: /p' \
		"$E2E_DAEMON_LOG" | wc -l | tr -d ' ')"
if wait_until 20000 first_pass_done; then
	tap_ok "the watcher's first pass finds every profile already loaded"
else
	tap_fail "the watcher's first pass finds every profile already loaded"
	daemon_diag
fi
expect_eq "so the first pass loads nothing" 0 \
	"$(($(log_count 'loader[profile_loaded]') + $(log_count 'loader[profile_replaced]')))"

if holder_start rep2 custom.d-rep; then
	expect_match "version 2 is enforced: its denied write is denied" \
		'denied: *Permission denied' "$(holder_cmd rep2 write /tmp/e2e-d/rep/f)"
	expect_eq "version 2 is enforced: its allowed write succeeds" allowed \
		"$(holder_cmd rep2 write /tmp/e2e-d/rep2/f)"
	holder_stop rep2
else
	tap_fail "start a process confined by the reloaded custom.d-rep"
	daemon_diag
fi

# A restart in the same boot: the state file says this boot loaded them.
if daemon_stop; then
	expect_eq "the loader exits 0 on SIGTERM" 0 "$(daemon_rc)"
else
	tap_fail "the loader exits on SIGTERM"
	daemon_diag
fi
reloads=$(log_count 'loader[profile_reloaded]')
daemon_start --log-level debug
if log_wait 20000 2 'loader[boot_reload]'; then
	expect_match "a restart in the same boot reloads 0, finds 3 loaded" \
		'*start-up: 0 profile(s) reloaded, 3 already loaded in this boot' \
		"$(log_lines 'loader[boot_reload]' | tail -n 1)"
else
	tap_fail "the restarted daemon logs boot_reload"
	daemon_diag
fi
expect_eq "no profile was reloaded again" "$reloads" \
	"$(log_count 'loader[profile_reloaded]')"
check "the restarted daemon reports ready" daemon_wait_ready 20000
