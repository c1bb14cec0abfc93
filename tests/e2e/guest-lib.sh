# shellcheck shell=sh
# Helpers for the guest's checks (installed as /e2e/lib.sh; busybox sh).
#
# Every check file (/e2e/checks/NN-name.sh) is sourced into a fresh shell
# with this library loaded, under a hard timeout.  A check reports with
# tap_ok / tap_fail / expect_eq / check (never by printing "ok" itself), and
# prints anything else only as "# " diagnostics, so the host's parser sees
# exactly the results.

E2E_DATA=/e2e
E2E_RUN=/run/e2e
# shellcheck disable=SC2034 # used by the check files
E2E_PROFILES=$E2E_DATA/profiles
# shellcheck disable=SC2034
E2E_CONFIGMAPS=$E2E_DATA/configmaps
AA_FS=/sys/kernel/security/apparmor

# Upper bounds, in milliseconds, for the waits below.  Generous: the guest
# runs under TCG on a shared host.
E2E_WAIT_MS=5000
E2E_POLL_US=10000

diag() {
	printf '# %s\n' "$*"
}

# Print stdin as indented diagnostics.
diag_stream() {
	sed 's/^/#   /'
}

# tap_result STATUS NAME: record result number N (0 = ok).
tap_result() {
	n=$(cat "$E2E_RUN/tap-count")
	n=$((n + 1))
	echo "$n" >"$E2E_RUN/tap-count"
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
	fi
}

tap_ok() {
	tap_result 0 "$1"
}

# tap_fail NAME [DETAIL...]: a failed result, each DETAIL as a diagnostic.
tap_fail() {
	tf_name=$1
	shift
	tap_result 1 "$tf_name"
	for detail in "$@"; do
		diag "  $detail"
	done
	return 1
}

tap_skip() {
	n=$(cat "$E2E_RUN/tap-count")
	n=$((n + 1))
	echo "$n" >"$E2E_RUN/tap-count"
	echo "ok $n - $1 # SKIP $2"
}

# check NAME CMD [ARG...]: ok when CMD exits 0; otherwise its output is
# shown.  CMD runs in a subshell: use it for predicates, not for commands
# whose variables the check needs afterwards.
check() {
	check_name=$1
	shift
	check_out=$("$@" 2>&1)
	check_rc=$?
	if [ "$check_rc" -eq 0 ]; then
		tap_ok "$check_name"
		return 0
	fi
	tap_result 1 "$check_name"
	printf '%s\n' "$check_out" | diag_stream
	diag "  (exit $check_rc)"
	return 1
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
		return 0
	fi
	tap_fail "$1" "expected: '$2'" "got:      '$3'"
}

# expect_match NAME PATTERN ACTUAL: ACTUAL matches the shell PATTERN.
expect_match() {
	# shellcheck disable=SC2254 # PATTERN is a glob on purpose
	case $3 in
	$2)
		tap_ok "$1"
		return 0
		;;
	esac
	tap_fail "$1" "expected to match: '$2'" "got:               '$3'"
}

