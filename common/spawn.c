/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kp_spawn_run: run one program with hard limits (see spawn.h and
 * docs/spawn.md).
 *
 * Three processes take part in a run:
 *
 *   caller --clone3--> supervisor --clone3--> target (execs the program)
 *
 * The caller owns the deadline and the output pipe.  The supervisor is a
 * copy of the caller that never execs: it makes itself a child subreaper in
 * a new session, starts the target and waits.  When the target exits, or
 * when the caller closes the control pipe (at the deadline, or because the
 * caller died), the supervisor SIGKILLs through pidfds every child it has
 * and reaps, over and over, until it has no child left.  Being a subreaper,
 * it inherits every orphan of the target's tree, so "no child left" means
 * "no descendant left".  Nothing here calls kill(): the loader's seccomp
 * filter has no kill/tkill/tgkill.
 *
 * Everything between clone and execve runs in a copy of a possibly
 * multi-threaded process: async-signal-safe calls and raw syscalls only, no
 * malloc, no stdio, no locks, no glibc fork() (its atfork handlers take
 * locks another thread may have held at the moment of the copy).
 */
#include "common/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/coverage.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
/* Not from <limits.h>: the project's common/limits.h shadows it here. */
#define INT_MAX_VALUE __INT_MAX__

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Fixed fd numbers inside the supervisor and the target. */
enum {
	SUP_FD_REPORT = 3,      /* supervisor -> caller: one struct report */
	SUP_FD_CONTROL = 4,     /* caller -> supervisor: EOF means "stop now" */
	SUP_FD_FIRST_FREE = 5,
	TARGET_FD_STATUS = 3,   /* target -> supervisor: a failed step, CLOEXEC */
	TARGET_FD_FIRST_FREE = 4,
};

/* Bytes read from the output pipe per wake-up before the deadline is looked
 * at again, and at most after the supervisor is gone. */
#define OUTPUT_READ_BURST   ((size_t)64 * 1024)
#define OUTPUT_FINAL_DRAIN  ((size_t)256 * 1024)

/* Where the one-by-one close stops if RLIMIT_NOFILE reads as unlimited,
 * which the kernel does not allow (it caps the limit at fs.nr_open): the
 * default fs.nr_open. */
#define CLOSE_FDS_FALLBACK_TOP ((rlim_t)1024 * 1024)

/* Steps of the child side that can fail, reported to the caller. */
#define SPAWN_STEPS(X)                          \
	X(NONE,           "none")               \
	X(SIGNALS,        "signals")            \
	X(SETSID,         "setsid")             \
	X(FDS,            "fds")                \
	X(SUBREAPER,      "subreaper")          \
	X(CHDIR,          "chdir")              \
	X(PIPE,           "pipe")               \
	X(CLONE,          "clone")              \
	X(PDEATHSIG,      "pdeathsig")          \
	X(RLIMIT_CORE,    "rlimit-core")        \
	X(RLIMIT_AS,      "rlimit-as")          \
	X(RLIMIT_CPU,     "rlimit-cpu")         \
	X(RLIMIT_NOFILE,  "rlimit-nofile")      \
	X(OOM_SCORE_ADJ,  "oom-score-adj")      \
	X(NO_NEW_PRIVS,   "no-new-privs")       \
	X(EXEC,           "exec")               \
	X(SUPERVISOR,     "supervisor")

enum spawn_step {
#define STEP_ENUM(name, str) STEP_##name,
	SPAWN_STEPS(STEP_ENUM)
#undef STEP_ENUM
	STEP__COUNT
};

static const char *const step_names[] = {
#define STEP_NAME(name, str) [STEP_##name] = (str),
	SPAWN_STEPS(STEP_NAME)
#undef STEP_NAME
};

/* What the target tells the supervisor when it cannot reach execve. */
struct target_status {
	int32_t step;
	int32_t err;
};

enum report_kind {
	REPORT_EXITED = 1,
	REPORT_SIGNALED,
	REPORT_STOPPED,         /* the caller asked; everything was killed */
	REPORT_FAILED,          /* step and err valid */
};

