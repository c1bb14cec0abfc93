/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/inuse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/fsutil.h"

#define MODE_NAME_MAX   16      /* "enforce", "complain", "unconfined"... */
#define STACK_SEP       "//&"
#define HNAME_SEP       "//"
#define PF_KTHREAD_FLAG 0x00200000UL /* include/linux/sched.h */
#define STAT_READ_MAX   4096

static void
set_reason(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_reason(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- label parsing ---- */

/* Drop a trailing " (word)" with word in [a-z]{1,MODE_NAME_MAX}.  Anything
 * else that ends in ')' is left alone: quoted profile names may hold
 * parentheses. */
static void
strip_mode(const char *p, size_t *n)
{
	size_t i, len = *n;

	if (len < 4 || p[len - 1] != ')')
		return;
	for (i = len - 1; i > 0; i--) {
		char c = p[i - 1];

		if (c == '(')
			break;
		if (c < 'a' || c > 'z')
			return;
	}
	/* p[i - 1] is '(' and p[i .. len-2] is the word. */
	if (i < 2 || p[i - 2] != ' ')
		return;
	if (len - 1 - i == 0 || len - 1 - i > MODE_NAME_MAX)
		return;
	*n = i - 2;
}

static const char *
find_sep(const char *p, size_t n, const char *sep)
{
	size_t slen = strlen(sep);

	if (n < slen)
		return NULL;
	for (size_t i = 0; i + slen <= n; i++) {
		if (memcmp(p + i, sep, slen) == 0)
			return p + i;
	}
	return NULL;
}

/* in_stack: the component is one of several; older kernels printed a mode
 * after each. */
static bool
parse_component(const char *p, size_t n, bool in_stack, struct kp_label *out)
{
	const char *sep;

	if (in_stack)
		strip_mode(p, &n);
	if (n == 0)
		return false;
	if (p[0] == ':') {
		const char *colon = memchr(p + 1, ':', n - 1);

		if (colon == NULL || colon == p + 1)
			return false;
		n -= (size_t)(colon + 1 - p);
		p = colon + 1;
		if (n >= 2 && memcmp(p, HNAME_SEP, 2) == 0) {
			p += 2;
			n -= 2;
		}
		if (n == 0)
			return false;
	}
	sep = find_sep(p, n, HNAME_SEP);
	if (sep != NULL)
		n = (size_t)(sep - p);
	if (n == 0)
		return false;
	if (n == strlen("unconfined") && memcmp(p, "unconfined", n) == 0)
		return true;
	if (out->count == KP_LABEL_PROFILES_MAX)
		return false;
	out->names[out->count].ptr = p;
	out->names[out->count].len = n;
	out->count++;
	return true;
}

enum kp_label_status
kp_label_parse(const char *buf, size_t len, struct kp_label *out)
{
	size_t start = 0;

	out->count = 0;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	if (len == 0)
		return KP_LABEL_INVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c == 0x7f)
			return KP_LABEL_INVALID;
	}
	strip_mode(buf, &len);
	if (len == 0)
		return KP_LABEL_INVALID;
	for (;;) {
		const char *sep = find_sep(buf + start, len - start, STACK_SEP);
		size_t end = sep != NULL ? (size_t)(sep - buf) : len;

		bool in_stack = start > 0 || sep != NULL;

		if (!parse_component(buf + start, end - start, in_stack, out)) {
			out->count = 0;
			return KP_LABEL_INVALID;
		}
		if (sep == NULL)
			break;
		start = end + strlen(STACK_SEP);
	}
	return KP_LABEL_OK;
}

/* ---- scanning ---- */

struct scan {
	struct kp_inuse_candidate *cands;
	size_t *order;          /* candidate indexes sorted by name */
	size_t n;
	struct kp_inuse_report *report;
};

static int
name_cmp_n(const char *name, const char *p, size_t n)
{
	int c = strncmp(name, p, n);

	if (c != 0)
		return c;
	return name[n] == '\0' ? 0 : 1;
}

static int
order_cmp(const void *a, const void *b, void *arg)
{
	const struct kp_inuse_candidate *cands = arg;
	const size_t *ia = a, *ib = b;

	return strcmp(cands[*ia].name, cands[*ib].name);
}

static void
mark(struct scan *s, size_t idx, pid_t pid, pid_t tid)
{
	struct kp_inuse_candidate *c = &s->cands[idx];

	if (c->in_use)
		return;
	c->in_use = true;
	c->pid = pid;
	c->tid = tid;
}

