/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run one call in a child confined by a real seccomp table, and say how the
 * child ended.  The child gets the descriptors the daemon's processes hold
 * (the peer socket at fd 3, stderr, an inotify instance, a status fd),
 * sets PR_SET_DUMPABLE 0, RLIMIT_CORE 0 and no_new_privs, installs the
 * filter, marks a shared page "installed", makes the call and _exits: it
 * never returns into Criterion once the filter is on.
 *
 * The shared page proves that a kill came from the call under test and not
 * from the installation: a forbidden call must leave the stage at
 * CONFINE_STAGE_CALLING, a permitted one at CONFINE_STAGE_RETURNED.
 */
#ifndef KP_TEST_SECCOMP_CONFINE_H
#define KP_TEST_SECCOMP_CONFINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "seccomp/sandbox.h"

/* Descriptors of the confined child, as in the daemon: the loader's or the
 * spawner's socket at 3 (one datagram is queued on it), and another socket
 * at 5 (also with a datagram) that the watcher must not touch. */
#define CONFINE_SOCK_FD     3
#define CONFINE_INOTIFY_FD  4
#define CONFINE_OTHER_FD    5
#define CONFINE_STATUS_FD   6

/* A child that blocks in a permitted call is stopped by SIGALRM. */
#define CONFINE_ALARM_S     20

/* Enough names that sorting them takes glibc's qsort past its 1 KiB
 * on-stack buffer. */
#define CONFINE_MANY_KEYS   500

/* The one key of the ConfigMap lookalike. */
#define CONFINE_PROFILE_A   "profile custom.a {\n  /usr/** r,\n}\n"

enum confine_stage {
	CONFINE_STAGE_START = 0,
	CONFINE_STAGE_CALLING,    /* filter installed, call under way */
	CONFINE_STAGE_RETURNED,   /* the call returned */
};

/* What the call sees: a scratch directory with a file, a directory, a
 * symlink and a mounted-ConfigMap lookalike, and the pid of a process other than itself (its parent). */
struct confine_env {
	char scratch[64];         /* /tmp/kp-seccomp.XXXXXX */
	char file[256];           /* scratch/file: "hello\n" */
	char dir[256];            /* scratch/dir: holds "a" and "b" */
	char missing[256];        /* scratch/new: does not exist */
	char link[256];           /* scratch/link -> file */
	char configmap[256];      /* scratch/cm: kubelet's layout, one key
	                           * custom.a behind ..data */
	pid_t other;              /* the test process */
};

extern struct confine_env confine_env;

/* A call returns 0 when it did what a permitted call should (controls), or
 * the source line of the first check that did not hold; a forbidden call
 * returns whatever the system call returned.  errno is recorded too. */
typedef long confine_call(void);

struct confine_outcome {
	int status;               /* waitpid status */
	int stage;                /* enum confine_stage reached */
	long ret;                 /* the call's return value (if it returned) */
	int err;                  /* errno after the call */
	int setup_line;           /* child set-up step that failed, or 0 */
	char install_err[160];    /* kp_seccomp_install's message, if any */
};

/* Make the scratch directory (once per test) and remove it. */
void confine_setup(void);
void confine_teardown(void);

/* Run call in a fresh child under policy. */
void confine_run(const struct kp_seccomp_policy *policy, confine_call *call,
    struct confine_outcome *out);

/* Assert that call kills the child with SIGSYS (and only the call: the
 * filter was installed and the call was under way). */
void expect_killed(const struct kp_seccomp_policy *policy, confine_call *call,
    const char *what);

/* Assert that call runs to completion under the filter and reports 0. */
void expect_allowed(const struct kp_seccomp_policy *policy,
    confine_call *call, const char *what);

/* "exited 1", "killed by SIGSYS" ... in a static buffer. */
const char *confine_describe(int status);

/* For controls: return the line when cond does not hold. */
#define CONFINE_CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

#endif /* KP_TEST_SECCOMP_CONFINE_H */
