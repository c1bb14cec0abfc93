/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for apparmor_parser in the daemon's integration tests
 * (tests/integration/test_daemon_*.py), one executable per mode.  The
 * loader runs the parser with a fixed argv, an empty environment and under
 * the spawner's seccomp filter (no kill/tgkill, no unlink, no pause...), so
 * the mode is chosen at build time and only the calls apparmor_parser
 * itself makes are used here: a Python stand-in dies of SIGSYS.
 *
 *   DAEMON_PARSER_WRAP    run /sbin/apparmor_parser with the same argv,
 *                         wait until the fake kernel (the parent of the
 *                         --subdomainfs directory) took in what it wrote,
 *                         log the run as op "parser" in fake-kernel.log
 *                         (argv, rc, signal, seconds, t, mono), exit as
 *                         the parser did (128+N when it died of signal N)
 *   DAEMON_PARSER_RECORD  first record what the loader gave us as one JSON
 *                         line in <state>/standin-parser.jsonl (open fds,
 *                         environment, /proc/self/status and stat, limits,
 *                         oom_score_adj), then as WRAP
 *   DAEMON_PARSER_HANG    record, start a child that sleeps too (its pid
 *                         is "grandchild"), sleep: --parser-timeout must
 *                         kill both
 *   DAEMON_PARSER_CRASH   record, then die of SIGILL
 *   DAEMON_PARSER_FAIL    record, print a parser-style error, exit 1
 *
 * `--version` always runs the real parser (the loader asks once at start);
 * WRAP and RECORD log that run too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAL_PARSER   "/sbin/apparmor_parser"
#define RECORD_NAME   "standin-parser.jsonl"
#define LOG_NAME      "fake-kernel.log"
#define CTL_NAME      "fake-kernel.ctl"
#define ACK_PREFIX    "fake-kernel.ack."
#define FD_PROBE_MAX  1024
#define SYNC_WAIT_MS  10000
#define JSON_MAX      (256 * 1024)
#define FILE_READ_MAX 8192

#if defined(DAEMON_PARSER_WRAP) || defined(DAEMON_PARSER_RECORD)
# define RUNS_REAL_PARSER 1
#endif

extern char **environ;

struct buf {
	char data[JSON_MAX];
	size_t len;
	int overflow;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, sizeof(b->data) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b->data) - b->len) {
		b->overflow = 1;
		return;
	}
	b->len += (size_t)n;
}

static void
put_str(struct buf *b, const char *s)
{
	put(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			put(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			put(b, "\\u%04x", *p);
		else
			put(b, "%c", *p);
	}
	put(b, "\"");
}

static void
put_argv(struct buf *b, int argc, char **argv)
{
	put(b, "[");
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			put(b, ",");
		put_str(b, argv[i]);
	}
	put(b, "]");
}

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifdef RUNS_REAL_PARSER
static void
nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}
#endif

/* The fake kernel's directory: the parent of --subdomainfs DIR. */
static int
state_dir(int argc, char **argv, char *out, size_t len)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--subdomainfs") != 0 && strcmp(argv[i], "-f") != 0)
			continue;
		if (snprintf(out, len, "%s", argv[i + 1]) >= (int)len)
			return -1;
		size_t n = strlen(out);
		while (n > 1 && out[n - 1] == '/')
			out[--n] = '\0';
		char *slash = strrchr(out, '/');
		if (slash == NULL)
			return -1;
		if (slash == out)
			slash[1] = '\0';
		else
			*slash = '\0';
		return 0;
	}
	return -1;
}

static int
append_line(const char *dir, const char *name, const struct buf *b)
{
	char path[PATH_MAX];
	int fd;

	if (b->overflow || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, b->data, b->len);
	close(fd);
	return n == (ssize_t)b->len ? 0 : -1;
}

