/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/inuse.h"
#include "tmpdir.h"

/* ---- label parsing ---- */

struct label_case {
	const char *label;
	size_t len;             /* 0: strlen */
	enum kp_label_status status;
	const char *names[4];   /* expected top-level names, NULL-terminated */
};

static void
check_label(const struct label_case *c)
{
	struct kp_label l;
	size_t len = c->len ? c->len : strlen(c->label);
	size_t n = 0;

	cr_expect_eq(kp_label_parse(c->label, len, &l), c->status, "label %s",
	    c->label);
	while (n < 4 && c->names[n] != NULL)
		n++;
	cr_expect_eq(l.count, n, "label %s: %zu names", c->label, l.count);
	for (size_t i = 0; i < n && i < l.count; i++) {
		cr_expect_eq(l.names[i].len, strlen(c->names[i]), "label %s #%zu",
		    c->label, i);
		cr_expect_eq(memcmp(l.names[i].ptr, c->names[i],
		    strlen(c->names[i])), 0, "label %s #%zu", c->label, i);
	}
}

Test(label, table)
{
	static const struct label_case cases[] = {
		/* plain, with and without mode and newline */
		{ "custom.a (enforce)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a (enforce)", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a (complain)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a (kill)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a (user)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a (enforce)\n\0\0", 21, KP_LABEL_OK, { "custom.a" } },
		/* stacks */
		{ "custom.a//&custom.x (enforce)\n", 0, KP_LABEL_OK,
		  { "custom.a", "custom.x" } },
		{ "a//&b//&c (mixed)\n", 0, KP_LABEL_OK, { "a", "b", "c" } },
		{ "custom.a (enforce)//&custom.b (complain)\n", 0, KP_LABEL_OK,
		  { "custom.a", "custom.b" } },
		{ "unconfined//&custom.b (enforce)\n", 0, KP_LABEL_OK,
		  { "custom.b" } },
		/* namespaces */
		{ ":ns://custom.a (enforce)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ ":ns:custom.a (complain)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ ":ns1//ns2://custom.a (enforce)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ ":ns://custom.a//&custom.b (enforce)\n", 0, KP_LABEL_OK,
		  { "custom.a", "custom.b" } },
		{ "custom.a//&:ns://custom.b (mixed)\n", 0, KP_LABEL_OK,
		  { "custom.a", "custom.b" } },
		/* children and hats use their parent */
		{ "custom.a//child (enforce)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ "custom.a//hat//sub (complain)\n", 0, KP_LABEL_OK, { "custom.a" } },
		{ ":ns://custom.a//child (enforce)\n", 0, KP_LABEL_OK, { "custom.a" } },
		/* unconfined */
		{ "unconfined\n", 0, KP_LABEL_OK, { NULL } },
		{ "unconfined", 0, KP_LABEL_OK, { NULL } },
		{ "unconfined (unconfined)\n", 0, KP_LABEL_OK, { NULL } },
		{ ":ns://unconfined\n", 0, KP_LABEL_OK, { NULL } },
		/* other names: paths, spaces, parentheses */
		{ "/usr/bin/foo (enforce)\n", 0, KP_LABEL_OK, { "/usr/bin/foo" } },
		{ "name with spaces (enforce)\n", 0, KP_LABEL_OK,
		  { "name with spaces" } },
		{ "weird (name) (enforce)\n", 0, KP_LABEL_OK, { "weird (name)" } },
		{ "weird (Name)\n", 0, KP_LABEL_OK, { "weird (Name)" } },
		{ "x ()\n", 0, KP_LABEL_OK, { "x ()" } },
		{ "x (abcdefghijklmnopq)\n", 0, KP_LABEL_OK,
		  { "x (abcdefghijklmnopq)" } },
		{ "---\n", 0, KP_LABEL_OK, { "---" } },
		/* garbage */
		{ "", 0, KP_LABEL_INVALID, { NULL } },
		{ "\n", 0, KP_LABEL_INVALID, { NULL } },
		{ " (enforce)\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "a//&//&b (enforce)\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "a//& (enforce)\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "//&a\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "//child (enforce)\n", 0, KP_LABEL_INVALID, { NULL } },
		{ ":ns\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "::name\n", 0, KP_LABEL_INVALID, { NULL } },
		{ ":ns:\n", 0, KP_LABEL_INVALID, { NULL } },
		{ ":ns://\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "a\tb\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "custom.a\x7f\n", 0, KP_LABEL_INVALID, { NULL } },
		{ "custom.a\0junk\n", 14, KP_LABEL_INVALID, { NULL } },
		{ "custom.a\n(enforce)\n", 0, KP_LABEL_INVALID, { NULL } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_label(&cases[i]);
}

Test(label, very_long_name)
{
	size_t n = 4000;
	char *buf = malloc(n + 16);
	struct kp_label l;

	cr_assert_not_null(buf);
	memset(buf, 'x', n);
	memcpy(buf + n, " (enforce)\n", 11);
	cr_assert_eq(kp_label_parse(buf, n + 11, &l), KP_LABEL_OK);
	cr_assert_eq(l.count, 1);
	cr_assert_eq(l.names[0].len, n);
	free(buf);
}

Test(label, stack_depth_limit)
{
	char buf[KP_LABEL_PROFILES_MAX * 8 + 32];
	struct kp_label l;
	size_t len = 0;

	for (int i = 0; i < KP_LABEL_PROFILES_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sp%d",
		    i ? "//&" : "", i);
	cr_assert_eq(kp_label_parse(buf, len, &l), KP_LABEL_OK);
	cr_assert_eq(l.count, KP_LABEL_PROFILES_MAX);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "//&one-more");
	cr_assert_eq(kp_label_parse(buf, len, &l), KP_LABEL_INVALID);
	cr_assert_eq(l.count, 0);
}

/* ---- scanning a fake proc tree ---- */

static char base[64];
static char proc[128];
static int procfd;

static void
setup(void)
{
	tmpdir_make(base, sizeof(base));
	snprintf(proc, sizeof(proc), "%s/proc", base);
	cr_assert_eq(mkdir(proc, 0755), 0);
	procfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(procfd >= 0);
}

static void
teardown(void)
{
	close(procfd);
	tmpdir_remove(base);
}

TestSuite(scan, .init = setup, .fini = teardown);

enum layout { AA_SUBDIR, ATTR_ONLY, BOTH };

static void
add_task(int pid, int tid, enum layout layout, const char *label)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "%d/task/%d/attr", pid, tid);
	make_dirs(proc, rel);
	if (layout == AA_SUBDIR || layout == BOTH) {
		snprintf(rel, sizeof(rel), "%d/task/%d/attr/apparmor", pid, tid);
		make_dirs(proc, rel);
		snprintf(rel, sizeof(rel), "%d/task/%d/attr/apparmor/current",
		    pid, tid);
		write_str(proc, rel, label);
	}
	if (layout == ATTR_ONLY || layout == BOTH) {
		snprintf(rel, sizeof(rel), "%d/task/%d/attr/current", pid, tid);
		write_str(proc, rel, layout == BOTH ? "custom.z (enforce)\n" : label);
	}
}

#define NCANDS 5

static void
init_cands(struct kp_inuse_candidate *c)
{
	static const char *names[NCANDS] = { "custom.x", "custom.a", "custom.c",
	    "custom.b", "custom.z" };

	for (size_t i = 0; i < NCANDS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].name = names[i];
		c[i].in_use = true; /* the scan must reset it */
		c[i].pid = 99;
	}
}

static const struct kp_inuse_candidate *
cand(const struct kp_inuse_candidate *c, const char *name)
{
	for (size_t i = 0; i < NCANDS; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	cr_assert_fail("no candidate %s", name);
	return NULL;
}

static void
expect_use(const struct kp_inuse_candidate *c, const char *name, pid_t pid,
    pid_t tid)
{
	const struct kp_inuse_candidate *k = cand(c, name);

	cr_expect(k->in_use, "%s should be in use", name);
	cr_expect_eq(k->pid, pid, "%s pid %d", name, (int)k->pid);
	cr_expect_eq(k->tid, tid, "%s tid %d", name, (int)k->tid);
}

static void
expect_free(const struct kp_inuse_candidate *c, const char *name)
{
	const struct kp_inuse_candidate *k = cand(c, name);

	cr_expect_not(k->in_use, "%s should be free", name);
	cr_expect_eq(k->pid, 0);
}

Test(scan, tasks_across_pids_and_tids)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(1, 1, AA_SUBDIR, "unconfined\n");
	add_task(100, 100, AA_SUBDIR, "custom.other (enforce)\n");
	add_task(100, 101, AA_SUBDIR, "custom.a//&custom.x (enforce)\n");
	add_task(100, 102, AA_SUBDIR, "unconfined\n");
	add_task(200, 200, AA_SUBDIR, ":ns://custom.b//hat (complain)\n");
	/* Not pids: ignored. */
	make_dirs(proc, "self/task/1/attr");
	make_dirs(proc, "sys/kernel");
	make_dirs(proc, "0123/task/0123/attr/apparmor");
	write_str(proc, "0123/task/0123/attr/apparmor/current", "custom.c\n");
	write_str(proc, "uptime", "1.0 1.0\n");

	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert_eq(r.status, KP_INUSE_COMPLETE);
	cr_assert_eq(r.tasks, 5);
	cr_assert_eq(r.vanished, 0);
	cr_assert_eq(r.invalid_labels, 0);
	expect_use(c, "custom.a", 100, 101);
	expect_use(c, "custom.x", 100, 101);
	expect_use(c, "custom.b", 200, 200);
	expect_free(c, "custom.c");
	expect_free(c, "custom.z");
}

Test(scan, names_compare_exactly)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.ab (enforce)\n");
	add_task(11, 11, AA_SUBDIR, "custom.a.b (enforce)\n");
	add_task(12, 12, AA_SUBDIR, "xcustom.c (enforce)\n");
	add_task(13, 13, AA_SUBDIR, "custom.b//custom.x (enforce)\n");
	add_task(14, 14, AA_SUBDIR, "custom (enforce)\n");
	add_task(15, 15, AA_SUBDIR, "custom.z.long (enforce)\n");
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	expect_free(c, "custom.a");
	expect_free(c, "custom.c");
	expect_free(c, "custom.x"); /* a child named like x is not x */
	expect_free(c, "custom.z");
	expect_use(c, "custom.b", 13, 13);
}

Test(scan, fallback_to_attr_current)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, ATTR_ONLY, "custom.c (enforce)\n");
	/* Where attr/apparmor exists, attr/current (maybe another LSM's) is
	 * not read. */
	add_task(11, 12, BOTH, "custom.a (enforce)\n");
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert_eq(r.tasks, 2);
	expect_use(c, "custom.c", 10, 10);
	expect_use(c, "custom.a", 11, 12);
	expect_free(c, "custom.z");
}

