# shellcheck shell=sh
# e2e-boots: 2
# Second half of the carry-over mechanism: the directory the first boot
# printed is here, byte for byte, with its modes and symlinks.

d=/var/lib/e2e-carry
check "the carried directory exists" test -d "$d"
expect_eq "it came from the previous boot" "${E2E_PREV_BOOT_ID:-unset}" \
	"$(cat "$d/boot_id" 2>&1)"
sums_ok() {
	(cd "$1" && sha256sum -c -s SHA256SUMS)
}
check "its files are intact" sums_ok "$d"
expect_eq "file modes are kept" 600 "$(stat -c %a "$d/nested/private" 2>&1)"
expect_eq "symlinks are kept" nested/private "$(readlink "$d/link")"
expect_eq "owner is root" 0:0 "$(stat -c %u:%g "$d/nested/private" 2>&1)"