/* What the supervisor tells the caller before it exits. */
struct report {
	int32_t kind;
	int32_t value;          /* exit code or signal */
	int32_t step;
	int32_t err;
};

/* Everything the child side needs, prepared by the caller (no allocation
 * after clone). */
struct spawn_ctx {
	const char *path;
	char *const *argv;
	char *const *envp;
	const struct kp_spawn_limits *limits;
	int devnull;
	int out_w;
	int report_w;
	int control_r;
};

/* The first 64 bytes of struct clone_args (CLONE_ARGS_SIZE_VER0); defined
 * here because <linux/sched.h> clashes with glibc's <sched.h>. */
struct clone_args_v0 {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

/* Raw pidfd syscalls: independent of the glibc version and of sanitizer
 * interceptors. */
static int
sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0U);
}

static int
sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0U);
}

static int
sys_close_range(unsigned first, unsigned last)
{
#ifdef SYS_close_range
	return (int)syscall(SYS_close_range, first, last, 0U);
#else
	(void)first;
	(void)last;
	errno = ENOSYS;
	return -1;
#endif
}

/* ------------------------------------------------------------------------
 * Helpers shared by both sides (async-signal-safe).
 */

static void
close_quietly(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		(void)close(fd);
		errno = saved;
	}
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes unless EOF comes first.  Returns the bytes read,
 * or -1 with errno (EAGAIN on an empty non-blocking pipe). */
static ssize_t
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (got > 0 && errno == EAGAIN)
				break;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Decimal form of v into buf (no NUL); returns the length. */
static size_t
format_long(char *buf, size_t size, long v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && n < sizeof(tmp));
	if (v < 0 && len < size)
		buf[len++] = '-';
	while (n > 0 && len < size)
		buf[len++] = tmp[--n];
	return len;
}

/* Parse a decimal pid at *p (advancing it); 0 when there is none. */
static pid_t
parse_pid(const char **p, const char *end)
{
	long v = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (v < INT_MAX_VALUE / 10)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return (pid_t)v;
}

/* Reap exactly this child (pidfd, or pid on kernels without P_PIDFD).
 * __WALL: the supervisor is created with no exit signal. */
static int
reap(int pidfd, pid_t pid, siginfo_t *info)
{
	for (;;) {
		memset(info, 0, sizeof(*info));
		if (pidfd >= 0 &&
		    waitid((idtype_t)P_PIDFD, (id_t)pidfd, info, WEXITED | __WALL) == 0)
			return 0;
		if (pidfd >= 0 && errno == EINTR)
			continue;
		if (pidfd >= 0 && errno != EINVAL)
			return -1;
		if (waitid(P_PID, (id_t)pid, info, WEXITED | __WALL) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * fork() as a raw syscall that also yields a pidfd for the child.  Returns
 * 0 in the child, the pid in the parent (with *pidfd set), or -1 with errno
 * (then no child exists).
 *
 * clone3(CLONE_PIDFD) first.  Where clone3 is ENOSYS (old kernels, and the
 * default seccomp profiles of container runtimes, which answer ENOSYS so
 * that glibc falls back to clone), clone + pidfd_open: the child then waits
 * at a gate until the parent holds its pidfd, so it never runs a step that
 * we could not stop.
 */
static pid_t
clone_then_pidfd_open(int exit_signal, int *pidfd)
{
	int gate[2];
	long pid;

	if (pipe2(gate, O_CLOEXEC) < 0)
		return -1;
	pid = syscall(SYS_clone, (unsigned long)exit_signal, NULL, NULL, NULL,
	    NULL);
	if (pid < 0) {
		close_quietly(gate[0]);
		close_quietly(gate[1]);
		return -1;
	}
	if (pid == 0) {
		char go;
		(void)close(gate[1]);
		if (read_full(gate[0], &go, 1) != 1)
			_exit(127);
		(void)close(gate[0]);
		return 0;
	}
	(void)close(gate[0]);
	int fd = sys_pidfd_open((pid_t)pid);
	if (fd < 0 || write_full(gate[1], "g", 1) < 0) {
		/* The child reads EOF at the gate and exits at once. */
		int saved = errno;
		siginfo_t info;
		close_quietly(gate[1]);
		(void)reap(fd, (pid_t)pid, &info);
		close_quietly(fd);
		errno = saved;
		return -1;
	}
	(void)close(gate[1]);
	*pidfd = fd;
	return (pid_t)pid;
}

static pid_t
clone_with_pidfd(int exit_signal, int *pidfd)
{
	struct clone_args_v0 args;
	int fd = -1;
	long pid;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)&fd;
	args.exit_signal = (uint64_t)exit_signal;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid > 0)
		*pidfd = fd;
	if (pid >= 0)
		return (pid_t)pid;
	if (errno != ENOSYS)
		return -1;
	return clone_then_pidfd_open(exit_signal, pidfd);
}

/* ------------------------------------------------------------------------
 * Child side: supervisor and target.  Async-signal-safe only.
 */

/* The kernel's struct for rt_sigaction (x86_64 and aarch64 alike). */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* Default disposition for every signal, then an empty mask (the caller
 * blocked everything across the clone): ignored signals and the mask
 * survive execve, and the caller's handlers must not run here.  The raw
 * system call, because glibc refuses to touch the two real-time signals
 * it reserves (32, 33), and an inherited SIG_IGN on those survives exec
 * like any other. */
static int
reset_signals(void)
{
	struct kernel_sigaction ksa;
	sigset_t none;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = SIG_DFL;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL,
		    sizeof(ksa.mask));
	}
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Close every fd >= first.  close_range, else the entries of
 * /proc/self/fd, else every number below the RLIMIT_NOFILE soft limit. */
