/* SPDX-License-Identifier: Apache-2.0 */
#include "confine.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit codes of a child that never reached its call. */
#define CHILD_SETUP_FAILED   90
#define CHILD_INSTALL_FAILED 91
/* Descriptors are parked here while the child arranges 3..6. */
#define PARK_FD_MIN          20
/* The timestamped directory of the ConfigMap lookalike. */
#define CONFINE_CM_TSDIR     "..2026_01_01_00_00_00.1"

struct confine_env confine_env;

/* Written by the child, read by the parent after waitpid. */
struct confine_shared {
	int stage;
	int err;
	long ret;
	int setup_line;
	char install_err[160];
};

static const char datagram[] = "ping";

static void
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(close(fd), 0);
}

/* dir/name into buf, which must be large enough. */
#define JOIN(buf, dir, name) cr_assert(snprintf((buf), sizeof(buf), "%s/%s", \
	(dir), (name)) < (int)sizeof(buf), "path too long")

void
confine_setup(void)
{
	struct confine_env *e = &confine_env;
	char path[256];

	memset(e, 0, sizeof(*e));
	snprintf(e->scratch, sizeof(e->scratch), "/tmp/kp-seccomp.XXXXXX");
	cr_assert_not_null(mkdtemp(e->scratch), "mkdtemp: %s", strerror(errno));
	JOIN(e->file, e->scratch, "file");
	JOIN(e->dir, e->scratch, "dir");
	JOIN(e->missing, e->scratch, "new");
	JOIN(e->link, e->scratch, "link");
	JOIN(e->configmap, e->scratch, "cm");
	write_text(e->file, "hello\n");
	cr_assert_eq(mkdir(e->dir, 0755), 0);
	JOIN(path, e->dir, "a");
	write_text(path, "a\n");
	JOIN(path, e->dir, "b");
	write_text(path, "b\n");
	cr_assert_eq(symlink("file", e->link), 0);

	/* kubelet's atomic writer: key -> ..data/key, ..data -> ..<ts>. */
	cr_assert_eq(mkdir(e->configmap, 0755), 0);
	JOIN(path, e->configmap, CONFINE_CM_TSDIR);
	cr_assert_eq(mkdir(path, 0755), 0);
	JOIN(path, e->configmap, CONFINE_CM_TSDIR "/custom.a");
	write_text(path, CONFINE_PROFILE_A);
	JOIN(path, e->configmap, "..data");
	cr_assert_eq(symlink(CONFINE_CM_TSDIR, path), 0);
	JOIN(path, e->configmap, "custom.a");
	cr_assert_eq(symlink("..data/custom.a", path), 0);
	e->other = getpid();
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void
confine_teardown(void)
{
	if (confine_env.scratch[0] != '\0')
		(void)nftw(confine_env.scratch, remove_one, 16,
		    FTW_DEPTH | FTW_PHYS);
}

const char *
confine_describe(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "was killed by %s (%d)",
		    sigabbrev_np(WTERMSIG(status)) != NULL ?
		    sigabbrev_np(WTERMSIG(status)) : "?", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "ended with status %#x", status);
	return buf;
}

/* Move fd out of the way of 3..6 (close-on-exec: only the dup2 copies
 * below are meant to stay). */
static int
park(int fd)
{
	int parked = fcntl(fd, F_DUPFD_CLOEXEC, PARK_FD_MIN);

	if (parked >= 0)
		close(fd);
	return parked;
}

#define SETUP(cond) do { \
	if (!(cond)) { \
		sh->setup_line = __LINE__; \
		_exit(CHILD_SETUP_FAILED); \
	} \
} while (0)

__attribute__((noreturn))
static void
child(const struct kp_seccomp_policy *policy, confine_call *call,
    struct confine_shared *sh, int sock, int other)
{
	struct rlimit no_core = { 0, 0 };

	alarm(CONFINE_ALARM_S);
	int devnull = park(open("/dev/null", O_WRONLY | O_CLOEXEC));
	int ino = park(inotify_init1(IN_CLOEXEC));
	int status = park(open("/proc/self/status", O_RDONLY | O_CLOEXEC));
	sock = park(sock);
	other = park(other);
	SETUP(devnull >= 0 && ino >= 0 && status >= 0 && sock >= 0 &&
	    other >= 0);
	SETUP(dup2(devnull, STDERR_FILENO) == STDERR_FILENO);
	SETUP(dup2(sock, CONFINE_SOCK_FD) == CONFINE_SOCK_FD);
	SETUP(dup2(ino, CONFINE_INOTIFY_FD) == CONFINE_INOTIFY_FD);
	SETUP(dup2(other, CONFINE_OTHER_FD) == CONFINE_OTHER_FD);
	SETUP(dup2(status, CONFINE_STATUS_FD) == CONFINE_STATUS_FD);
	/* Nothing of Criterion's survives: the child never talks to it. */
	SETUP(syscall(SYS_close_range, CONFINE_STATUS_FD + 1, ~0U, 0) == 0);

