# shellcheck shell=sh
# e2e-boots: 1
# Stacked labels, as the in-use protection will find them in
# /proc/PID/attr/current: the format for both ways of stacking, the order of
# the components, the mode of a stack with mixed modes, and what removing
# one component of a stack does to the task.

a=custom.e2e-a x=custom.e2e-x c=custom.e2e-c
mkdir -p /tmp/e2e-allowed /tmp/e2e-only-a
for p in "$a" "$x" "$c"; do
	load_profile "$E2E_PROFILES/$p" || tap_fail "load $p"
done
ax="$a//&$x"

# 1. From an unconfined task, one write of "exec A//&X".
if holder_start s-exec "$ax"; then
	label=$(task_label "$(holder_pid s-exec)")
	diag "label after 'exec $ax': '$label'"
	expect_eq "'exec A//&X' gives the stacked label" "$ax (enforce)" "$label"
	expect_match "the stack enforces X (A alone would allow this)" \
		'denied: *Permission denied' \
		"$(holder_cmd s-exec write /tmp/e2e-only-a/file)"
	expect_eq "the stack allows what both allow" allowed \
		"$(holder_cmd s-exec write /tmp/e2e-allowed/file)"
else
	tap_fail "start a task under 'exec $ax'"
fi

# 2. A task confined by A stacks X itself ("stack X" to attr/exec).
if holder_start s-stack "$a" "$x"; then
	label=$(task_label "$(holder_pid s-stack)")
	diag "label after 'exec $a' then 'stack $x': '$label'"
	expect_eq "'stack X' from A gives the same label" "$ax (enforce)" "$label"
	holder_stop s-stack
else
	tap_fail "start a task under $a that stacks $x"
fi

# 3. The other way round: X stacks A.  The kernel orders the components.
if holder_start s-rev "$x" "$a"; then
	label=$(task_label "$(holder_pid s-rev)")
	diag "label after 'exec $x' then 'stack $a': '$label'"
	expect_eq "stacking X then A gives the same sorted label" \
		"$ax (enforce)" "$label"
	holder_stop s-rev
else
	tap_fail "start a task under $x that stacks $a"
fi

# 4. Mixed modes: an enforce profile stacked with a complain profile.
if holder_start s-mixed "$a//&$c"; then
	label=$(task_label "$(holder_pid s-mixed)")
	diag "label of a stack of enforce $a and complain $c: '$label'"
	expect_eq "a stack with mixed modes is printed as (mixed)" \
		"$a//&$c (mixed)" "$label"
	holder_stop s-mixed
else
	tap_fail "start a task under 'exec $a//&$c'"
fi

# 5. Removing one component of a stack a task uses: the hazard again, for
# stacks.  The task loses X at once: the kernel replaces the component by
# "unconfined" and keeps the rest of the stack.
rm -f /tmp/e2e-only-a/file
if [ -f "$(holder_dir s-exec)/pid" ]; then
	pid=$(holder_pid s-exec)
	check "apparmor_parser -R removes $x while a stack uses it" \
		apparmor_parser -R "$E2E_PROFILES/$x"
	wait_until "$E2E_WAIT_MS" task_label_is "$pid" "$a//&unconfined (enforce)"
	label=$(task_label "$pid")
	diag "label of the '$ax' task after removing $x: '$label'"
	expect_eq "after removing X its place in the stack is unconfined" \
		"$a//&unconfined (enforce)" "$label"
	expect_eq "the write X denied now succeeds" allowed \
		"$(holder_cmd s-exec write /tmp/e2e-only-a/file)"
	holder_stop s-exec
fi