static int
close_fds_from(int first)
{
	char buf[2048] __attribute__((aligned(8)));
	int dfd;

	if (sys_close_range((unsigned)first, ~0U) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;

	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -1;
		rlim_t top = rl.rlim_cur == RLIM_INFINITY ?
		    CLOSE_FDS_FALLBACK_TOP : rl.rlim_cur;
		for (rlim_t fd = (rlim_t)first; fd < top; fd++)
			(void)close((int)fd);
		return 0;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close_quietly(dfd);
			return -1;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			const char *p = d->d_name;
			pid_t fd = parse_pid(&p, p + strlen(d->d_name));
			off += d->d_reclen;
			if (*p != '\0' || p == d->d_name)
				continue;
			if (fd >= first && fd != dfd)
				(void)close(fd);
		}
	}
	(void)close(dfd);
	return 0;
}

/* Lower a limit; never raise the hard limit (that needs a capability). */
static int
lower_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit cur, want;

	if (getrlimit(resource, &cur) < 0)
		return -1;
	want.rlim_max = hard < cur.rlim_max ? hard : cur.rlim_max;
	want.rlim_cur = soft < want.rlim_max ? soft : want.rlim_max;
	return setrlimit(resource, &want);
}

static int
write_oom_score_adj(int value)
{
	char buf[16];
	size_t len = format_long(buf, sizeof(buf), value);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write_full(fd, buf, len) < 0) {
		close_quietly(fd);
		return -1;
	}
	return close(fd);
}

static void __attribute__((noreturn))
target_fail(int status_fd, enum spawn_step step)
{
	struct target_status st = { .step = (int32_t)step, .err = errno };

	(void)write_full(status_fd, &st, sizeof(st));
	kp_coverage_flush();
	_exit(127);
}

/* The process that becomes the program.  Its stdin/stdout/stderr are
 * already in place (inherited from the supervisor); fd 3 is the
 * supervisor's report pipe until we put the status pipe there. */