#if !defined(DAEMON_PARSER_WRAP)
static void
read_small(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	while (used + 1 < len) {
		ssize_t n = read(fd, out + used, len - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
	close(fd);
}

/* Which fds are open, probed with fcntl so that nothing is opened first. */
static int open_fds[FD_PROBE_MAX];
static int nopen;

static void
probe_fds(void)
{
	for (int fd = 0; fd < FD_PROBE_MAX; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			open_fds[nopen++] = fd;
	}
}

static void
record(int argc, char **argv, const char *mode, pid_t grandchild)
{
	static struct buf b;
	static char text[FILE_READ_MAX];
	char dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	struct rlimit rl;

	if (state_dir(argc, argv, dir, sizeof(dir)) != 0)
		return;
	b.len = 0;
	put(&b, "{\"mode\":");
	put_str(&b, mode);
	put(&b, ",\"pid\":%d,\"ppid\":%d,\"argv\":", (int)getpid(), (int)getppid());
	put_argv(&b, argc, argv);
	put(&b, ",\"fds\":{");
	for (int i = 0; i < nopen; i++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", open_fds[i]);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		put(&b, "%s\"%d\":", i ? "," : "", open_fds[i]);
		put_str(&b, target);
	}
	put(&b, "},\"env\":[");
	for (char **e = environ; e != NULL && *e != NULL; e++) {
		put(&b, "%s", e == environ ? "" : ",");
		put_str(&b, *e);
	}
	put(&b, "]");
	getrlimit(RLIMIT_AS, &rl);
	put(&b, ",\"rlimit_as\":%lld", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	getrlimit(RLIMIT_CORE, &rl);
	put(&b, ",\"rlimit_core\":%lld", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	getrlimit(RLIMIT_NOFILE, &rl);
	put(&b, ",\"rlimit_nofile\":%lld", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	read_small("/proc/self/oom_score_adj", text, sizeof(text));
	put(&b, ",\"oom_score_adj\":%d", atoi(text));
	read_small("/proc/self/stat", text, sizeof(text));
	put(&b, ",\"stat\":");
	put_str(&b, text);
	read_small("/proc/self/status", text, sizeof(text));
	put(&b, ",\"status\":");
	put_str(&b, text);
	put(&b, ",\"grandchild\":%d,\"t\":%.6f}\n", (int)grandchild, now(CLOCK_REALTIME));
	(void)append_line(dir, RECORD_NAME, &b);
}
#endif

static void
exec_real(int argc, char **argv)
{
	char *args[64];
	int n = 0;

	args[n++] = REAL_PARSER;
	for (int i = 1; i < argc && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execve(REAL_PARSER, args, environ);
	_exit(127);
}

#ifdef RUNS_REAL_PARSER
/* Ask the fake kernel to take in everything written so far; wait for its
 * acknowledgement file (left in place: unlink is not ours to call here). */
static int
sync_fake_kernel(const char *dir)
{
	char ctl[PATH_MAX], ack[PATH_MAX], req[PATH_MAX + 16];
	struct stat st;

	if (snprintf(ctl, sizeof(ctl), "%s/%s", dir, CTL_NAME) >= (int)sizeof(ctl) ||
	    snprintf(ack, sizeof(ack), "%s/%s%d.0.%lld", dir, ACK_PREFIX, (int)getpid(),
	    (long long)(now(CLOCK_MONOTONIC) * 1e9)) >= (int)sizeof(ack))
		return -1;
	int fd = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int len = snprintf(req, sizeof(req), "sync %s\n", ack);
	ssize_t w = write(fd, req, (size_t)len);
	close(fd);
	if (w != len)
		return -1;
	for (long waited = 0; waited < SYNC_WAIT_MS; waited++) {
		if (stat(ack, &st) == 0)
			return 0;
		nap_ms(1);
	}
	return -1;
}

static int
wrap(int argc, char **argv)
{
	static struct buf b;
	char dir[PATH_MAX];
	double t0 = now(CLOCK_MONOTONIC);
	int status = 0;

	pid_t pid = fork();
	if (pid < 0)
		return 126;
	if (pid == 0)
		exec_real(argc, argv);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 126;
	}
	double seconds = now(CLOCK_MONOTONIC) - t0;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (state_dir(argc, argv, dir, sizeof(dir)) != 0)
		return rc;
	int synced = sync_fake_kernel(dir);
	b.len = 0;
	put(&b, "{\"op\":\"parser\",\"argv\":");
	put_argv(&b, argc, argv);
	if (WIFEXITED(status))
		put(&b, ",\"rc\":%d,\"signal\":null", WEXITSTATUS(status));
	else
		put(&b, ",\"rc\":null,\"signal\":%d", WTERMSIG(status));
	put(&b, ",\"seconds\":%.6f,\"t\":%.6f,\"mono\":%.6f%s}\n", seconds, now(CLOCK_REALTIME),
	    now(CLOCK_MONOTONIC), synced == 0 ? "" : ",\"sync_error\":\"no acknowledgement\"");
	(void)append_line(dir, LOG_NAME, &b);
	return rc;
}
#endif

int
main(int argc, char **argv)
{
#if defined(DAEMON_PARSER_WRAP)
	return wrap(argc, argv);
#else
	probe_fds(); /* first: before anything is opened */
	int version = argc == 2 && strcmp(argv[1], "--version") == 0;
# if defined(DAEMON_PARSER_RECORD)
	if (!version)
		record(argc, argv, "record", 0);
	return wrap(argc, argv);
# else
	if (version)
		exec_real(argc, argv);
#  if defined(DAEMON_PARSER_HANG)
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			(void)poll(NULL, 0, -1);
	}
	record(argc, argv, "hang", child);
	for (;;)
		(void)poll(NULL, 0, -1);
#  elif defined(DAEMON_PARSER_CRASH)
	record(argc, argv, "crash", 0);
	__builtin_trap(); /* SIGILL from the kernel: raise() would need tgkill */
#  elif defined(DAEMON_PARSER_FAIL)
	record(argc, argv, "fail", 0);
	fprintf(stderr, "AppArmor parser error for %s in profile %s at line 2: "
	    "syntax error, unexpected TOK_ID\n", argv[argc - 1], argv[argc - 1]);
	return 1;
#  else
#   error "define one DAEMON_PARSER_* mode"
#  endif
# endif
#endif
}
