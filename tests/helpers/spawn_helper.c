/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The program tests/common/test_spawn.c runs through kp_spawn_run: one mode
 * per property to observe from inside the child.  Output goes through
 * write(2) only, so nothing is lost in a stdio buffer when the process is
 * killed.  Built without sanitizers: it must start under a small RLIMIT_AS.
 *
 *   exit N            exit with status N
 *   signal N          raise signal N
 *   sleep             sleep until killed
 *   write N           write N bytes to stdout, exit 0
 *   mixed             "out1\n" stdout, "err1\n" stderr, "out2\n" stdout
 *   fds               "fd N" per open fd, then "env N" (entries in environ)
 *   stdin             "stdin devnull" or "stdin other", then "read N"
 *   alloc MIB         malloc and touch MIB MiB: "alloc ok" / exit 3
 *   spin              burn CPU until killed
 *   oom               print /proc/self/oom_score_adj
 *   status            process attributes, one "name value" per line
 *   grandchild-wait   fork a grandchild that ignores SIGTERM and sleeps in
 *                     its own session; print "grandchild PID"; sleep
 *   grandchild-exit   the same, but exit 0 at once
 *   chain             fork a child that forks such a grandchild and exits;
 *                     print "grandchild PID"; exit 0
 *   pidfile PATH      grandchild as above, write "PID GRANDCHILD_PID\n" to
 *                     PATH (atomically), sleep
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void
put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
put(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		_exit(90);
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (int off = 0; off < n;) {
		ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(91);
		off += (int)w;
	}
}

static void
sleep_forever(void)
{
	for (;;)
		pause();
}

/* A grandchild that a SIGTERM-based cleanup would miss. */
static pid_t
fork_stubborn(void)
{
	pid_t pid = fork();

	if (pid < 0)
		_exit(92);
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		(void)setsid();
		sleep_forever();
	}
	return pid;
}

static int
mode_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t nenv = 0;

	if (d == NULL)
		return 93;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		put("fd %d\n", fd);
	}
	closedir(d);
	for (char **p = environ; p != NULL && *p != NULL; p++)
		nenv++;
	put("env %zu\n", nenv);
	return 0;
}

static int
mode_stdin(void)
{
	struct stat in, null;
	char c;

	if (fstat(STDIN_FILENO, &in) < 0 || stat("/dev/null", &null) < 0)
		return 94;
	put("stdin %s\n", S_ISCHR(in.st_mode) && in.st_rdev == null.st_rdev ?
	    "devnull" : "other");
	put("read %zd\n", read(STDIN_FILENO, &c, 1));
	return 0;
}

static int
mode_alloc(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = malloc(len);

	if (p == NULL) {
		put("alloc failed\n");
		return 3;
	}
	memset(p, 1, len);
	put("alloc ok %d\n", p[len - 1]);
	free(p);
	return 0;
}

static void
print_file_line(const char *path, const char *prefix)
{
	char buf[4096];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		put("%s unreadable\n", prefix);
		return;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (prefix[0] == '\0' || strncmp(buf, prefix, strlen(prefix)) == 0)
			put("%s", buf);
	}
	fclose(f);
}

static void
put_limit(const char *name, int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0) {
		put("%s error\n", name);
		return;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		put("%s soft inf", name);
	else
		put("%s soft %llu", name, (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		put(" hard inf\n");
	else
		put(" hard %llu\n", (unsigned long long)rl.rlim_max);
}

static int
mode_status(void)
{
	int sig = -1;
	char cwd[256];

	print_file_line("/proc/self/status", "NoNewPrivs:");
	print_file_line("/proc/self/status", "SigBlk:");
	print_file_line("/proc/self/status", "SigIgn:");
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0)
		sig = -1;
	put("pdeathsig %d\n", sig);
	put("session-leader-is-parent %d\n", getsid(0) == getppid());
	put("pgrp-is-session %d\n", getpgrp() == getsid(0));
	put("cwd %s\n", getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "?");
	put_limit("core", RLIMIT_CORE);
	put_limit("nofile", RLIMIT_NOFILE);
	put_limit("cpu", RLIMIT_CPU);
	put_limit("as", RLIMIT_AS);
	return 0;
}

static int
mode_pidfile(const char *path)
{
	pid_t child = fork_stubborn();
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return 95;
	f = fopen(tmp, "w");
	if (f == NULL)
		return 96;
	fprintf(f, "%d %d\n", (int)getpid(), (int)child);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return 97;
	sleep_forever();
	return 0;
}

static int
mode_chain(void)
{
	int fds[2];
	pid_t mid;
	int gc = 0;

	if (pipe(fds) < 0)
		return 98;
	mid = fork();
	if (mid < 0)
		return 98;
	if (mid == 0) {
		pid_t g = fork_stubborn();
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], &gc, sizeof(gc)) != sizeof(gc))
		return 99;
	(void)waitpid(mid, NULL, 0);
	put("grandchild %d\n", gc);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "0";

	if (strcmp(mode, "exit") == 0)
		return atoi(arg);
	if (strcmp(mode, "signal") == 0) {
		raise(atoi(arg));
		return 100;
	}
	if (strcmp(mode, "sleep") == 0)
		sleep_forever();
	if (strcmp(mode, "write") == 0) {
		static char chunk[65536];
		long left = atol(arg);
		memset(chunk, 'x', sizeof(chunk));
		while (left > 0) {
			size_t n = left < (long)sizeof(chunk) ? (size_t)left :
			    sizeof(chunk);
			ssize_t w = write(STDOUT_FILENO, chunk, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return 101;
			left -= w;
		}
		return 0;
	}
	if (strcmp(mode, "mixed") == 0) {
		put("out1\n");
		if (write(STDERR_FILENO, "err1\n", 5) != 5)
			return 102;
		put("out2\n");
		return 0;
	}
	if (strcmp(mode, "fds") == 0)
		return mode_fds();
	if (strcmp(mode, "stdin") == 0)
		return mode_stdin();
	if (strcmp(mode, "alloc") == 0)
		return mode_alloc(atol(arg));
	if (strcmp(mode, "spin") == 0) {
		volatile unsigned long x = 0;
		for (;;)
			x++;
	}
	if (strcmp(mode, "oom") == 0) {
		print_file_line("/proc/self/oom_score_adj", "");
		return 0;
	}
	if (strcmp(mode, "status") == 0)
		return mode_status();
	if (strcmp(mode, "grandchild-wait") == 0) {
		put("grandchild %d\n", (int)fork_stubborn());
		sleep_forever();
	}
	if (strcmp(mode, "grandchild-exit") == 0) {
		put("grandchild %d\n", (int)fork_stubborn());
		return 0;
	}
	if (strcmp(mode, "chain") == 0)
		return mode_chain();
	if (strcmp(mode, "pidfile") == 0 && argc > 2)
		return mode_pidfile(argv[2]);
	put("usage: spawn_helper MODE [ARG]\n");
	return 2;
}
