# shellcheck shell=sh
# e2e-boots: 1
# First half of the carry-over mechanism (issue check 7 will carry the
# loader's profiles directory and state file this way): fill a directory
# and ask init to print it for the next boot.  91-carry-in checks it there.

d=/var/lib/e2e-carry
rm -rf "$d"
mkdir -p "$d/nested"
boot_id=$(cat /proc/sys/kernel/random/boot_id)
echo "$boot_id" >"$d/boot_id"
printf 'secret\n' >"$d/nested/private"
chmod 0600 "$d/nested/private"
ln -s nested/private "$d/link"
head -c 4096 /dev/urandom >"$d/nested/random.bin"
(cd "$d" && sha256sum boot_id nested/private nested/random.bin) >"$d/SHA256SUMS"
carry_add "$d"
check "the carry directory is ready" test -s "$d/SHA256SUMS"
# run-e2e.sh passes this token to the next boot as E2E_PREV_BOOT_ID.
echo "# e2e-carry-token: $boot_id"