Test(scan, vanished_tasks_are_skipped)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.a (enforce)\n");
	make_dirs(proc, "20");                          /* no task/ */
	make_dirs(proc, "30/task/31");                  /* no attr/ */
	make_dirs(proc, "40/task/41/attr/apparmor");    /* no current */
	make_dirs(proc, "50/task");                     /* no tasks at all */
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert_eq(r.status, KP_INUSE_COMPLETE);
	cr_assert_eq(r.tasks, 1);
	cr_assert_eq(r.vanished, 3);
	expect_use(c, "custom.a", 10, 10);
}

Test(scan, invalid_label_matches_by_substring)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.a//&//&junk (enforce)\n");
	add_task(11, 11, AA_SUBDIR, "\x01" "custom.bc\n");
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert_eq(r.invalid_labels, 2);
	expect_use(c, "custom.a", 10, 10);
	expect_use(c, "custom.b", 11, 11); /* "custom.bc" contains it */
	expect_free(c, "custom.c");
	expect_free(c, "custom.x");
}

Test(scan, first_user_is_reported)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.a (enforce)\n");
	add_task(10, 11, AA_SUBDIR, "custom.a (enforce)\n");
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert(cand(c, "custom.a")->in_use);
	cr_assert_eq(cand(c, "custom.a")->pid, 10);
	cr_assert(cand(c, "custom.a")->tid == 10 || cand(c, "custom.a")->tid == 11);
}