static void __attribute__((noreturn))
target_main(const struct spawn_ctx *ctx, int status_fd, pid_t supervisor)
{
	const struct kp_spawn_limits *lim = ctx->limits;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		target_fail(status_fd, STEP_PDEATHSIG);
	if (getppid() != supervisor)
		_exit(127);     /* the supervisor is already gone */
	if (reset_signals() < 0)
		target_fail(status_fd, STEP_SIGNALS);
	if (dup3(status_fd, TARGET_FD_STATUS, O_CLOEXEC) < 0)
		target_fail(status_fd, STEP_FDS);
	status_fd = TARGET_FD_STATUS;
	if (close_fds_from(TARGET_FD_FIRST_FREE) < 0)
		target_fail(status_fd, STEP_FDS);

	if (lower_limit(RLIMIT_CORE, 0, 0) < 0)
		target_fail(status_fd, STEP_RLIMIT_CORE);
	if (lim->as_bytes != 0 &&
	    lower_limit(RLIMIT_AS, lim->as_bytes, lim->as_bytes) < 0)
		target_fail(status_fd, STEP_RLIMIT_AS);
	if (lim->cpu_seconds != 0 &&
	    lower_limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 1) < 0)
		target_fail(status_fd, STEP_RLIMIT_CPU);
	if (lim->nofile != 0 &&
	    lower_limit(RLIMIT_NOFILE, lim->nofile, lim->nofile) < 0)
		target_fail(status_fd, STEP_RLIMIT_NOFILE);
	if (lim->oom_score_adj != KP_SPAWN_OOM_SCORE_ADJ_LEAVE &&
	    write_oom_score_adj(lim->oom_score_adj) < 0)
		target_fail(status_fd, STEP_OOM_SCORE_ADJ);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		target_fail(status_fd, STEP_NO_NEW_PRIVS);

	kp_coverage_flush();
	execve(ctx->path, ctx->argv, ctx->envp);
	target_fail(status_fd, STEP_EXEC);
}

static void __attribute__((noreturn))
supervisor_report(int report_fd, const struct report *rep)
{
	/* SIGPIPE is ignored here: a caller that died gets no report. */
	(void)write_full(report_fd, rep, sizeof(*rep));
	kp_coverage_flush();
	_exit(0);
}

static void __attribute__((noreturn))
supervisor_fail(int report_fd, enum spawn_step step)
{
	struct report rep = {
		.kind = REPORT_FAILED,
		.step = (int32_t)step,
		.err = errno,
	};

	supervisor_report(report_fd, &rep);
}

/* SIGKILL one child by pid.  Safe against pid reuse: a child of ours stays
 * a zombie, holding its pid, until we reap it, and we reap only after. */
static void
kill_child(pid_t pid)
{
	int fd = sys_pidfd_open(pid);

	if (fd >= 0) {
		(void)sys_pidfd_send_signal(fd, SIGKILL);
		(void)close(fd);
	}
}

/* Children from /proc/PID/stat ("pid (comm) state ppid ..."), for kernels
 * built without CONFIG_PROC_CHILDREN. */
static void
kill_children_by_scan(pid_t self)
{
	char buf[2048] __attribute__((aligned(8)));
	char path[64], statbuf[512];
	int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			const char *p = d->d_name;
			pid_t pid = parse_pid(&p, p + strlen(d->d_name));
			off += d->d_reclen;
			if (*p != '\0' || pid <= 0)
				continue;
			size_t len = format_long(path, sizeof(path) - 6, pid);
			memcpy(path + len, "/stat", 6);
			int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			ssize_t got = read_full(fd, statbuf, sizeof(statbuf) - 1);
			(void)close(fd);
			if (got <= 0)
				continue;
			statbuf[got] = '\0';
			const char *end = statbuf + got;
			const char *q = strrchr(statbuf, ')');
			if (q == NULL || end - q < 5)
				continue;
			q += 4; /* ") S " */
			if (parse_pid(&q, end) == self)
				kill_child(pid);
		}
	}
	(void)close(dfd);
}

