# shellcheck shell=sh
# e2e-boots: 1 2
# The guest is what the rest assumes: AppArmor is the enabled LSM, its
# filesystem is mounted, the parser runs, and PID 1 is unconfined.

expect_eq "apparmor module enabled" Y \
	"$(cat /sys/module/apparmor/parameters/enabled 2>&1)"
check "apparmor is in the LSM list" grep -qw apparmor /sys/kernel/security/lsm
check "apparmorfs has a profiles list" test -r "$AA_FS/profiles"
check "apparmorfs has .replace and .remove" \
	test -w "$AA_FS/.replace" -a -w "$AA_FS/.remove"
check "kernel supports profile stacking" \
	grep -qx yes "$AA_FS/features/domain/stack"
expect_eq "init runs unconfined" unconfined "$(task_label 1)"
check "apparmor_parser runs (its libraries are present)" \
	apparmor_parser --version
diag "lsm: $(cat /sys/kernel/security/lsm)"
diag "apparmor features: $(cd "$AA_FS/features" && echo *)"
diag "$(apparmor_parser --version 2>&1 | head -n 1)"