Test(scan, unreadable_label_makes_the_scan_incomplete)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	make_dirs(proc, "30/task/30/attr/apparmor");
	cr_assert_eq(mkfifo(join(proc, "30/task/30/attr/apparmor/current"), 0600), 0);
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	cr_assert_eq(r.status, KP_INUSE_INCOMPLETE);
	cr_assert_str_eq(r.reason,
	    "cannot read the current label of task 30/30: Invalid argument");
}

Test(scan, symlinks_are_not_followed)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.a (enforce)\n");
	make_dirs(proc, "30/task/30/attr/apparmor");
	cr_assert_eq(symlink("../../../../10/task/10/attr/apparmor/current",
	    join(proc, "30/task/30/attr/apparmor/current")), 0);
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	cr_assert_str_eq(r.reason,
	    "cannot read the current label of task 30/30: Too many levels of symbolic links");

	/* A symlinked attr directory is refused the same way. */
	tmpdir_remove(join(proc, "30"));
	make_dirs(proc, "30/task/30");
	cr_assert_eq(symlink("../../10/task/10/attr", join(proc, "30/task/30/attr")), 0);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	cr_assert_str_eq(r.reason,
	    "cannot read the current label of task 30/30: Not a directory");
}

Test(scan, oversize_label_makes_the_scan_incomplete)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;
	char *big = malloc(KP_LABEL_READ_MAX + 1);
	char want[128];

	cr_assert_not_null(big);
	memset(big, 'a', KP_LABEL_READ_MAX + 1);
	make_dirs(proc, "5/task/6/attr/apparmor");
	write_file(proc, "5/task/6/attr/apparmor/current", big, KP_LABEL_READ_MAX + 1);
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	snprintf(want, sizeof(want),
	    "current label of task 5/6 is longer than %d bytes", KP_LABEL_READ_MAX);
	cr_assert_str_eq(r.reason, want);
	/* Exactly at the cap is fine. */
	write_file(proc, "5/task/6/attr/apparmor/current", big, KP_LABEL_READ_MAX);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	free(big);
}