/* SIGKILL every current child of this (single-threaded) process. */
static void
kill_children(pid_t self)
{
	static const char task_dir[] = "/proc/self/task/";
	char path[64], buf[4096];
	size_t len;
	ssize_t got;
	int fd;

	/* NUL included; the pid overwrites it and "/children" ends path */
	memcpy(path, task_dir, sizeof(task_dir));
	len = sizeof(task_dir) - 1;
	len += format_long(path + len, 24, self);
	memcpy(path + len, "/children", 10);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kill_children_by_scan(self);
		return;
	}
	got = read_full(fd, buf, sizeof(buf));
	(void)close(fd);
	if (got <= 0)
		return;
	/* A full buffer may end inside a number: drop that one, the next
	 * round of the caller's loop sees it again. */
	const char *end = buf + got;
	if ((size_t)got == sizeof(buf))
		while (end > buf && end[-1] != ' ')
			end--;
	for (const char *p = buf; p < end;) {
		pid_t pid = parse_pid(&p, end);
		if (pid > 0)
			kill_child(pid);
		while (p < end && (*p < '0' || *p > '9'))
			p++;
	}
}

/*
 * Kill and reap every descendant.  Each round kills all current children
 * and reaps one; orphans of killed processes are reparented to us (we are
 * a subreaper) before their parent becomes reapable, so the next round
 * sees them.  ECHILD therefore means no descendant is left.  A process
 * stuck in uninterruptible sleep keeps us waiting here; the caller's grace
 * timer covers that.
 */
static void
sweep_descendants(pid_t self)
{
	for (;;) {
		siginfo_t info;
		kill_children(self);
		if (waitid(P_ALL, 0, &info, WEXITED | __WALL) == 0)
			continue;
		if (errno != EINTR)
			return;
	}
}

/* Move fd to a number >= SUP_FD_FIRST_FREE so that the dup2s below never
 * clobber one another, whatever numbers the caller's fds had. */
static int
lift_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, SUP_FD_FIRST_FREE);
}

static void __attribute__((noreturn))
supervisor_main(const struct spawn_ctx *ctx)
{
	int report_fd = ctx->report_w;
	pid_t self = getpid();
	int devnull, out_w, report_w, control_r;
	int status[2];
	int target_pidfd = -1;
	pid_t target;

	if (reset_signals() < 0)
		supervisor_fail(report_fd, STEP_SIGNALS);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		supervisor_fail(report_fd, STEP_SIGNALS);
	/* A new session: the terminal's signals and the caller's process
	 * group are not ours; the whole tree below lives in this session. */
	if (setsid() < 0)
		supervisor_fail(report_fd, STEP_SETSID);

	devnull = lift_fd(ctx->devnull);
	out_w = lift_fd(ctx->out_w);
	report_w = lift_fd(ctx->report_w);
	control_r = lift_fd(ctx->control_r);
	if (devnull < 0 || out_w < 0 || report_w < 0 || control_r < 0)
		supervisor_fail(report_fd, STEP_FDS);
	report_fd = report_w;
	if (dup2(devnull, STDIN_FILENO) < 0 ||
	    dup2(out_w, STDOUT_FILENO) < 0 ||
	    dup2(out_w, STDERR_FILENO) < 0 ||
	    dup3(report_w, SUP_FD_REPORT, O_CLOEXEC) < 0)
		supervisor_fail(report_fd, STEP_FDS);
	report_fd = SUP_FD_REPORT;
	if (dup3(control_r, SUP_FD_CONTROL, O_CLOEXEC) < 0 ||
	    close_fds_from(SUP_FD_FIRST_FREE) < 0)
		supervisor_fail(report_fd, STEP_FDS);

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		supervisor_fail(report_fd, STEP_SUBREAPER);
	/* The supervisor is a copy of the caller's memory: never dump it. */
	if (lower_limit(RLIMIT_CORE, 0, 0) < 0)
		supervisor_fail(report_fd, STEP_RLIMIT_CORE);
	if (chdir("/") < 0)
		supervisor_fail(report_fd, STEP_CHDIR);
	if (pipe2(status, O_CLOEXEC) < 0)
		supervisor_fail(report_fd, STEP_PIPE);

	target = clone_with_pidfd(SIGCHLD, &target_pidfd);
	if (target < 0)
		supervisor_fail(report_fd, STEP_CLONE);
	if (target == 0)
		target_main(ctx, status[1], self);
	(void)close(status[1]);

	struct pollfd pfd[3] = {
		{ .fd = target_pidfd, .events = POLLIN },
		{ .fd = SUP_FD_CONTROL, .events = POLLIN },
		{ .fd = status[0], .events = POLLIN },
	};
	struct target_status st = { .step = STEP_NONE, .err = 0 };
	bool stop = false;

	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			stop = true;    /* cannot wait: fail closed */
			break;
		}
		if (pfd[2].revents != 0) {
			/* EOF: the exec succeeded.  A record: it failed. */
			if (read_full(status[0], &st, sizeof(st)) != sizeof(st))
				st.step = STEP_NONE;
			(void)close(status[0]);
			pfd[2].fd = -1;
		}
		if (pfd[1].revents != 0) {
			stop = true;
			break;
		}
		if (pfd[0].revents != 0)
			break;
	}

	struct report rep = { .kind = REPORT_STOPPED };
	if (stop) {
		(void)sys_pidfd_send_signal(target_pidfd, SIGKILL);
	} else {
		siginfo_t info;
		if (pfd[2].fd >= 0 &&
		    read_full(status[0], &st, sizeof(st)) != sizeof(st))
			st.step = STEP_NONE;
		if (reap(target_pidfd, target, &info) < 0) {
			rep.kind = REPORT_FAILED;
			rep.step = STEP_SUPERVISOR;
			rep.err = errno;
		} else if (st.step != STEP_NONE) {
			rep.kind = REPORT_FAILED;
			rep.step = st.step;
			rep.err = st.err;
		} else if (info.si_code == CLD_EXITED) {
			rep.kind = REPORT_EXITED;
			rep.value = info.si_status;
		} else {
			rep.kind = REPORT_SIGNALED;
			rep.value = info.si_status;
		}
	}
	/* Whatever happened, nothing the program started outlives the run. */
	sweep_descendants(self);
	supervisor_report(report_fd, &rep);
}

