/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/rlimits.h"

static rlim_t
soft(int resource)
{
	struct rlimit rl;
	cr_assert_eq(getrlimit(resource, &rl), 0);
	cr_assert_eq(rl.rlim_cur, rl.rlim_max, "soft and hard differ");
	return rl.rlim_cur;
}

/* Criterion runs each test in its own process: limits do not leak. */
Test(rlimits, applies_every_limit_and_no_core_dumps)
{
	const struct kp_rlimits r = {
		.as_bytes = (rlim_t)64 << 30,
		.nofile = 77,
		.nproc = 4096,
		.fsize = (rlim_t)1 << 30,
	};
	char err[128];

	cr_assert_eq(kp_rlimits_apply(&r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(soft(RLIMIT_CORE), 0);
	cr_assert_eq(soft(RLIMIT_NOFILE), 77);
	cr_assert_eq(soft(RLIMIT_NPROC), 4096);
	cr_assert_eq(soft(RLIMIT_FSIZE), (rlim_t)1 << 30);
	if (!kp_built_with_asan())
		cr_assert_eq(soft(RLIMIT_AS), (rlim_t)64 << 30);
}

Test(rlimits, infinity_leaves_nproc_and_fsize_alone)
{
	struct rlimit before;
	const struct kp_rlimits r = {
		.as_bytes = RLIM_INFINITY,
		.nofile = 64,
		.nproc = RLIM_INFINITY,
		.fsize = RLIM_INFINITY,
	};
	char err[128];

	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &before), 0);
	cr_assert_eq(kp_rlimits_apply(&r, err, sizeof(err)), 0, "%s", err);
	struct rlimit after;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &after), 0);
	cr_assert_eq(after.rlim_cur, before.rlim_cur);
}

Test(rlimits, a_refused_limit_fails_with_its_name)
{
	/* Above fs.nr_open: refused even for root. */
	const struct kp_rlimits bad = {
		.as_bytes = RLIM_INFINITY,
		.nofile = (rlim_t)1 << 40,
		.nproc = RLIM_INFINITY,
		.fsize = RLIM_INFINITY,
	};
	char err[128];

	cr_assert_eq(kp_rlimits_apply(&bad, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "setrlimit(RLIMIT_NOFILE): Operation not permitted");
}