Test(scan, pending_exec_label_counts)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "unconfined\n");
	write_str(proc, "10/task/10/attr/apparmor/exec", "custom.c (enforce)\n");
	add_task(11, 11, ATTR_ONLY, "custom.other (enforce)\n");
	write_str(proc, "11/task/11/attr/exec", "custom.a//&custom.x (enforce)\n");
	add_task(12, 12, AA_SUBDIR, "unconfined\n");
	write_str(proc, "12/task/12/attr/apparmor/exec", ""); /* none pending */
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), 0, "%s", r.reason);
	cr_assert_eq(r.tasks, 3);
	expect_use(c, "custom.c", 10, 10);
	expect_use(c, "custom.a", 11, 11);
	expect_use(c, "custom.x", 11, 11);
	expect_free(c, "custom.b");
}

Test(scan, pending_exec_unreadable_or_oversize)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;
	char *big = malloc(KP_LABEL_READ_MAX + 1);
	char want[128];

	cr_assert_not_null(big);
	memset(big, 'a', KP_LABEL_READ_MAX + 1);
	add_task(10, 10, AA_SUBDIR, "unconfined\n");
	cr_assert_eq(mkfifo(join(proc, "10/task/10/attr/apparmor/exec"), 0600), 0);
	init_cands(c);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	cr_assert_str_eq(r.reason,
	    "cannot read the exec label of task 10/10: Invalid argument");
	cr_assert_eq(unlink(join(proc, "10/task/10/attr/apparmor/exec")), 0);
	write_file(proc, "10/task/10/attr/apparmor/exec", big, KP_LABEL_READ_MAX + 1);
	cr_assert_eq(kp_inuse_scan(procfd, c, NCANDS, &r), -1);
	snprintf(want, sizeof(want),
	    "exec label of task 10/10 is longer than %d bytes", KP_LABEL_READ_MAX);
	cr_assert_str_eq(r.reason, want);
	free(big);
}

/* The kernel's "no pending exec label" is EINVAL from read(2); a kernel
 * without AppArmor answers the same, so bind the real file over a fake one. */