/* ------------------------------------------------------------------------
 * Caller side.
 */

struct output_sink {
	char *buf;
	size_t cap;
	size_t len;
	bool truncated;
};

/* Read at most max_bytes of what the pipe holds now.  Returns 1 at EOF, 0
 * when the pipe is empty or max_bytes were read, -1 on a read error. */
static int
sink_drain(struct output_sink *s, int fd, size_t max_bytes)
{
	char scratch[4096];
	size_t got = 0;

	while (got < max_bytes) {
		char *dst = scratch;
		size_t want = sizeof(scratch);
		if (s->len < s->cap) {
			dst = s->buf + s->len;
			want = s->cap - s->len;
		}
		ssize_t n = read(fd, dst, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		if (n == 0)
			return 1;
		if (dst == scratch)
			s->truncated = true;
		else
			s->len += (size_t)n;
		got += (size_t)n;
	}
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static bool
limits_valid(const struct kp_spawn_limits *lim)
{
	if (lim->timeout_ms == 0 || lim->output_cap > KP_SPAWN_OUTPUT_CAP_MAX)
		return false;
	if (lim->oom_score_adj != KP_SPAWN_OOM_SCORE_ADJ_LEAVE &&
	    (lim->oom_score_adj < -1000 || lim->oom_score_adj > 1000))
		return false;
	if (lim->cpu_seconds == RLIM_INFINITY)
		return false;   /* soft + 1 would wrap */
	return true;
}

void
kp_spawn_limits_default(struct kp_spawn_limits *limits)
{
	memset(limits, 0, sizeof(*limits));
	limits->timeout_ms = KP_SPAWN_DEFAULT_TIMEOUT_MS;
	limits->as_bytes = KP_SPAWN_DEFAULT_AS_BYTES;
	limits->cpu_seconds = KP_SPAWN_DEFAULT_CPU_SECONDS;
	limits->output_cap = KP_SPAWN_DEFAULT_OUTPUT_CAP;
	limits->oom_score_adj = KP_SPAWN_DEFAULT_OOM_SCORE_ADJ;
	limits->nofile = KP_SPAWN_DEFAULT_NOFILE;
}

const char *
kp_spawn_outcome_name(enum kp_spawn_outcome outcome)
{
	switch (outcome) {
	case KP_SPAWN_EXITED:
		return "exited";
	case KP_SPAWN_SIGNALED:
		return "signaled";
	case KP_SPAWN_TIMEOUT:
		return "timeout";
	case KP_SPAWN_ERROR:
		return "error";
	}
	return "unknown";
}

void
kp_spawn_result_free(struct kp_spawn_result *res)
{
	if (res == NULL)
		return;
	free(res->output);
	res->output = NULL;
	res->output_len = 0;
}

/* The fds of one run, owned by the caller side. */
struct run_fds {
	int devnull;
	int out[2];
	int report[2];
	int control[2];
	int pidfd;
};

static void
run_fds_close(struct run_fds *f)
{
	close_quietly(f->devnull);
	close_quietly(f->out[0]);
	close_quietly(f->out[1]);
	close_quietly(f->report[0]);
	close_quietly(f->report[1]);
	close_quietly(f->control[0]);
	close_quietly(f->control[1]);
	close_quietly(f->pidfd);
	f->devnull = f->out[0] = f->out[1] = f->report[0] = f->report[1] = -1;
	f->control[0] = f->control[1] = f->pidfd = -1;
}

static int
run_fds_open(struct run_fds *f)
{
	f->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (f->devnull < 0)
		return -1;
	/* The program's end of the output pipe must stay blocking; ours is
	 * not, so that reading never waits past the deadline. */
	if (pipe2(f->out, O_CLOEXEC) < 0 ||
	    fcntl(f->out[0], F_SETFL, O_NONBLOCK) < 0)
		return -1;
	if (pipe2(f->report, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (pipe2(f->control, O_CLOEXEC) < 0)
		return -1;
	return 0;
}

/* Wait for the supervisor, collecting output, enforcing the deadline.
 * Returns true when the deadline passed. */
static bool
wait_for_supervisor(struct run_fds *f, unsigned timeout_ms,
    struct output_sink *sink)
{
	int64_t deadline = now_ms() + timeout_ms;
	bool timed_out = false, sent_kill = false;

	for (;;) {
		int64_t now = now_ms();
		int wait = -1;

		if (!timed_out && now >= deadline) {
			/* Closing the control pipe tells the supervisor to kill
			 * everything below it; give it a grace period. */
			timed_out = true;
			close_quietly(f->control[1]);
			f->control[1] = -1;
			deadline = now + KP_SPAWN_KILL_GRACE_MS;
		} else if (timed_out && !sent_kill && now >= deadline) {
			(void)sys_pidfd_send_signal(f->pidfd, SIGKILL);
			sent_kill = true;
		}
		if (!sent_kill) {
			int64_t left = deadline - now;
			wait = left > INT_MAX_VALUE ? INT_MAX_VALUE : (int)(left < 0 ? 0 : left);
		}

		struct pollfd pfd[2] = {
			{ .fd = f->pidfd, .events = POLLIN },
			{ .fd = f->out[0], .events = POLLIN },
		};
		int n = poll(pfd, 2, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Cannot wait: stop the run rather than block. */
			if (!sent_kill)
				(void)sys_pidfd_send_signal(f->pidfd, SIGKILL);
			return timed_out;
		}
		if (pfd[1].revents != 0) {
			int r = sink_drain(sink, f->out[0], OUTPUT_READ_BURST);
			if (r != 0) {
				/* EOF or error: stop polling the pipe. */
				close_quietly(f->out[0]);
				f->out[0] = -1;
			}
		}
		if (pfd[0].revents != 0)
			return timed_out;
	}
}

static void
fill_from_report(struct kp_spawn_result *res, const struct report *rep,
    bool have_report)
{
	res->outcome = KP_SPAWN_ERROR;
	if (!have_report) {
		/* The supervisor died without a word (killed from outside). */
		res->errno_value = ECHILD;
		res->error_step = step_names[STEP_SUPERVISOR];
		return;
	}
	switch ((enum report_kind)rep->kind) {
	case REPORT_EXITED:
		res->outcome = KP_SPAWN_EXITED;
		res->exit_code = rep->value;
		return;
	case REPORT_SIGNALED:
		res->outcome = KP_SPAWN_SIGNALED;
		res->term_signal = rep->value;
		return;
	case REPORT_FAILED:
		res->errno_value = rep->err;
		res->error_step = rep->step > STEP_NONE && rep->step < STEP__COUNT ?
		    step_names[rep->step] : step_names[STEP_SUPERVISOR];
		return;
	case REPORT_STOPPED:
		break;
	}
	/* Stopped although we did not ask, or garbage: an error. */
	res->errno_value = EPROTO;
	res->error_step = step_names[STEP_SUPERVISOR];
}

int
kp_spawn_run(const char *path, char *const argv[],
    const struct kp_spawn_limits *limits, struct kp_spawn_result *res)
{
	char *const empty_env[] = { NULL };
	struct run_fds f = {
		-1, { -1, -1 }, { -1, -1 }, { -1, -1 }, -1
	};
	struct output_sink sink;
	struct timespec start;
	siginfo_t info;
	struct report rep;
	pid_t pid;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (path == NULL || path[0] != '/' || argv == NULL || argv[0] == NULL ||
	    limits == NULL || res == NULL || !limits_valid(limits)) {
		errno = EINVAL;
		return -1;
	}

	memset(&sink, 0, sizeof(sink));
	sink.cap = limits->output_cap;
	sink.buf = malloc(sink.cap + 1);
	if (sink.buf == NULL)
		return -1;
	if (run_fds_open(&f) < 0)
		goto fail;

	struct spawn_ctx ctx = {
		.path = path,
		.argv = argv,
		.envp = empty_env,
		.limits = limits,
		.devnull = f.devnull,
		.out_w = f.out[1],
		.report_w = f.report[1],
		.control_r = f.control[0],
	};

	/* Block every signal across the clone, so that none of the caller's
	 * handlers runs in the supervisor before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	errno = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (errno != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* No exit signal: the caller's SIGCHLD handling (or SIG_IGN, which
	 * would auto-reap) is neither disturbed nor able to steal the
	 * status. */
	pid = clone_with_pidfd(0, &f.pidfd);
	if (pid == 0)
		supervisor_main(&ctx);
	int clone_errno = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = clone_errno;
		goto fail;
	}

	close_quietly(f.devnull);
	close_quietly(f.out[1]);
	close_quietly(f.report[1]);
	close_quietly(f.control[0]);
	f.devnull = f.out[1] = f.report[1] = f.control[0] = -1;

	bool timed_out = wait_for_supervisor(&f, limits->timeout_ms, &sink);
	if (reap(f.pidfd, pid, &info) < 0)
		goto fail;      /* cannot happen for our own child */
	res->elapsed_seconds = seconds_since(&start);

	/* Normally every writer is gone now and this reads up to EOF; after a
	 * forced kill some may remain, so the drain is bounded. */
	if (f.out[0] >= 0)
		(void)sink_drain(&sink, f.out[0], OUTPUT_FINAL_DRAIN);
	bool have_report = read_full(f.report[0], &rep, sizeof(rep)) ==
	    (ssize_t)sizeof(rep);

	if (timed_out)
		res->outcome = KP_SPAWN_TIMEOUT;
	else
		fill_from_report(res, &rep, have_report);
	sink.buf[sink.len] = '\0';
	res->output = sink.buf;
	res->output_len = sink.len;
	res->output_truncated = sink.truncated;
	run_fds_close(&f);
	return 0;

fail:;
	int saved = errno;
	run_fds_close(&f);
	free(sink.buf);
	memset(res, 0, sizeof(*res));
	errno = saved;
	return -1;
}