static void
match_name(struct scan *s, const char *p, size_t len, pid_t pid, pid_t tid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp_n(s->cands[s->order[mid]].name, p, len);

		if (c == 0) {
			mark(s, s->order[mid], pid, tid);
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
}

static void
match_label(struct scan *s, const char *buf, size_t len, pid_t pid, pid_t tid)
{
	struct kp_label label;

	if (kp_label_parse(buf, len, &label) == KP_LABEL_OK) {
		for (size_t i = 0; i < label.count; i++)
			match_name(s, label.names[i].ptr, label.names[i].len,
			    pid, tid);
		return;
	}
	s->report->invalid_labels++;
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->cands[i].name;

		if (memmem(buf, len, name, strlen(name)) != NULL)
			mark(s, i, pid, tid);
	}
}

static bool
vanished(int err)
{
	return err == ENOENT || err == ESRCH;
}

/* A /proc entry name that is a pid: decimal, no sign, no leading zero. */
static bool
parse_pid(const char *name, pid_t *out)
{
	long v = 0;

	if (name[0] < '1' || name[0] > '9')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return false;
	}
	*out = (pid_t)v;
	return true;
}

static int
open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Open the directory holding the task's AppArmor attributes ("current",
 * "exec"): attr/apparmor/, or attr/ itself on kernels before the per-LSM
 * directories.  -1 with errno on failure. */
static int
open_attr_dir(int tidfd)
{
	int attrfd, aafd, saved;

	attrfd = open_dir_at(tidfd, "attr");
	if (attrfd < 0)
		return -1;
	aafd = open_dir_at(attrfd, "apparmor");
	if (aafd >= 0) {
		close(attrfd);
		return aafd;
	}
	if (errno == ENOENT)
		return attrfd;
	saved = errno;
	close(attrfd);
	errno = saved;
	return -1;
}

static void
incomplete(struct scan *s, pid_t pid, pid_t tid, const char *what, int err)
{
	if (err == E2BIG)
		set_reason(s->report->reason, sizeof(s->report->reason),
		    "%s label of task %d/%d is longer than %d bytes", what,
		    (int)pid, (int)tid, KP_LABEL_READ_MAX);
	else
		set_reason(s->report->reason, sizeof(s->report->reason),
		    "cannot read the %s label of task %d/%d: %s", what,
		    (int)pid, (int)tid, strerror(err));
}

/*
 * The label a task will take at its next exec (aa_change_onexec) is in
 * "exec".  AppArmor answers EINVAL to a read when none is pending; a missing
 * file (a fake tree, a task gone) means none either.  Reading it narrows the
 * race of a task that asks for the profile just before we remove it.
 * 0 done, -1 incomplete.
 */
static int
scan_pending_exec(struct scan *s, int attrdir, pid_t pid, pid_t tid)
{
	char *buf;
	size_t len;
	int fd, saved;

	fd = kp_open_regular(attrdir, "exec");
	if (fd < 0) {
		if (vanished(errno))
			return 0;
		incomplete(s, pid, tid, "exec", errno);
		return -1;
	}
	if (kp_read_capped(fd, (size_t)KP_LABEL_READ_MAX, &buf, &len) != 0) {
		saved = errno;
		close(fd);
		if (saved == EINVAL || vanished(saved))
			return 0;
		incomplete(s, pid, tid, "exec", saved);
		return -1;
	}
	close(fd);
	if (len > 0)
		match_label(s, buf, len, pid, tid);
	free(buf);
	return 0;
}

/* 0 read or vanished, -1 incomplete (reason set). */
static int
scan_task(struct scan *s, int taskdirfd, pid_t pid, const char *tidname,
    pid_t tid)
{
	char *buf;
	size_t len;
	int tidfd, attrdir, fd, saved, rc;

	tidfd = open_dir_at(taskdirfd, tidname);
	if (tidfd < 0) {
		saved = errno;
		goto fail;
	}
	attrdir = open_attr_dir(tidfd);
	saved = errno;
	close(tidfd);
	if (attrdir < 0)
		goto fail;
	fd = kp_open_regular(attrdir, "current");
	if (fd < 0) {
		saved = errno;
		close(attrdir);
		goto fail;
	}
	if (kp_read_capped(fd, (size_t)KP_LABEL_READ_MAX, &buf, &len) != 0) {
		saved = errno;
		close(fd);
		close(attrdir);
		goto fail;
	}
	close(fd);
	s->report->tasks++;
	match_label(s, buf, len, pid, tid);
	free(buf);
	rc = scan_pending_exec(s, attrdir, pid, tid);
	close(attrdir);
	return rc;
fail:
	if (vanished(saved)) {
		s->report->vanished++;
		return 0;
	}
	incomplete(s, pid, tid, "current", saved);
	return -1;
}