# Milliseconds since boot, from /proc/uptime (10 ms resolution).
now_ms() {
	read -r now_up _ </proc/uptime
	now_s=${now_up%.*}
	now_cs=${now_up#*.}
	# strip leading zeros of the centiseconds so sh does not read octal
	now_cs=${now_cs#0}
	echo $((now_s * 1000 + now_cs * 10))
}

# wait_until LIMIT_MS CMD [ARG...]: poll CMD until it succeeds, at most
# LIMIT_MS.  Returns 1 when the bound is hit.
wait_until() {
	wait_limit=$1
	shift
	wait_start=$(now_ms)
	while ! "$@"; do
		if [ $(($(now_ms) - wait_start)) -ge "$wait_limit" ]; then
			return 1
		fi
		usleep "$E2E_POLL_US"
	done
	return 0
}

# --- AppArmor ----------------------------------------------------------

# profile_mode NAME: print the mode ("enforce", "complain", ...) of loaded
# profile NAME from the kernel's profiles list; nothing when not loaded.
profile_mode() {
	awk -v want="$1" '{
		mode = $NF
		name = $0
		sub(/ \([^()]*\)$/, "", name)
		if (name == want) {
			gsub(/[()]/, "", mode)
			print mode
		}
	}' "$AA_FS/profiles"
}

profile_loaded() {
	[ -n "$(profile_mode "$1")" ]
}

profile_absent() {
	! profile_loaded "$1"
}

# load_profile FILE: load or replace FILE's profiles in the kernel.
load_profile() {
	apparmor_parser -r "$1"
}

# The label a task runs under, as the kernel prints it (attr/current).
task_label() {
	cat "/proc/$1/attr/current" 2>&1
}

# task_label_is PID LABEL
task_label_is() {
	[ "$(task_label "$1")" = "$2" ]
}

# --- Confined helper processes ------------------------------------------
#
# A "holder" is a long-running busybox sh confined by a label, that obeys
# commands sent over a FIFO (see holder.sh).  Tests use it to keep a profile
# in use and to ask, at any moment, whether a write is allowed under the
# label the process has now.

holder_dir() {
	echo "$E2E_RUN/holder.$1"
}

holder_pid() {
	cat "$(holder_dir "$1")/pid"
}

# holder_start ID LABEL [STACK]: start holder ID by writing "exec LABEL" to
# /proc/self/attr/exec and exec'ing; with STACK, the holder then writes
# "stack STACK" and execs once more.  Returns once the holder answers.
holder_start() {
	hs_dir=$(holder_dir "$1")
	rm -rf "$hs_dir"
	mkdir -p "$hs_dir"
	mkfifo "$hs_dir/cmd"
	echo 0 >"$hs_dir/seq"
	(
		printf 'exec %s' "$2" >/proc/self/attr/exec || exit 125
		exec /bin/busybox sh "$E2E_DATA/holder.sh" "$hs_dir" "${3:-}"
	) </dev/null >"$hs_dir/log" 2>&1 &
	echo $! >"$hs_dir/pid"
	if ! holder_cmd "$1" ping >/dev/null; then
		diag "holder $1 did not start:"
		diag_stream <"$hs_dir/log"
		return 1
	fi
}

# holder_cmd ID CMD [ARG]: send one command, print the holder's answer.
#   ping                  -> pong
#   current               -> the holder's /proc/self/attr/current
#   write PATH            -> "allowed" or "denied: <shell's error message>"
#   exit                  -> bye
holder_cmd() {
	hc_dir=$(holder_dir "$1")
	hc_pid=$(holder_pid "$1")
	hc_seq=$(($(cat "$hc_dir/seq") + 1))
	echo "$hc_seq" >"$hc_dir/seq"
	# Opening the FIFO blocks until the holder opens it to read, so write
	# from the background, and wait for the answer or the holder's end.
	printf '%s\n' "$hc_seq $2 ${3:-}" >"$hc_dir/cmd" &
	hc_writer=$!
	wait_until "$E2E_WAIT_MS" holder_answered "$hc_dir/reply.$hc_seq" "$hc_pid"
	kill "$hc_writer" 2>/dev/null
	wait "$hc_writer" 2>/dev/null
	if [ -e "$hc_dir/reply.$hc_seq" ]; then
		cat "$hc_dir/reply.$hc_seq"
	elif pid_gone "$hc_pid"; then
		echo "holder $1: exited before answering '$2'"
		return 1
	else
		echo "holder $1: no reply to '$2' within $E2E_WAIT_MS ms"
		return 1
	fi
}

# holder_answered REPLY PID: the reply is there or the holder is gone.
holder_answered() {
	[ -e "$1" ] || pid_gone "$2"
}

holder_stop() {
	hst_pid=$(holder_pid "$1")
	holder_cmd "$1" exit >/dev/null
	wait_until "$E2E_WAIT_MS" pid_gone "$hst_pid"
}

# pid_gone PID: the process has exited (a zombie counts: its parent, the
# check's shell, has not reaped it yet).
pid_gone() {
	[ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# --- ConfigMap volumes, as kubelet's atomic writer lays them out ---------
#
#   DIR/..2024_01_02_03_04_05.123456789/KEY   the data of one version
#   DIR/..data -> ..2024_...                  swapped by one rename(2)
#   DIR/KEY -> ..data/KEY                     one symlink per key

# cm_publish DIR SRC: make DIR show exactly the files of SRC, the way kubelet
# updates a mounted ConfigMap: write a new timestamped directory, point a
# temporary symlink at it and rename that over ..data, then add the key
# symlinks that are new and remove those of deleted keys and the old data.
cm_publish() {
	cm_dir=$1
	cm_src=$2
	mkdir -p "$cm_dir"
	cm_old=$(readlink "$cm_dir/..data" 2>/dev/null)
	cm_new=$(mktemp -d "$cm_dir/..$(date +%Y_%m_%d_%H_%M_%S).XXXXXXXXX") || return 1
	cp -p "$cm_src"/* "$cm_new"/ || return 1
	chmod 0755 "$cm_new"
	ln -s "${cm_new##*/}" "$cm_dir/..data_tmp" || return 1
	mv -T "$cm_dir/..data_tmp" "$cm_dir/..data" || return 1
	# the moment of the swap, for checks that time what follows it
	now_ms >"$E2E_RUN/cm-swapped-at"
	for cm_f in "$cm_new"/*; do
		cm_key=${cm_f##*/}
		if [ ! -L "$cm_dir/$cm_key" ]; then
			ln -s "..data/$cm_key" "$cm_dir/$cm_key" || return 1
		fi
	done
	for cm_link in "$cm_dir"/*; do
		if [ -L "$cm_link" ] && [ ! -e "$cm_link" ]; then
			rm -f "$cm_link"
		fi
	done
	if [ -n "$cm_old" ]; then
		rm -rf "${cm_dir:?}/$cm_old"
	fi
}

# --- The daemon ---------------------------------------------------------
#
# For the daemon checks (issue 6, checks 1-10); a check that uses these
# declares "# e2e-needs: kapparmor-loader kapparmor-watcher" so that it is
# skipped in a build without them.  Readiness is whatever the check polls
# for (wait_until with a bound), e.g. a profile appearing in the kernel.

E2E_CM_DIR=/run/e2e/configmap
E2E_PROFILES_DIR=/etc/apparmor.d/custom
E2E_DAEMON_LOG=/run/e2e/daemon.log
# The watcher's HTTP endpoints (/healthz /readyz /metrics /status), on the
# loopback interface: the guest has no other.
E2E_HTTP=127.0.0.1:8080

# daemon_start [FLAG...]: start kapparmor-loader (which starts the watcher)
# on $E2E_CM_DIR, with POLL_TIME high so that only a ..data swap can make
# it act quickly, serving HTTP on $E2E_HTTP.  Extra flags override these.
# A small sh waits for the loader and writes its exit status to
# $E2E_RUN/daemon.rc (daemon_rc).
daemon_start() {
	mkdir -p "$E2E_CM_DIR" "$E2E_PROFILES_DIR"
	ip link set lo up
	rm -f "$E2E_RUN/daemon.pid" "$E2E_RUN/daemon.pid.tmp" "$E2E_RUN/daemon.rc"
	(
		kapparmor-loader \
			--configmap-dir "$E2E_CM_DIR" \
			--profiles-dir "$E2E_PROFILES_DIR" \
			--poll-time 3600 \
			--watcher /usr/bin/kapparmor-watcher \
			--listen "$E2E_HTTP" \
			"$@" &
		echo $! >"$E2E_RUN/daemon.pid.tmp"
		mv "$E2E_RUN/daemon.pid.tmp" "$E2E_RUN/daemon.pid"
		wait $!
		echo $? >"$E2E_RUN/daemon.rc"
	) </dev/null >>"$E2E_DAEMON_LOG" 2>&1 &
	wait_until "$E2E_WAIT_MS" test -s "$E2E_RUN/daemon.pid"
}

daemon_pid() {
	cat "$E2E_RUN/daemon.pid" 2>/dev/null
}

# daemon_running: the loader started by daemon_start is alive.
daemon_running() {
	dr_pid=$(daemon_pid)
	[ -n "$dr_pid" ] && ! pid_gone "$dr_pid"
}

# daemon_rc: the loader's exit status, once it has exited.
daemon_rc() {
	cat "$E2E_RUN/daemon.rc" 2>/dev/null
}

# daemon_stop: SIGTERM, then wait (bounded) for the loader to exit and its
# status to be recorded, and for the watcher (killed by its parent-death
# signal) to be gone, so that its port is free.
daemon_stop() {
	ds_pid=$(daemon_pid)
	ds_watcher=$(watcher_pid)
	kill -TERM "$ds_pid" 2>/dev/null
	wait_until "$E2E_WAIT_MS" pid_gone "$ds_pid" &&
		wait_until "$E2E_WAIT_MS" test -s "$E2E_RUN/daemon.rc" &&
		wait_until "$E2E_WAIT_MS" pid_gone "${ds_watcher:-0}"
}

# http_get PATH: the body the watcher serves at PATH; fails on no answer
# or a status other than 2xx.  With nc: busybox-static's wget segfaults in
# the guest (its static resolver).
http_get() {
	hg_reply=$(printf 'GET %s HTTP/1.0\r\nHost: e2e\r\n\r\n' "$1" |
		nc -w 5 "${E2E_HTTP%:*}" "${E2E_HTTP##*:}" 2>/dev/null | tr -d '\r')
	printf '%s\n' "$hg_reply" | sed '1,/^$/d'
	case $(printf '%s\n' "$hg_reply" | head -n 1) in
	"HTTP/1."[01]" 2"*) return 0 ;;
	esac
	return 1
}

# daemon_ready: /readyz says the first reconcile has finished.
daemon_ready() {
	[ "$(http_get /readyz 2>/dev/null)" = ready ]
}

# daemon_wait_ready LIMIT_MS: poll /readyz every 100 ms (each poll is a
# request the watcher serves: not every 10 ms on the guest's one CPU);
# $E2E_RUN/not-ready-seen counts the answers before "ready".
daemon_wait_ready() {
	dw_start=$(now_ms)
	echo 0 >"$E2E_RUN/not-ready-seen"
	while ! daemon_ready; do
		echo $(($(cat "$E2E_RUN/not-ready-seen") + 1)) \
			>"$E2E_RUN/not-ready-seen"
		if [ $(($(now_ms) - dw_start)) -ge "$1" ]; then
			return 1
		fi
		usleep 100000
	done
}

# daemon_log: the daemon's output so far, as diagnostics.
daemon_log() {
	diag_stream <"$E2E_DAEMON_LOG"
}

# daemon_diag: what explains a daemon failure: its log, its exit status
# when it has exited, and the kernel's seccomp kills (audit type 1326: the
# syscall number is in "syscall=").
# Indented like tap_fail's details, so that run-e2e.sh shows them.
daemon_diag() {
	diag "  daemon log:"
	daemon_log
	if [ -s "$E2E_RUN/daemon.rc" ]; then
		diag "  the loader exited with status $(daemon_rc)"
	fi
	dd_kills=$(dmesg | grep 'type=1326')
	if [ -n "$dd_kills" ]; then
		diag "  seccomp kills (dmesg | grep type=1326):"
		printf '%s\n' "$dd_kills" | diag_stream
	fi
}

# daemon_required: record a failure and return 1 when the loader is not
# running, so a check that needs it can stop at once ("|| exit 0").
daemon_required() {
	if daemon_running; then
		return 0
	fi
	tap_fail "the daemon is running"
	daemon_diag
	return 1
}

# The daemon's processes: the watcher's pid is in the loader's "started"
# line; the spawner is the loader's other child.
watcher_pid() {
	sed -n 's/.* loader\[started\]: .* watcher pid \([0-9]*\) .*/\1/p' \
		"$E2E_DAEMON_LOG" | tail -n 1
}

spawner_pid() {
	sp_watcher=$(watcher_pid)
	# one grep over every status file: a loop of seds is seconds in TCG
	grep -l "^PPid:[[:space:]]*$(daemon_pid)\$" /proc/[0-9]*/status 2>/dev/null |
		while read -r sp_status; do
			sp_pid=${sp_status#/proc/}
			sp_pid=${sp_pid%/status}
			if [ "$sp_pid" != "$sp_watcher" ] &&
				grep -q '^Name:[[:space:]]*kapparmor-loade$' "$sp_status"; then
				echo "$sp_pid"
			fi
		done
}

# status_field PID FIELD: one field of /proc/PID/status, tabs as spaces.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null | tr '\t' ' '
}

# --- The daemon's log ------------------------------------------------------
#
# Lines are "TIME LEVEL PROCESS[EVENT]: KEY: MESSAGE" (no "KEY: " for
# events about no key), e.g. "... info  loader[profile_loaded]: custom.x:
# Profile custom.x loaded (sha256 ..., 812 ms)".

# log_lines EVENT [KEY]: the lines of EVENT ("loader[profile_loaded]"),
# only those about KEY when given.
log_lines() {
	if [ -n "${2:-}" ]; then
		grep -F " $1: $2: " "$E2E_DAEMON_LOG"
	else
		grep -F " $1: " "$E2E_DAEMON_LOG"
	fi
}

# log_count EVENT [KEY]: how many such lines.
log_count() {
	log_lines "$@" | wc -l | tr -d ' '
}

# log_has_at_least N EVENT [KEY]
log_has_at_least() {
	lh_n=$1
	shift
	[ "$(log_count "$@")" -ge "$lh_n" ]
}

# log_wait LIMIT_MS N EVENT [KEY]: wait until there are N such lines.
log_wait() {
	lw_limit=$1
	shift
	wait_until "$lw_limit" log_has_at_least "$@"
}

# --- The daemon's ConfigMap -----------------------------------------------
#
# The checks that share one daemon build each next ConfigMap version in a
# staging directory and publish it with cm_publish.  Every publication also
# changes the content of one more key, $E2E_SYNC_KEY, a trivial profile
# that sorts after every other test key: once the loader logs that it
# loaded that content, the watcher has judged every key of the new version
# and the loader has answered every load it offered (removals come after
# the loads in a pass: wait for their own log lines).  That is the barrier
# a check waits for before it asserts that something did NOT happen (a
# rejected update left the old profile in place).

E2E_CM_STAGE=$E2E_RUN/cm-stage
E2E_SYNC_KEY=custom.zz-e2e-sync

# cm_stage_init SRC: the next version starts as a copy of SRC's keys.
cm_stage_init() {
	rm -rf "$E2E_CM_STAGE"
	mkdir -p "$E2E_CM_STAGE"
	cp "$1"/* "$E2E_CM_STAGE"/
}

# cm_stage_put KEY FILE: set KEY to FILE's content in the next version.
cm_stage_put() {
	cp "$2" "$E2E_CM_STAGE/$1"
}

# cm_stage_del KEY: delete KEY from the next version.
cm_stage_del() {
	rm -f "$E2E_CM_STAGE/$1"
}

# daemon_publish: publish the staged version, with a new sync marker.
daemon_publish() {
	# a sequence of its own in each boot: never a marker the last boot
	# left loaded
	dp_seq=$(($(cat "$E2E_RUN/sync.seq" 2>/dev/null ||
		echo $((E2E_BOOT * 1000))) + 1))
	echo "$dp_seq" >"$E2E_RUN/sync.seq"
	printf '# e2e sync marker %s\nprofile %s {\n}\n' "$dp_seq" \
		"$E2E_SYNC_KEY" >"$E2E_CM_STAGE/$E2E_SYNC_KEY"
	dp_sum=$(sha256sum "$E2E_CM_STAGE/$E2E_SYNC_KEY")
	echo "${dp_sum%% *}" >"$E2E_RUN/sync.sha"
	cm_publish "$E2E_CM_DIR" "$E2E_CM_STAGE"
}

# daemon_synced: the loader has loaded the marker of the last publication.
daemon_synced() {
	ds_sha=$(cat "$E2E_RUN/sync.sha")
	grep -qE " loader\[profile_(loaded|replaced)\]: $E2E_SYNC_KEY: .*\(sha256 $ds_sha, " \
		"$E2E_DAEMON_LOG"
}

# daemon_wait_synced [LIMIT_MS]: wait for that barrier (default 20 s).
daemon_wait_synced() {
	wait_until "${1:-20000}" daemon_synced
}

# --- The kernel's view of one profile ---------------------------------------

# profile_policy_dir NAME: the profile's directory in apparmorfs
# (policy/profiles/NAME.N); it is kept across replacements, while its sha1
# changes with the policy.
profile_policy_dir() {
	for pd in "$AA_FS"/policy/profiles/*; do
		if [ "$(cat "$pd/name" 2>/dev/null)" = "$1" ]; then
			echo "${pd##*/}"
		fi
	done
}

