# shellcheck shell=sh
# e2e-boots: 1 2
# Our programs, when the build has them, are in the initramfs with every
# shared library they need (build-initramfs.sh copies what ldd names).

for prog in kapparmor-loader kapparmor-watcher kapparmor-check; do
	path=/usr/bin/$prog
	if [ ! -x "$path" ]; then
		tap_skip "$prog has its libraries" "not in this build"
		continue
	fi
	libs=$(/lib64/ld-linux-x86-64.so.2 --list "$path" 2>&1)
	rc=$?
	case $rc:$libs in
	0:*"not found"* | [!0]*)
		tap_fail "$prog has its libraries" "$libs"
		;;
	*)
		tap_ok "$prog has its libraries"
		;;
	esac
done
