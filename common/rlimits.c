/* SPDX-License-Identifier: Apache-2.0 */
#include "common/rlimits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define KP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KP_ASAN 1
#endif
#endif
#ifndef KP_ASAN
#define KP_ASAN 0
#endif

int
kp_built_with_asan(void)
{
	return KP_ASAN;
}

static int
set_one(int resource, rlim_t value, const char *name, char *err,
    size_t errlen)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	if (setrlimit(resource, &rl) != 0) {
		snprintf(err, errlen, "setrlimit(%s): %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

int
kp_rlimits_apply(const struct kp_rlimits *r, char *err, size_t errlen)
{
	if (set_one(RLIMIT_CORE, 0, "RLIMIT_CORE", err, errlen) != 0)
		return -1;
	if (!KP_ASAN &&
	    set_one(RLIMIT_AS, r->as_bytes, "RLIMIT_AS", err, errlen) != 0)
		return -1;
	if (set_one(RLIMIT_NOFILE, r->nofile, "RLIMIT_NOFILE", err, errlen) != 0)
		return -1;
	if (r->nproc != RLIM_INFINITY &&
	    set_one(RLIMIT_NPROC, r->nproc, "RLIMIT_NPROC", err, errlen) != 0)
		return -1;
	if (r->fsize != RLIM_INFINITY &&
	    set_one(RLIMIT_FSIZE, r->fsize, "RLIMIT_FSIZE", err, errlen) != 0)
		return -1;
	return 0;
}