# profile_fingerprint NAME: directory, mode and policy hash, one line.
profile_fingerprint() {
	pf_dir=$(profile_policy_dir "$1")
	if [ -z "$pf_dir" ]; then
		echo "not loaded"
		return
	fi
	printf '%s %s %s\n' "$pf_dir" \
		"$(cat "$AA_FS/policy/profiles/$pf_dir/mode" 2>&1)" \
		"$(cat "$AA_FS/policy/profiles/$pf_dir/sha1" 2>&1)"
}

# holds_for MS CMD [ARG...]: CMD keeps succeeding for MS milliseconds
# (polled).  Not a wait: an assertion that nothing changes in a window.
holds_for() {
	hf_limit=$1
	shift
	hf_start=$(now_ms)
	while "$@"; do
		if [ $(($(now_ms) - hf_start)) -ge "$hf_limit" ]; then
			return 0
		fi
		# coarser than wait_until: the daemon shares the one CPU
		usleep 100000
	done
	return 1
}

# --- This boot ------------------------------------------------------------

# Which boot this is, and what the host passed in (build-initramfs.sh
# --env), e.g. E2E_PREV_BOOT_ID on the second boot.
# shellcheck disable=SC2034 # used by the checks
E2E_BOOT=1
if [ -r "$E2E_DATA/env" ]; then
	# shellcheck source=/dev/null # written by build-initramfs.sh
	. "$E2E_DATA/env"
fi

# --- Carrying files into the next boot -----------------------------------

# carry_add PATH: include PATH (absolute) in the tar that the next boot's
# initramfs gets (see guest-init.sh and run-e2e.sh).
carry_add() {
	echo "${1#/}" >>"$E2E_RUN/carry.list"
}
