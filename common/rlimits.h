/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource limits of our own processes (the parser's are set by spawn.c).
 */
#ifndef KP_RLIMITS_H
#define KP_RLIMITS_H

#include <stddef.h>
#include <sys/resource.h>

struct kp_rlimits {
	rlim_t as_bytes;  /* RLIMIT_AS; ignored under AddressSanitizer, which
	                   * reserves terabytes of shadow memory at start */
	rlim_t nofile;    /* RLIMIT_NOFILE */
	rlim_t nproc;     /* RLIMIT_NPROC; RLIM_INFINITY = leave */
	rlim_t fsize;     /* RLIMIT_FSIZE; RLIM_INFINITY = leave */
};

/* Set soft and hard limits, and RLIMIT_CORE to 0.  Returns 0, or -1 with
 * err naming the limit that failed. */
int kp_rlimits_apply(const struct kp_rlimits *r, char *err, size_t errlen);

/* True in a build with AddressSanitizer (some limits are skipped). */
int kp_built_with_asan(void);

#endif /* KP_RLIMITS_H */