Test(scan, pending_exec_einval_means_none)
{
	struct kp_inuse_candidate c[NCANDS];
	struct kp_inuse_report r;
	int fd, rc;
	char probe[8];

	fd = open("/proc/self/attr/exec", O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	rc = (int)read(fd, probe, sizeof(probe));
	close(fd);
	if (rc >= 0)
		cr_skip_test("this kernel has an exec label pending for us");
	cr_assert_eq(errno, EINVAL);
	add_task(10, 10, AA_SUBDIR, "custom.a (enforce)\n");
	write_str(proc, "10/task/10/attr/apparmor/exec", "");
	if (mount("/proc/self/attr/exec", join(proc, "10/task/10/attr/apparmor/exec"),
	    NULL, MS_BIND, NULL) != 0)
		cr_skip_test("mount --bind not permitted here");
	init_cands(c);
	rc = kp_inuse_scan(procfd, c, NCANDS, &r);
	(void)umount2(join(proc, "10/task/10/attr/apparmor/exec"), MNT_DETACH);
	cr_assert_eq(rc, 0, "%s", r.reason);
	expect_use(c, "custom.a", 10, 10);
}

Test(scan, no_candidates)
{
	struct kp_inuse_report r;

	add_task(10, 10, AA_SUBDIR, "custom.a (enforce)\n");
	cr_assert_eq(kp_inuse_scan(procfd, NULL, 0, &r), 0, "%s", r.reason);
	cr_assert_eq(r.tasks, 1);
}

/* ---- PID namespace view ---- */

static const char kthreadd_stat[] =
    "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 22 0\n";

Test(scan, pid1_is_private)
{
	char why[256];

	make_dirs(proc, "2");
	write_str(proc, "2/stat", kthreadd_stat);
	cr_assert_eq(kp_inuse_pidns_view(procfd, 1, why, sizeof(why)),
	    KP_PIDNS_PRIVATE);
	cr_assert_str_eq(why,
	    "the loader is PID 1 of its PID namespace (no hostPID): "
	    "other pods' processes are invisible");
}

Test(scan, host_with_kernel_thread)
{
	char why[256];

	make_dirs(proc, "2");
	write_str(proc, "2/stat", kthreadd_stat);
	cr_assert_eq(kp_inuse_pidns_view(procfd, 4242, why, sizeof(why)),
	    KP_PIDNS_HOST, "%s", why);
	cr_assert_eq(symlink("4242", join(proc, "self")), 0);
	cr_assert_eq(kp_inuse_pidns_view(procfd, 4242, why, sizeof(why)),
	    KP_PIDNS_HOST, "%s", why);
	cr_assert_str_eq(why, "host PID namespace");
}

Test(scan, proc_of_another_namespace_is_private)
{
	char why[256];

	make_dirs(proc, "2");
	write_str(proc, "2/stat", kthreadd_stat);
	cr_assert_eq(symlink("77", join(proc, "self")), 0);
	cr_assert_eq(kp_inuse_pidns_view(procfd, 4242, why, sizeof(why)),
	    KP_PIDNS_PRIVATE);
	cr_assert_str_eq(why,
	    "the proc directory belongs to another PID namespace "
	    "(its self is 77, the loader is 4242)");
}

Test(scan, no_kernel_thread_is_private)
{
	static const char *const stats[] = {
		/* a user process as PID 2 (flags without PF_KTHREAD) */
		"2 (sh) S 0 2 2 0 -1 4194560 0 0 0 0 0 1 0 0 20 0 1 0 22 0\n",
		/* a comm that tries to fake the fields */
		"2 (x) S 0 0 0 0 -1 2129984) S 1 1 1 0 -1 4194560 0 0\n",
		"2 (kthreadd) S 0 0 0 0 -1\n",
		"2 (kthreadd) S 0 0 0 0 -1 21x29984 0\n",
		"garbage",
	};
	char why[256];

	make_dirs(proc, "2");
	cr_assert_eq(kp_inuse_pidns_view(procfd, 4242, why, sizeof(why)),
	    KP_PIDNS_PRIVATE);
	cr_assert_str_eq(why,
	    "no kernel thread is visible as PID 2 in the proc directory: "
	    "not the host PID namespace (no hostPID)");
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		write_str(proc, "2/stat", stats[i]);
		cr_expect_eq(kp_inuse_pidns_view(procfd, 4242, why, sizeof(why)),
		    KP_PIDNS_PRIVATE, "%s", stats[i]);
	}
}

Test(scan, real_proc_of_this_machine)
{
	char why[256];
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert(fd >= 0);
	/* Our own /proc agrees about who we are; whether it is the host's
	 * depends on where the tests run. */
	if (kp_inuse_pidns_view(fd, getpid(), why, sizeof(why)) != KP_PIDNS_HOST)
		cr_assert_str_eq(why,
		    "no kernel thread is visible as PID 2 in the proc directory: "
		    "not the host PID namespace (no hostPID)");
	cr_assert_eq(kp_inuse_pidns_view(fd, getpid() + 1, why, sizeof(why)),
	    KP_PIDNS_PRIVATE);
	cr_assert_eq(strncmp(why, "the proc directory belongs to another PID "
	    "namespace", 51), 0, "%s", why);
	close(fd);
}
