/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run one external program (apparmor_parser) with hard limits.  The single
 * implementation used by kapparmor-check's compile step and by the loader.
 *
 * The child gets: the fixed argv given (no shell, no PATH search), an empty
 * environment, stdin from /dev/null, stdout+stderr to one pipe whose contents
 * are captured up to a cap, every other fd closed, its own process group,
 * RLIMIT_AS / RLIMIT_CPU / RLIMIT_CORE=0 and an oom_score_adj.  The caller
 * waits at most timeout_ms; after that the child's whole process group is
 * killed and the result says so.  The child is tracked with a pidfd
 * (clone3 CLONE_PIDFD, or pidfd_open) and signalled with pidfd_send_signal,
 * so no pid can be recycled under us.
 */
#ifndef KP_SPAWN_H
#define KP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

struct kp_spawn_limits {
	unsigned timeout_ms;    /* wall clock; 0 is invalid */
	rlim_t as_bytes;        /* RLIMIT_AS; 0 = leave as is */
	rlim_t cpu_seconds;     /* RLIMIT_CPU; 0 = leave as is */
	size_t output_cap;      /* bytes of stdout+stderr kept; rest discarded */
	int oom_score_adj;      /* written to /proc/self/oom_score_adj; INT_MIN = leave */
};

enum kp_spawn_outcome {
	KP_SPAWN_EXITED,   /* exit_code valid */
	KP_SPAWN_SIGNALED, /* term_signal valid (e.g. SIGKILL from RLIMIT_CPU) */
	KP_SPAWN_TIMEOUT,  /* killed by us after timeout_ms */
	KP_SPAWN_ERROR,    /* could not start; errno_value valid */
};

struct kp_spawn_result {
	enum kp_spawn_outcome outcome;
	int exit_code;
	int term_signal;
	int errno_value;
	char *output;           /* NUL-terminated, malloc'd, may be NULL */
	size_t output_len;
	bool output_truncated;
	double elapsed_seconds;
};

/* Fill *limits with the defaults (30 s, 512 MiB, 60 s CPU, 4 KiB, 1000). */
void kp_spawn_limits_default(struct kp_spawn_limits *limits);

/* Run path with argv (argv[0] included, NULL-terminated).  Returns 0 when
 * *res was filled (whatever the child did), -1 with errno on an internal
 * failure of the caller's side.  Free with kp_spawn_result_free. */
int kp_spawn_run(const char *path, char *const argv[],
    const struct kp_spawn_limits *limits, struct kp_spawn_result *res);

void kp_spawn_result_free(struct kp_spawn_result *res);

#endif /* KP_SPAWN_H */