static int
scan_process(struct scan *s, int procfd, const char *pidname, pid_t pid)
{
	struct dirent *de;
	DIR *dir;
	int pidfd, taskfd, saved, rc = 0;

	pidfd = open_dir_at(procfd, pidname);
	if (pidfd < 0) {
		saved = errno;
		goto fail;
	}
	taskfd = open_dir_at(pidfd, "task");
	saved = errno;
	close(pidfd);
	if (taskfd < 0)
		goto fail;
	dir = fdopendir(taskfd);
	if (dir == NULL) {
		saved = errno;
		close(taskfd);
		goto fail;
	}
	for (;;) {
		pid_t tid;

		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0 && !vanished(errno)) {
				set_reason(s->report->reason,
				    sizeof(s->report->reason),
				    "cannot list the tasks of %d: %s", (int)pid,
				    strerror(errno));
				rc = -1;
			}
			break;
		}
		if (!parse_pid(de->d_name, &tid))
			continue;
		if (scan_task(s, dirfd(dir), pid, de->d_name, tid) != 0) {
			rc = -1;
			break;
		}
	}
	closedir(dir);
	return rc;
fail:
	if (vanished(saved)) {
		s->report->vanished++;
		return 0;
	}
	set_reason(s->report->reason, sizeof(s->report->reason),
	    "cannot open the tasks of %d: %s", (int)pid, strerror(saved));
	return -1;
}

int
kp_inuse_scan(int procfd, struct kp_inuse_candidate *cands, size_t n,
    struct kp_inuse_report *report)
{
	struct scan s = { .cands = cands, .n = n, .report = report };
	struct dirent *de;
	DIR *dir;
	int fd, rc = 0;

	memset(report, 0, sizeof(*report));
	report->status = KP_INUSE_INCOMPLETE;
	for (size_t i = 0; i < n; i++) {
		cands[i].in_use = false;
		cands[i].pid = 0;
		cands[i].tid = 0;
	}
	s.order = calloc(n > 0 ? n : 1, sizeof(*s.order));
	if (s.order == NULL) {
		set_reason(report->reason, sizeof(report->reason),
		    "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		s.order[i] = i;
	qsort_r(s.order, n, sizeof(*s.order), order_cmp, cands);

	fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (dir == NULL) {
		set_reason(report->reason, sizeof(report->reason),
		    "cannot list the proc directory: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(s.order);
		return -1;
	}
	for (;;) {
		pid_t pid;

		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			if (errno != 0) {
				set_reason(report->reason, sizeof(report->reason),
				    "cannot list the proc directory: %s",
				    strerror(errno));
				rc = -1;
			}
			break;
		}
		if (!parse_pid(de->d_name, &pid))
			continue;
		if (scan_process(&s, procfd, de->d_name, pid) != 0) {
			rc = -1;
			break;
		}
	}
	closedir(dir);
	free(s.order);
	if (rc == 0)
		report->status = KP_INUSE_COMPLETE;
	return rc;
}

/* ---- which PID namespace does <proc> show? ---- */

/* Is <proc>/2 a kernel thread?  Field 9 of stat (after the ")" that ends
 * the command name, which may itself hold spaces and parentheses) is the
 * task's flags. */
static bool
pid2_is_kernel_thread(int procfd)
{
	char *buf, *p, *end;
	unsigned long flags;
	size_t len;
	int fd;

	fd = kp_open_regular(procfd, "2/stat");
	if (fd < 0)
		return false;
	if (kp_read_capped(fd, STAT_READ_MAX, &buf, &len) != 0) {
		close(fd);
		return false;
	}
	close(fd);
	p = strrchr(buf, ')');
	if (p == NULL) {
		free(buf);
		return false;
	}
	p++;
	/* state ppid pgrp session tty_nr tpgid flags */
	for (int field = 0; field < 6; field++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	while (*p == ' ')
		p++;
	errno = 0;
	flags = strtoul(p, &end, 10);
	if (errno != 0 || end == p || (*end != ' ' && *end != '\n' && *end != '\0')) {
		free(buf);
		return false;
	}
	free(buf);
	return (flags & PF_KTHREAD_FLAG) != 0;
}

enum kp_pidns_view
kp_inuse_pidns_view(int procfd, pid_t self, char *reason, size_t reasonlen)
{
	char link[32];
	ssize_t n;
	pid_t shown;

	if (self == 1) {
		set_reason(reason, reasonlen,
		    "the loader is PID 1 of its PID namespace (no hostPID): "
		    "other pods' processes are invisible");
		return KP_PIDNS_PRIVATE;
	}
	n = readlinkat(procfd, "self", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (!parse_pid(link, &shown) || shown != self) {
			set_reason(reason, reasonlen,
			    "the proc directory belongs to another PID namespace "
			    "(its self is %s, the loader is %d)", link,
			    (int)self);
			return KP_PIDNS_PRIVATE;
		}
	}
	if (!pid2_is_kernel_thread(procfd)) {
		set_reason(reason, reasonlen,
		    "no kernel thread is visible as PID 2 in the proc "
		    "directory: not the host PID namespace (no hostPID)");
		return KP_PIDNS_PRIVATE;
	}
	set_reason(reason, reasonlen, "host PID namespace");
	return KP_PIDNS_HOST;
}