	SETUP(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
	SETUP(setrlimit(RLIMIT_CORE, &no_core) == 0);
	SETUP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);

	/* As the daemon does: the watcher verifies through the status fd it
	 * opened before Landlock, the others through /proc/self/status. */
	int rc = policy == &kp_watcher_policy ?
	    kp_seccomp_install_fd(policy, CONFINE_STATUS_FD, sh->install_err,
	    sizeof(sh->install_err)) :
	    kp_seccomp_install(policy, sh->install_err,
	    sizeof(sh->install_err));
	if (rc != 0)
		_exit(CHILD_INSTALL_FAILED);

	__atomic_store_n(&sh->stage, CONFINE_STAGE_CALLING, __ATOMIC_SEQ_CST);
	long ret = call();
	sh->err = errno;
	sh->ret = ret;
	__atomic_store_n(&sh->stage, CONFINE_STAGE_RETURNED, __ATOMIC_SEQ_CST);
	_exit(0);
}

void
confine_run(const struct kp_seccomp_policy *policy, confine_call *call,
    struct confine_outcome *out)
{
	int sv[2], ov[2];

	memset(out, 0, sizeof(*out));
	struct confine_shared *sh = mmap(NULL, sizeof(*sh),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	/* One datagram waits on each socket, so a permitted receive returns
	 * at once. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
	    0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ov),
	    0);
	cr_assert_eq(send(sv[0], datagram, sizeof(datagram), 0),
	    (ssize_t)sizeof(datagram));
	cr_assert_eq(send(ov[0], datagram, sizeof(datagram), 0),
	    (ssize_t)sizeof(datagram));

	fflush(NULL);
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		close(ov[0]);
		child(policy, call, sh, sv[1], ov[1]);
	}
	close(sv[1]);
	close(ov[1]);
	pid_t w;
	do {
		w = waitpid(pid, &out->status, 0);
	} while (w < 0 && errno == EINTR);
	cr_assert_eq(w, pid, "waitpid: %s", strerror(errno));
	close(sv[0]);
	close(ov[0]);

	out->stage = __atomic_load_n(&sh->stage, __ATOMIC_SEQ_CST);
	out->ret = sh->ret;
	out->err = sh->err;
	out->setup_line = sh->setup_line;
	memcpy(out->install_err, sh->install_err, sizeof(out->install_err));
	out->install_err[sizeof(out->install_err) - 1] = '\0';
	munmap(sh, sizeof(*sh));
}

static void
expect_installed(const struct confine_outcome *o, const char *what)
{
	cr_assert_eq(o->setup_line, 0, "%s: child set-up failed at confine.c:%d",
	    what, o->setup_line);
	cr_assert(!(WIFEXITED(o->status) &&
	    WEXITSTATUS(o->status) == CHILD_INSTALL_FAILED),
	    "%s: installing the filter failed: %s", what, o->install_err);
	cr_assert_neq(o->stage, CONFINE_STAGE_START,
	    "%s: the child %s before its filter was installed", what,
	    confine_describe(o->status));
}

void
expect_killed(const struct kp_seccomp_policy *policy, confine_call *call,
    const char *what)
{
	struct confine_outcome o;

	confine_run(policy, call, &o);
	expect_installed(&o, what);
	cr_assert(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS,
	    "%s must be killed by the %s filter, but the child %s "
	    "(the call %s %ld, errno %s)", what, policy->process,
	    confine_describe(o.status),
	    o.stage == CONFINE_STAGE_RETURNED ? "returned" : "did not return",
	    o.ret, strerrorname_np(o.err) != NULL ? strerrorname_np(o.err) :
	    "0");
	cr_assert_eq(o.stage, CONFINE_STAGE_CALLING,
	    "%s: SIGSYS, but not from the call (stage %d)", what, o.stage);
}

void
expect_allowed(const struct kp_seccomp_policy *policy, confine_call *call,
    const char *what)
{
	struct confine_outcome o;

	confine_run(policy, call, &o);
	expect_installed(&o, what);
	cr_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0,
	    "%s must work under the %s filter, but the child %s", what,
	    policy->process, confine_describe(o.status));
	cr_assert_eq(o.stage, CONFINE_STAGE_RETURNED);
	cr_assert_eq(o.ret, 0, "%s under the %s filter: the check at line %ld "
	    "did not hold (errno %s)", what, policy->process, o.ret,
	    strerrorname_np(o.err) != NULL ? strerrorname_np(o.err) : "0");
}
