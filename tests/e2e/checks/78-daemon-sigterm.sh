# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 6, shutdown: SIGTERM stops the loader (exit 0), and with it
# the watcher and the spawner; every profile stays loaded, and the
# processes confined by them (holders "rep" and "victim") stay confined.
# Then the profiles directory, with its state file, and the ConfigMap are
# carried into the second boot for issue check 7 (80-daemon-reboot).

daemon_required || exit 0

loaded_custom() {
	grep '^custom\.' "$AA_FS/profiles" | sort
}

loader=$(daemon_pid)
watcher=$(watcher_pid)
spawner=$(spawner_pid)
before=$(loaded_custom)
fp_before=$(profile_fingerprint custom.d-rep; profile_fingerprint custom.d-victim)

if daemon_stop; then
	tap_ok "the loader exits on SIGTERM"
else
	tap_fail "the loader exits on SIGTERM"
	daemon_diag
fi
expect_eq "its exit status is 0" 0 "$(daemon_rc)"
expect_match "it says every profile stays loaded" \
	'*stopping on signal 15; every profile stays loaded' \
	"$(log_lines 'loader[shutdown]')"
check "the watcher is gone" wait_until "$E2E_WAIT_MS" pid_gone "$watcher"
check "the spawner is gone" wait_until "$E2E_WAIT_MS" pid_gone "$spawner"
expect_eq "every profile is still loaded, in the same mode" "$before" \
	"$(loaded_custom)"
expect_eq "their policy is unchanged" "$fp_before" \
	"$(profile_fingerprint custom.d-rep; profile_fingerprint custom.d-victim)"
for h in rep victim; do
	expect_eq "$h: the process keeps its label" "custom.d-$h (enforce)" \
		"$(task_label "$(holder_pid "$h")")"
done
expect_match "rep: the denied write is still denied" \
	'denied: *Permission denied' "$(holder_cmd rep write /tmp/e2e-d/rep/f)"
expect_match "victim: the denied write is still denied" \
	'denied: *Permission denied' \
	"$(holder_cmd victim write /tmp/e2e-d/victim-denied/f)"
holder_stop rep
holder_stop victim
check "no seccomp kill in this boot" sh -c '! dmesg | grep -q type=1326'
diag "loader $loader, watcher $watcher, spawner $spawner stopped"
diag "$(sed -n 's/.* loader\[profile_\(loaded\|replaced\)\]: .*, \([0-9]*\) ms)$/\2/p' \
	"$E2E_DAEMON_LOG" | awk '{ n++; t += $1 } END {
		printf "parser runs that loaded: %d, mean %.0f ms", n, n ? t / n : 0 }')"

# For the second boot: the profiles directory and state file where the
# loader keeps them, and the last ConfigMap version (not under /run: the
# guest mounts a tmpfs there).
mkdir -p /var/lib/e2e-cm
rm -rf /var/lib/e2e-cm/daemon
cp -r "$E2E_CM_STAGE" /var/lib/e2e-cm/daemon
carry_add "$E2E_PROFILES_DIR"
carry_add /var/lib/e2e-cm
expect_eq "the state file lists the profiles still loaded" \
	"custom.d-rep custom.d-victim $E2E_SYNC_KEY " \
	"$(awk '$1 == "loaded" { print $2 }' \
		"$E2E_PROFILES_DIR/.kapparmor-state" | sort | tr '\n' ' ')"
