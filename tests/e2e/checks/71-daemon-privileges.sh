# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 8, privileges: what /proc/PID/status shows for the daemon's
# three processes, against docs/ARCHITECTURE.md.  The watcher runs as
# 61374 with no capability at all; the loader and its spawner as root with
# only CAP_MAC_ADMIN (bit 33) in the effective, permitted and bounding sets;
# all three with no_new_privs and a seccomp filter.  The profiles 70 loaded
# and the checks after this one are the daemon working under them.

daemon_required || exit 0

none=0000000000000000
mac_admin=0000000200000000

# expect_status WHO PID FIELD WANT
expect_status() {
	expect_eq "$1: $3 is $4" "$4" "$(status_field "$2" "$3")"
}

loader=$(daemon_pid)
watcher=$(watcher_pid)
spawner=$(spawner_pid)
diag "loader pid $loader, watcher pid $watcher, spawner pid $spawner"

if [ -n "$watcher" ] && [ -d "/proc/$watcher" ]; then
	expect_eq "watcher: its parent is the loader" "$loader" \
		"$(status_field "$watcher" PPid)"
	expect_status watcher "$watcher" Uid "61374 61374 61374 61374"
	expect_status watcher "$watcher" Gid "61374 61374 61374 61374"
	expect_status watcher "$watcher" Groups ""
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_status watcher "$watcher" "$set" "$none"
	done
	expect_status watcher "$watcher" NoNewPrivs 1
	expect_status watcher "$watcher" Seccomp 2
	expect_match "watcher: may not fork (Max processes 0)" \
		'Max processes *0 *0 *processes*' \
		"$(grep '^Max processes' "/proc/$watcher/limits")"
else
	tap_fail "the loader's started line names a live watcher" \
		"watcher pid: '$watcher'"
	daemon_diag
fi

expect_status loader "$loader" Uid "0 0 0 0"
expect_status loader "$loader" CapInh "$none"
expect_status loader "$loader" CapPrm "$mac_admin"
expect_status loader "$loader" CapEff "$mac_admin"
expect_status loader "$loader" CapBnd "$mac_admin"
expect_status loader "$loader" CapAmb "$none"
expect_status loader "$loader" NoNewPrivs 1
expect_status loader "$loader" Seccomp 2

if [ -n "$spawner" ]; then
	expect_status spawner "$spawner" Uid "0 0 0 0"
	expect_status spawner "$spawner" CapPrm "$mac_admin"
	expect_status spawner "$spawner" CapEff "$mac_admin"
	expect_status spawner "$spawner" CapBnd "$mac_admin"
	expect_status spawner "$spawner" CapAmb "$none"
	expect_status spawner "$spawner" NoNewPrivs 1
	expect_status spawner "$spawner" Seccomp 2
else
	tap_fail "the loader has a spawner child"
	daemon_diag
fi

for who in loader watcher spawner; do
	eval "pid=\$$who"
	[ -n "$pid" ] || continue
	diag "$who: $(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):' \
		"/proc/$pid/status" | tr '\t\n' '  ')"
done

expect_eq "the watcher serves /healthz under its filter" ok "$(http_get /healthz)"
check "no seccomp kill so far" sh -c '! dmesg | grep -q type=1326'
