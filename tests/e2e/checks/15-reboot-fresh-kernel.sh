# shellcheck shell=sh
# e2e-boots: 2
# The second boot is a fresh kernel: no test profile survived, and it is not
# the boot the carried files came from.

loaded=$(grep -c '^custom\.' "$AA_FS/profiles")
expect_eq "no custom.* profile is loaded at start" 0 "$loaded"
check "the previous boot's id was passed in" test -n "${E2E_PREV_BOOT_ID:-}"
check "this is another boot" \
	test "$(cat /proc/sys/kernel/random/boot_id)" != "${E2E_PREV_BOOT_ID:-}"
