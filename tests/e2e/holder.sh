# shellcheck shell=sh
# A confined helper process (see holder_start in guest-lib.sh).
#
#   holder.sh DIR [STACK]
#
# Runs under the label its parent chose.  With STACK, first stacks that
# profile on top of its own ("stack STACK" to attr/exec) and re-execs.
# Then it reads "SEQ CMD ARG" lines from DIR/cmd and answers each in
# DIR/reply.SEQ, written under a temporary name and renamed so that a reader
# never sees half an answer.  Its profile must allow: /bin/busybox rmix,
# /e2e/** r, /run/e2e/** rw and reading its own attr/current; to stack X,
# writing its own attr/exec and "change_profile -> &X" (with the '&': a
# plain "change_profile -> X" allows changing to X, not stacking it).
dir=$1

if [ -n "${2:-}" ]; then
	printf 'stack %s' "$2" >/proc/self/attr/exec || exit 126
	exec /bin/busybox sh /e2e/holder.sh "$dir"
fi

while [ -p "$dir/cmd" ]; do
	# EOF without a line (a writer gave up) is not a command.
	IFS=' ' read -r seq cmd arg <"$dir/cmd" || continue
	case $cmd in
	ping)
		reply=pong
		;;
	current)
		reply=$(cat /proc/self/attr/current 2>&1)
		;;
	write)
		if err=$({ : >"$arg"; } 2>&1); then
			reply=allowed
		else
			reply="denied: $err"
		fi
		;;
	exit)
		reply=bye
		;;
	*)
		reply="unknown command: $cmd"
		;;
	esac
	printf '%s\n' "$reply" >"$dir/reply.$seq.tmp" &&
		mv "$dir/reply.$seq.tmp" "$dir/reply.$seq"
	if [ "$cmd" = exit ]; then
		exit 0
	fi
done
exit 1
