# shellcheck shell=sh
# e2e-boots: 1
# apparmor_parser loads a custom.* profile into the running kernel (with
# the initramfs's tunables, abstractions and pinned features file), in
# enforce mode.

probe=custom.e2e-probe
check "no $probe before loading" profile_absent "$probe"
check "apparmor_parser -r loads $probe" load_profile "$E2E_PROFILES/$probe"
expect_eq "$probe is loaded in enforce mode" enforce "$(profile_mode "$probe")"
check "replacing $probe with itself succeeds" \
	load_profile "$E2E_PROFILES/$probe"
expect_eq "$probe is listed once" 1 \
	"$(grep -c "^$probe (" "$AA_FS/profiles")"
