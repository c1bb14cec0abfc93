/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run one external program (apparmor_parser) with hard limits.  The single
 * implementation used by kapparmor-check's compile step and by the loader.
 *
 * The program gets: the fixed argv given (execve of an absolute path: no
 * shell, no PATH search), an empty environment, "/" as its working
 * directory, stdin from /dev/null, stdout+stderr to one pipe whose contents
 * are captured up to a cap (the rest is read and discarded, so it never
 * blocks on a full pipe), every other fd closed, its own session,
 * RLIMIT_AS / RLIMIT_CPU / RLIMIT_NOFILE / RLIMIT_CORE=0, an oom_score_adj,
 * PR_SET_PDEATHSIG(SIGKILL), default and unblocked signals, and
 * PR_SET_NO_NEW_PRIVS.
 *
 * The caller waits at most timeout_ms.  The program runs below a small
 * supervisor process (a child subreaper in a new session) that kills, when
 * the program exits or the caller gives up, every process the program left
 * behind; see docs/spawn.md.  Processes are tracked with pidfds (clone3
 * CLONE_PIDFD, or clone + pidfd_open) and signalled only with
 * pidfd_send_signal: this code never calls kill(), so it can run under a
 * seccomp filter without kill/tkill/tgkill, and no pid can be recycled under
 * it.  It reaps only the processes it created (never waitpid(-1)), keeps no
 * global state, and allocates nothing proportional to the program's output
 * beyond output_cap.
 */
#ifndef KP_SPAWN_H
#define KP_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

/* Defaults (kp_spawn_limits_default): the loader's parser runs. */
#define KP_SPAWN_DEFAULT_TIMEOUT_MS   30000u
#define KP_SPAWN_DEFAULT_AS_BYTES     ((rlim_t)512 * 1024 * 1024)
#define KP_SPAWN_DEFAULT_CPU_SECONDS  30
#define KP_SPAWN_DEFAULT_NOFILE       256
#define KP_SPAWN_DEFAULT_OUTPUT_CAP   4096
#define KP_SPAWN_DEFAULT_OOM_SCORE_ADJ 1000

/* oom_score_adj value meaning "do not write it": INT_MIN, spelled without
 * <limits.h>, which common/limits.h shadows for files compiled in common/. */
#define KP_SPAWN_OOM_SCORE_ADJ_LEAVE  (-__INT_MAX__ - 1)

/* Largest output_cap accepted: the buffer is allocated up front. */
#define KP_SPAWN_OUTPUT_CAP_MAX       ((size_t)1024 * 1024)
/* After the caller gives up, how long the supervisor may take to kill and
 * reap the program's processes before it is SIGKILLed itself. */
#define KP_SPAWN_KILL_GRACE_MS        2000u

struct kp_spawn_limits {
	unsigned timeout_ms;    /* wall clock; 0 is invalid */
	rlim_t as_bytes;        /* RLIMIT_AS; 0 = leave as is */
	rlim_t cpu_seconds;     /* RLIMIT_CPU soft (SIGXCPU), hard = soft + 1
	                         * (SIGKILL); 0 = leave as is */
	size_t output_cap;      /* bytes of stdout+stderr kept; rest discarded */
	int oom_score_adj;      /* -1000..1000, written to
	                         * /proc/self/oom_score_adj;
	                         * KP_SPAWN_OOM_SCORE_ADJ_LEAVE (== INT_MIN) =
	                         * leave.
	                         * Lowering it needs CAP_SYS_RESOURCE, so start
	                         * from kp_spawn_limits_default, not from {0}. */
	rlim_t nofile;          /* RLIMIT_NOFILE; 0 = leave as is */
};

enum kp_spawn_outcome {
	KP_SPAWN_EXITED,   /* exit_code valid */
	KP_SPAWN_SIGNALED, /* term_signal valid (e.g. SIGXCPU from RLIMIT_CPU) */
	KP_SPAWN_TIMEOUT,  /* killed by us after timeout_ms */
	KP_SPAWN_ERROR,    /* the program could not be started (setting up the
	                    * child or execve failed): errno_value and
	                    * error_step valid.  Never reported as exit 127. */
};

struct kp_spawn_result {
	enum kp_spawn_outcome outcome;
	int exit_code;
	int term_signal;
	int errno_value;
	char *output;           /* NUL-terminated, malloc'd; non-NULL whenever
	                         * kp_spawn_run returned 0 */
	size_t output_len;      /* bytes in output, at most output_cap */
	bool output_truncated;  /* the program wrote more than output_cap */
	double elapsed_seconds; /* from start to the last process reaped */
	const char *error_step; /* KP_SPAWN_ERROR: the step that failed, e.g.
	                         * "exec", "rlimit-as", "oom-score-adj"
	                         * (static string); NULL otherwise */
};

/* Fill *limits with the defaults above (30 s, 512 MiB, 30 s CPU, 256 fds,
 * 4 KiB, oom_score_adj 1000). */
void kp_spawn_limits_default(struct kp_spawn_limits *limits);

/* Run path (absolute) with argv (argv[0] included, NULL-terminated).
 * Returns 0 when *res was filled, whatever the program did; free it with
 * kp_spawn_result_free.  Returns -1 with errno when nothing was started:
 * EINVAL for bad arguments, or the error of the pipe, /dev/null, memory or
 * clone the run needed; *res then owns nothing. */
int kp_spawn_run(const char *path, char *const argv[],
    const struct kp_spawn_limits *limits, struct kp_spawn_result *res);

void kp_spawn_result_free(struct kp_spawn_result *res);

/* "exited", "signaled", "timeout", "error" ("unknown" otherwise). */
const char *kp_spawn_outcome_name(enum kp_spawn_outcome outcome);

#endif /* KP_SPAWN_H */
