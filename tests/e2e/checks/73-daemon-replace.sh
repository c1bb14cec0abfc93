# shellcheck shell=sh
# e2e-boots: 1
# e2e-needs: kapparmor-loader kapparmor-watcher
# Issue check 3, replace: version 2 of custom.d-rep, published by a ..data
# swap, is enforced on the process already running under it (the write
# version 1 allowed is denied, the one version 2 allows succeeds) without
# waiting for POLL_TIME (3600 s).  Prints "# swap-to-enforcement: N ms":
# from the rename of ..data until the running process is denied.

daemon_required || exit 0

# rep_denied: the rep holder, now, may not write where version 1 allowed.
rep_denied() {
	case $(holder_cmd rep write /tmp/e2e-d/rep/f) in
	denied*) return 0 ;;
	esac
	return 1
}

expect_eq "before: version 1 allows the write" allowed \
	"$(holder_cmd rep write /tmp/e2e-d/rep/f)"
before=$(profile_fingerprint custom.d-rep)
replaced=$(log_count 'loader[profile_replaced]' custom.d-rep)

cm_stage_put custom.d-rep "$E2E_CONFIGMAPS/daemon-updates/custom.d-rep.v2"
daemon_publish
if wait_until 20000 rep_denied; then
	ms=$(($(now_ms) - $(cat "$E2E_RUN/cm-swapped-at")))
	tap_ok "version 2 is enforced on the running process after the swap"
	diag "swap-to-enforcement: $ms ms"
else
	tap_fail "version 2 is enforced on the running process after the swap"
	daemon_diag
fi
expect_match "the denial is EACCES" 'denied: *Permission denied' \
	"$(holder_cmd rep write /tmp/e2e-d/rep/f)"
expect_eq "the write version 2 allows succeeds" allowed \
	"$(holder_cmd rep write /tmp/e2e-d/rep2/f)"
expect_eq "the process keeps its label" "custom.d-rep (enforce)" \
	"$(task_label "$(holder_pid rep)")"
log_wait 5000 "$((replaced + 1))" 'loader[profile_replaced]' custom.d-rep
v2sum=$(sha256sum "$E2E_CONFIGMAPS/daemon-updates/custom.d-rep.v2")
expect_match "the loader logged the replacement with version 2's digest" \
	"*Profile custom.d-rep replaced and loaded (sha256 ${v2sum%% *}, *" \
	"$(log_lines 'loader[profile_replaced]' custom.d-rep | tail -n 1)"
diag "$(log_lines 'loader[profile_replaced]' custom.d-rep | tail -n 1 |
	sed 's/.*(sha256 [0-9a-f]*, \(.*\))$/the parser run took \1/')"
after=$(profile_fingerprint custom.d-rep)
check "the kernel holds a new policy for it" test "$before" != "$after"
diag "custom.d-rep in the kernel: before '$before', after '$after'"
check "the profiles directory has version 2" \
	cmp "$E2E_CONFIGMAPS/daemon-updates/custom.d-rep.v2" \
	"$E2E_PROFILES_DIR/custom.d-rep"
check "the pass ends (sync marker loaded)" daemon_wait_synced
