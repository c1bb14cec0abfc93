/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <unistd.h>

#include "common/proc_status.h"

static const char watcher_status[] =
    "Name:\tkapparmor-watch\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Uid:\t61374\t61374\t61374\t61374\n"
    "Gid:\t61374\t61374\t61374\t61374\n"
    "FDSize:\t64\n"
    "Groups:\t \n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\n"
    "CapBnd:\t0000000000000000\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t2\n"
    "Seccomp_filters:\t1\n";

Test(proc_status, parses_a_confined_watcher)
{
	struct kp_proc_status st;

	cr_assert_eq(kp_proc_status_parse(watcher_status, &st), 0);
	cr_assert_eq(st.uid[0], 61374);
	cr_assert_eq(st.uid[3], 61374);
	cr_assert_eq(st.gid[1], 61374);
	cr_assert_eq(st.ngroups, 0);
	cr_assert_eq(st.cap_bnd, 0);
	cr_assert_eq(st.no_new_privs, 1);
	cr_assert_eq(st.seccomp, 2);
}

Test(proc_status, parses_capabilities_and_groups)
{
	const char text[] =
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t0 4 27 \n"
	    "CapInh:\t0000000000000000\nCapPrm:\t0000000200000000\n"
	    "CapEff:\t0000000200000000\nCapBnd:\t000001ffffffffff\n"
	    "CapAmb:\t0000000000000000\n";
	struct kp_proc_status st;

	cr_assert_eq(kp_proc_status_parse(text, &st), 0);
	cr_assert_eq(st.ngroups, 3);
	cr_assert_eq(st.cap_eff, UINT64_C(1) << 33); /* CAP_MAC_ADMIN */
	cr_assert_eq(st.cap_bnd, UINT64_C(0x1ffffffffff));
	cr_assert_eq(st.no_new_privs, -1);
	cr_assert_eq(st.seccomp, -1);
}

Test(proc_status, missing_capability_line_is_an_error)
{
	const char text[] =
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"
	    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapAmb:\t0\n";
	struct kp_proc_status st;

	cr_assert_eq(kp_proc_status_parse(text, &st), -1);
}

Test(proc_status, malformed_values_are_errors)
{
	struct kp_proc_status st;

	cr_assert_eq(kp_proc_status_parse(
	    "Uid:\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0\nCapPrm:\t0\n"
	    "CapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n", &st), -1);
	cr_assert_eq(kp_proc_status_parse(
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nCapInh:\t0\nCapPrm:\t0\n"
	    "CapEff:\tzz\nCapBnd:\t0\nCapAmb:\t0\n", &st), -1);
}

Test(proc_status, reads_self)
{
	struct kp_proc_status st;

	cr_assert_eq(kp_proc_status_read("/proc", 0, &st), 0);
	cr_assert_eq(st.uid[0], getuid());
	cr_assert_eq(st.gid[0], getgid());
	cr_assert_eq(kp_proc_status_read("/nonexistent", 0, &st), -1);
}
