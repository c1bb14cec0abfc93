/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for apparmor_parser in the confinement integration tests
 * (tests/integration/test_confinement.py).  The loader runs it with a fixed
 * argv, an empty environment and under the spawner's seccomp filter, so its
 * behaviour comes from the name it is run as (a symlink), and it is a small
 * C program: Python with an empty environment looks the user up through
 * NSS, whose nscd socket the filter rightly refuses.
 *
 *   parser-status  record, then exec the real parser with the same argv
 *   parser-fail    record, print a parser-style error, exit 1
 *   parser-sleep   record, then sleep until killed (--parser-timeout)
 *
 * "record" appends one line to parser-runs.log beside the symlink: the pid,
 * the mode, the credential and confinement lines of /proc/self/status and
 * the arguments.  `--version` is recorded too, then answered by the real
 * parser whatever the mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REAL_PARSER "/sbin/apparmor_parser"
#define RECORD_NAME "parser-runs.log"
#define STATUS_MAX  8192
#define RECORD_MAX  8192

static const char *const status_keys[] = {
	"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
	"CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
};

/* Append "key=value" for each wanted line of /proc/self/status. */
static size_t
add_status(char *out, size_t used, size_t cap)
{
	char buf[STATUS_MAX + 1];
	ssize_t n = 0, got;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return used;
	while (n < STATUS_MAX &&
	    (got = read(fd, buf + n, (size_t)(STATUS_MAX - n))) > 0)
		n += got;
	close(fd);
	buf[n] = '\0';
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		char *colon = strchr(line, ':');
		for (size_t i = 0; colon != NULL &&
		    i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
			size_t klen = strlen(status_keys[i]);
			if ((size_t)(colon - line) != klen ||
			    strncmp(line, status_keys[i], klen) != 0)
				continue;
			char *v = colon + 1;
			v += strspn(v, " \t");
			/* Uid/Gid/Groups are tab- or space-separated lists. */
			for (char *c = v; *c != '\0'; c++)
				if (*c == '\t' || *c == ' ')
					*c = ',';
			int w = snprintf(out + used, cap - used, " %s=%s",
			    status_keys[i], v);
			if (w > 0 && (size_t)w < cap - used)
				used += (size_t)w;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return used;
}

static void
record(const char *self, const char *mode, int argc, char **argv)
{
	char out[RECORD_MAX], path[PATH_MAX];
	const char *slash = strrchr(self, '/');

	if (slash == NULL || snprintf(path, sizeof(path), "%.*s/%s",
	    (int)(slash - self), self, RECORD_NAME) >= (int)sizeof(path))
		return;
	int w = snprintf(out, sizeof(out), "pid=%d ppid=%d mode=%s",
	    (int)getpid(), (int)getppid(), mode);
	size_t used = w > 0 ? (size_t)w : 0;
	used = add_status(out, used, sizeof(out) - 2);
	w = snprintf(out + used, sizeof(out) - 2 - used, " args=");
	if (w > 0 && (size_t)w < sizeof(out) - 2 - used)
		used += (size_t)w;
	for (int i = 1; i < argc; i++) {
		w = snprintf(out + used, sizeof(out) - 2 - used, "%s%s",
		    i > 1 ? "|" : "", argv[i]);
		if (w <= 0 || (size_t)w >= sizeof(out) - 2 - used)
			break;
		used += (size_t)w;
	}
	out[used++] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* One write: concurrent runs never interleave within a line. */
	(void)!write(fd, out, used);
	close(fd);
}

int
main(int argc, char **argv)
{
	const char *self = argv[0];
	const char *mode = strrchr(self, '/');

	mode = mode != NULL ? mode + 1 : self;
	record(self, mode, argc, argv);

	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		mode = "parser-status";
	if (strcmp(mode, "parser-status") == 0) {
		argv[0] = (char *)REAL_PARSER;
		execv(REAL_PARSER, argv);
		fprintf(stderr, "parser_standin: exec %s: %s\n", REAL_PARSER,
		    strerror(errno));
		return 127;
	}
	if (strcmp(mode, "parser-fail") == 0) {
		fprintf(stderr, "AppArmor parser error for %s in profile %s at "
		    "line 2: syntax error, unexpected TOK_ID\n",
		    argv[argc - 1], argv[argc - 1]);
		return 1;
	}
	if (strcmp(mode, "parser-sleep") == 0) {
		struct timespec ts = { .tv_sec = 3600, .tv_nsec = 0 };
		for (;;)
			(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	}
	fprintf(stderr, "parser_standin: unknown mode %s\n", mode);
	return 2;
}
