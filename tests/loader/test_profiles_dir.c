/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/profiles_dir.h"
#include "tmpdir.h"

#define OTHER_UID 4321

static char base[64];
static char err[KP_PDIR_ERR_MAX];

static void
setup(void)
{
	tmpdir_make(base, sizeof(base));
	err[0] = '\0';
}

static void
teardown(void)
{
	tmpdir_remove(base);
}

TestSuite(profiles_dir, .init = setup, .fini = teardown);

static void
open_ok(struct kp_pdir *pd, const char *path)
{
	int rc = kp_pdir_open(pd, path, false, err, sizeof(err));

	cr_assert_eq(rc, 0, "open %s: %s", path, err);
}

static void
open_refused(const char *path, const char *want_err, int want_errno)
{
	struct kp_pdir pd;
	int rc = kp_pdir_open(&pd, path, false, err, sizeof(err));

	cr_assert_eq(rc, -1);
	cr_assert_eq(errno, want_errno, "errno %d (%s)", errno, err);
	cr_assert_str_eq(err, want_err);
	cr_assert_eq(pd.fd, -1);
}

Test(profiles_dir, opens_root_owned_private_dir)
{
	struct kp_pdir pd;
	char canon[PATH_MAX];

	make_dirs(base, "custom");
	cr_assert_eq(chmod(join(base, "custom"), 0755), 0);
	open_ok(&pd, join(base, "custom"));
	cr_assert_not_null(realpath(join(base, "custom"), canon));
	cr_assert_str_eq(pd.path, canon);
	cr_assert(pd.fd >= 0);
	kp_pdir_close(&pd);
	cr_assert_eq(pd.fd, -1);
}

Test(profiles_dir, canonical_path_resolves_dots)
{
	struct kp_pdir pd;

	make_dirs(base, "a/custom");
	open_ok(&pd, join(base, "a/../a/./custom"));
	cr_assert_str_eq(pd.path, join(base, "a/custom"));
	kp_pdir_close(&pd);
}

Test(profiles_dir, refuses_relative_path)
{
	open_refused("etc/apparmor.d/custom",
	    "profiles directory etc/apparmor.d/custom: not an absolute path",
	    EINVAL);
}

Test(profiles_dir, refuses_group_writable)
{
	char want[512];

	make_dirs(base, "custom");
	cr_assert_eq(chmod(join(base, "custom"), 0775), 0);
	snprintf(want, sizeof(want),
	    "profiles directory %s: writable by group or others (mode 0775)",
	    join(base, "custom"));
	open_refused(join(base, "custom"), want, EPERM);
}

Test(profiles_dir, refuses_world_writable_even_sticky)
{
	char want[512];

	make_dirs(base, "custom");
	cr_assert_eq(chmod(join(base, "custom"), 01757), 0);
	snprintf(want, sizeof(want),
	    "profiles directory %s: writable by group or others (mode 1757)",
	    join(base, "custom"));
	open_refused(join(base, "custom"), want, EPERM);
}

Test(profiles_dir, refuses_non_root_owner)
{
	char want[512];

	make_dirs(base, "custom");
	cr_assert_eq(chown(join(base, "custom"), OTHER_UID, 0), 0);
	snprintf(want, sizeof(want),
	    "profiles directory %s: owned by uid %u, not root",
	    join(base, "custom"), OTHER_UID);
	open_refused(join(base, "custom"), want, EPERM);
}

Test(profiles_dir, refuses_symlink)
{
	char want[512];

	make_dirs(base, "real");
	cr_assert_eq(symlink("real", join(base, "custom")), 0);
	snprintf(want, sizeof(want), "profiles directory %s: is a symlink",
	    join(base, "custom"));
	open_refused(join(base, "custom"), want, ELOOP);
}

Test(profiles_dir, refuses_regular_file)
{
	char want[512];

	write_str(base, "custom", "x");
	snprintf(want, sizeof(want), "profiles directory %s: not a directory",
	    join(base, "custom"));
	open_refused(join(base, "custom"), want, ENOTDIR);
}

Test(profiles_dir, refuses_missing_without_create)
{
	char want[512];

	snprintf(want, sizeof(want),
	    "profiles directory %s: No such file or directory",
	    join(base, "custom"));
	open_refused(join(base, "custom"), want, ENOENT);
}

Test(profiles_dir, creates_missing_when_asked)
{
	struct kp_pdir pd;
	struct stat st;
	mode_t old = umask(022);

	cr_assert_eq(kp_pdir_open(&pd, join(base, "custom"), true, err,
	    sizeof(err)), 0, "%s", err);
	umask(old);
	cr_assert_eq(stat(join(base, "custom"), &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0755);
	kp_pdir_close(&pd);
}

Test(profiles_dir, refuses_ancestor_owned_by_other_uid)
{
	char want[512];

	make_dirs(base, "a/custom");
	cr_assert_eq(chown(join(base, "a"), OTHER_UID, 0), 0);
	snprintf(want, sizeof(want),
	    "profiles directory %s: ancestor %s is owned by uid %u, not root",
	    join(base, "a/custom"), join(base, "a"), OTHER_UID);
	open_refused(join(base, "a/custom"), want, EPERM);
}

Test(profiles_dir, refuses_ancestor_writable_by_others)
{
	char want[512];

	make_dirs(base, "a/custom");
	cr_assert_eq(chmod(join(base, "a"), 0777), 0);
	snprintf(want, sizeof(want),
	    "profiles directory %s: ancestor %s is writable by group or others (mode 0777)",
	    join(base, "a/custom"), join(base, "a"));
	open_refused(join(base, "a/custom"), want, EPERM);
}

Test(profiles_dir, accepts_sticky_world_writable_ancestor)
{
	struct kp_pdir pd;

	/* /tmp itself is 1777: every test already relies on this. */
	make_dirs(base, "a/custom");
	cr_assert_eq(chmod(join(base, "a"), 01777), 0);
	open_ok(&pd, join(base, "a/custom"));
	kp_pdir_close(&pd);
}

/* ---- the ConfigMap directory must be elsewhere ---- */

static int
distinct(const char *pdir, const char *cm)
{
	struct kp_pdir pd;
	int rc, saved;

	open_ok(&pd, pdir);
	rc = kp_pdir_check_distinct(&pd, cm, err, sizeof(err));
	saved = errno;
	kp_pdir_close(&pd);
	errno = saved;
	return rc;
}

Test(profiles_dir, distinct_dirs_pass)
{
	make_dirs(base, "custom");
	make_dirs(base, "cm");
	cr_assert_eq(distinct(join(base, "custom"), join(base, "cm")), 0, "%s",
	    err);
}

Test(profiles_dir, same_dir_refused)
{
	char want[512];

	make_dirs(base, "custom");
	cr_assert_eq(distinct(join(base, "custom"), join(base, "custom")), -1);
	cr_assert_eq(errno, EEXIST);
	snprintf(want, sizeof(want),
	    "the profiles directory %s is the ConfigMap directory %s",
	    join(base, "custom"), join(base, "custom"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, same_dir_through_symlink_refused)
{
	char want[512];

	make_dirs(base, "custom");
	cr_assert_eq(symlink("custom", join(base, "cm")), 0);
	cr_assert_eq(distinct(join(base, "custom"), join(base, "cm")), -1);
	snprintf(want, sizeof(want),
	    "the profiles directory %s is the ConfigMap directory %s",
	    join(base, "custom"), join(base, "cm"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, configmap_containing_profiles_refused)
{
	char want[512];

	make_dirs(base, "cm/custom");
	cr_assert_eq(distinct(join(base, "cm/custom"), join(base, "cm")), -1);
	snprintf(want, sizeof(want),
	    "the ConfigMap directory %s contains the profiles directory %s",
	    join(base, "cm"), join(base, "cm/custom"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, profiles_containing_configmap_refused)
{
	char want[512];

	make_dirs(base, "custom/cm");
	cr_assert_eq(distinct(join(base, "custom"), join(base, "custom/cm")), -1);
	snprintf(want, sizeof(want),
	    "the profiles directory %s contains the ConfigMap directory %s",
	    join(base, "custom"), join(base, "custom/cm"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, missing_configmap_compared_by_text)
{
	char cm[512];

	make_dirs(base, "custom");
	/* Does not exist, but names the profiles directory. */
	snprintf(cm, sizeof(cm), "%s//x/../custom/", base);
	cr_assert_eq(distinct(join(base, "custom"), cm), -1);
	cr_assert_eq(errno, EEXIST);
	/* Does not exist, under the profiles directory. */
	cr_assert_eq(distinct(join(base, "custom"), join(base, "custom/nope")), -1);
	/* Does not exist and elsewhere: fine. */
	cr_assert_eq(distinct(join(base, "custom"), join(base, "nope")), 0, "%s",
	    err);
}

/* Bind mounts show one directory under two unrelated paths: only the inode
 * comparisons can see through them.  Skipped where mount(2) is not allowed. */
static void
bind_or_skip(const char *from, const char *to)
{
	if (mount(from, to, NULL, MS_BIND, NULL) != 0) {
		if (errno == EPERM)
			cr_skip_test("mount --bind not permitted here");
		cr_assert_fail("mount: %s", strerror(errno));
	}
}

Test(profiles_dir, same_dir_through_bind_mount_refused)
{
	char want[512];
	int rc;

	make_dirs(base, "custom");
	make_dirs(base, "cm");
	bind_or_skip(join(base, "custom"), join(base, "cm"));
	rc = distinct(join(base, "custom"), join(base, "cm"));
	(void)umount2(join(base, "cm"), MNT_DETACH);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want),
	    "the profiles directory %s is the ConfigMap directory %s",
	    join(base, "custom"), join(base, "cm"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, configmap_bind_of_an_ancestor_refused)
{
	char want[512];
	int rc;

	make_dirs(base, "outer/custom");
	make_dirs(base, "cm");
	bind_or_skip(join(base, "outer"), join(base, "cm"));
	rc = distinct(join(base, "outer/custom"), join(base, "cm"));
	(void)umount2(join(base, "cm"), MNT_DETACH);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want),
	    "the ConfigMap directory %s contains the profiles directory %s",
	    join(base, "cm"), join(base, "outer/custom"));
	cr_assert_str_eq(err, want);
}

Test(profiles_dir, profiles_bind_of_a_configmap_ancestor_refused)
{
	char want[512];
	int rc;

	make_dirs(base, "x/cm");
	make_dirs(base, "custom");
	bind_or_skip(join(base, "x"), join(base, "custom"));
	rc = distinct(join(base, "custom"), join(base, "x/cm"));
	(void)umount2(join(base, "custom"), MNT_DETACH);
	cr_assert_eq(rc, -1);
	snprintf(want, sizeof(want),
	    "the profiles directory %s contains the ConfigMap directory %s",
	    join(base, "custom"), join(base, "x/cm"));
	cr_assert_str_eq(err, want);
}

/* ---- writing profiles ---- */

static const char profile_a[] = "profile custom.a {\n  /tmp/** r,\n}\n";
static const char profile_b[] = "profile custom.a {\n  /var/** r,\n}\n";

static size_t
count_entries(const char *dir)
{
	struct kp_pdir pd;
	struct kp_pdir_listing l;
	size_t n;

	open_ok(&pd, dir);
	cr_assert_eq(kp_pdir_list(&pd, &l), 0);
	n = l.count;
	kp_pdir_listing_free(&l);
	kp_pdir_close(&pd);
	return n;
}

Test(profiles_dir, write_commit_replaces_atomically)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;
	char path[PATH_MAX], want[PATH_MAX + KP_TMP_NAME_MAX + 2];
	struct stat st;
	mode_t old;
	char *got;
	size_t len;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, "custom.a", profile_b);

	old = umask(077);
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", profile_a,
	    strlen(profile_a), &tmp), 0);
	umask(old);
	cr_assert(tmp.active);
	cr_assert(kp_pdir_is_temp_name(tmp.name), "%s", tmp.name);
	cr_assert_eq(strncmp(tmp.name, ".custom.a.tmp.", 14), 0);
	cr_assert_eq(strlen(tmp.name), 14 + KP_TMP_RANDOM_LEN);

	cr_assert_eq(kp_pdir_temp_path(&pd, &tmp, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/%s", pd.path, tmp.name);
	cr_assert_str_eq(path, want);

	/* Before commit: the old file is untouched, the temporary is 0644. */
	got = read_file(pd.path, "custom.a", NULL);
	cr_assert_str_eq(got, profile_b);
	free(got);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(st.st_uid, 0);
	got = read_file(pd.path, tmp.name, NULL);
	cr_assert_str_eq(got, profile_a);
	free(got);
	{
		char small[10];

		cr_assert_eq(kp_pdir_temp_path(&pd, &tmp, small, sizeof(small)), -1);
		cr_assert_eq(errno, ENAMETOOLONG);
	}

	cr_assert_eq(kp_pdir_commit(&pd, &tmp), 0);
	cr_assert_not(tmp.active);
	got = read_file(pd.path, "custom.a", &len);
	cr_assert_eq(len, strlen(profile_a));
	cr_assert_str_eq(got, profile_a);
	free(got);
	cr_assert_eq(access(path, F_OK), -1);
	cr_assert_eq(count_entries(pd.path), 1);
	/* A second commit of the same temporary is refused. */
	cr_assert_eq(kp_pdir_commit(&pd, &tmp), -1);
	cr_assert_eq(errno, EINVAL);
	kp_pdir_close(&pd);
}

Test(profiles_dir, abort_leaves_old_file)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;
	char *got;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, "custom.a", profile_b);
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", profile_a,
	    strlen(profile_a), &tmp), 0);
	cr_assert_eq(count_entries(pd.path), 2);
	cr_assert_eq(kp_pdir_abort(&pd, &tmp), 0);
	cr_assert_not(tmp.active);
	cr_assert_eq(kp_pdir_abort(&pd, &tmp), 0); /* idempotent */
	cr_assert_eq(count_entries(pd.path), 1);
	got = read_file(pd.path, "custom.a", NULL);
	cr_assert_str_eq(got, profile_b);
	free(got);
	kp_pdir_close(&pd);
}

Test(profiles_dir, empty_profile_can_be_written)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;
	size_t len = 1;
	char *got;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.e", "", 0, &tmp), 0);
	cr_assert_eq(kp_pdir_commit(&pd, &tmp), 0);
	got = read_file(pd.path, "custom.e", &len);
	cr_assert_eq(len, 0);
	free(got);
	kp_pdir_close(&pd);
}

Test(profiles_dir, write_refuses_bad_key_and_oversize)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;
	static const char *bad[] = { "../custom.a", "custom.a/b", "a", "custom.",
	    ".kapparmor-state", "custom.a\n" };
	char *big;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(kp_pdir_write_temp(&pd, bad[i], "x", 1, &tmp), -1,
		    "%s", bad[i]);
		cr_assert_eq(errno, EINVAL);
		cr_assert_not(tmp.active);
	}
	big = calloc(1, KP_PROFILE_MAX_BYTES + 1);
	cr_assert_not_null(big);
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", big,
	    KP_PROFILE_MAX_BYTES + 1, &tmp), -1);
	cr_assert_eq(errno, EFBIG);
	cr_assert_eq(count_entries(pd.path), 0);
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", big,
	    KP_PROFILE_MAX_BYTES, &tmp), 0);
	cr_assert_eq(kp_pdir_abort(&pd, &tmp), 0);
	free(big);
	kp_pdir_close(&pd);
}

Test(profiles_dir, commit_replaces_planted_symlink_not_its_target)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;
	struct stat st;
	char *got;

	make_dirs(base, "custom");
	write_str(base, "victim", "precious\n");
	open_ok(&pd, join(base, "custom"));
	cr_assert_eq(symlink(join(base, "victim"), join(pd.path, "custom.a")), 0);

	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", profile_a,
	    strlen(profile_a), &tmp), 0);
	cr_assert_eq(kp_pdir_commit(&pd, &tmp), 0);
	cr_assert_eq(lstat(join(pd.path, "custom.a"), &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	got = read_file(pd.path, "custom.a", NULL);
	cr_assert_str_eq(got, profile_a);
	free(got);
	got = read_file(base, "victim", NULL);
	cr_assert_str_eq(got, "precious\n");
	free(got);
	kp_pdir_close(&pd);
}

Test(profiles_dir, commit_over_directory_fails_and_cleans_up)
{
	struct kp_pdir pd;
	struct kp_pdir_temp tmp;

	make_dirs(base, "custom/custom.a/sub");
	open_ok(&pd, join(base, "custom"));
	cr_assert_eq(kp_pdir_write_temp(&pd, "custom.a", profile_a,
	    strlen(profile_a), &tmp), 0);
	cr_assert_eq(kp_pdir_commit(&pd, &tmp), -1);
	cr_assert_eq(errno, EISDIR);
	cr_assert_not(tmp.active);
	cr_assert_eq(count_entries(pd.path), 1); /* only the directory */
	kp_pdir_close(&pd);
}

Test(profiles_dir, remove_key_file)
{
	struct kp_pdir pd;
	bool absent = true;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, "custom.a", profile_a);
	cr_assert_eq(kp_pdir_remove(&pd, "custom.a", &absent), 0);
	cr_assert_not(absent);
	cr_assert_eq(access(join(pd.path, "custom.a"), F_OK), -1);
	cr_assert_eq(kp_pdir_remove(&pd, "custom.a", &absent), 0);
	cr_assert(absent);
	cr_assert_eq(kp_pdir_remove(&pd, "custom.a", NULL), 0);
	kp_pdir_close(&pd);
}

Test(profiles_dir, remove_refuses_non_keys)
{
	struct kp_pdir pd;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, "README", "x");
	write_str(pd.path, ".kapparmor-state", "x");
	cr_assert_eq(kp_pdir_remove(&pd, "README", NULL), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kp_pdir_remove(&pd, ".kapparmor-state", NULL), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kp_pdir_remove(&pd, "../custom", NULL), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(count_entries(pd.path), 2);
	kp_pdir_close(&pd);
}

Test(profiles_dir, remove_symlink_removes_link_only)
{
	struct kp_pdir pd;
	char *got;

	make_dirs(base, "custom");
	write_str(base, "victim", "precious\n");
	open_ok(&pd, join(base, "custom"));
	cr_assert_eq(symlink(join(base, "victim"), join(pd.path, "custom.a")), 0);
	cr_assert_eq(kp_pdir_remove(&pd, "custom.a", NULL), 0);
	got = read_file(base, "victim", NULL);
	cr_assert_str_eq(got, "precious\n");
	free(got);
	kp_pdir_close(&pd);
}

Test(profiles_dir, read_key_files)
{
	struct kp_pdir pd;
	char *data;
	size_t len;
	int e;
	char *big;

	make_dirs(base, "custom/custom.dir");
	write_str(base, "victim", "precious\n");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, "custom.a", profile_a);
	cr_assert_eq(symlink(join(base, "victim"), join(pd.path, "custom.l")), 0);
	cr_assert_eq(mkfifo(join(pd.path, "custom.f"), 0600), 0);
	big = calloc(1, KP_PROFILE_MAX_BYTES + 1);
	cr_assert_not_null(big);
	memset(big, 'x', KP_PROFILE_MAX_BYTES + 1);
	write_file(pd.path, "custom.max", big, KP_PROFILE_MAX_BYTES);
	write_file(pd.path, "custom.big", big, KP_PROFILE_MAX_BYTES + 1);
	free(big);

	cr_assert_eq(kp_pdir_read(&pd, "custom.a", &data, &len, &e),
	    KP_PDIR_READ_OK);
	cr_assert_eq(len, strlen(profile_a));
	cr_assert_str_eq(data, profile_a);
	free(data);
	cr_assert_eq(kp_pdir_read(&pd, "custom.max", &data, &len, &e),
	    KP_PDIR_READ_OK);
	cr_assert_eq(len, KP_PROFILE_MAX_BYTES);
	free(data);
	cr_assert_eq(kp_pdir_read(&pd, "custom.big", &data, &len, &e),
	    KP_PDIR_READ_TOO_LARGE);
	cr_assert_null(data);
	cr_assert_eq(kp_pdir_read(&pd, "custom.l", &data, &len, &e),
	    KP_PDIR_READ_NOT_REGULAR);
	cr_assert_eq(kp_pdir_read(&pd, "custom.f", &data, &len, &e),
	    KP_PDIR_READ_NOT_REGULAR);
	cr_assert_eq(kp_pdir_read(&pd, "custom.dir", &data, &len, &e),
	    KP_PDIR_READ_NOT_REGULAR);
	cr_assert_eq(kp_pdir_read(&pd, "custom.none", &data, &len, &e),
	    KP_PDIR_READ_MISSING);
	cr_assert_eq(kp_pdir_read(&pd, "../victim", &data, &len, &e),
	    KP_PDIR_READ_INVALID_KEY);
	kp_pdir_close(&pd);
}

Test(profiles_dir, temp_name_pattern)
{
	static const struct {
		const char *name;
		bool temp;
	} cases[] = {
		{ ".custom.a.tmp.AbC123", true },
		{ ".kapparmor-state.tmp.zzzzzz", true },
		{ ".custom.a_b-c.d.tmp.000000", true },
		{ ".custom.a.tmp.AbC12", false },     /* 5 random chars */
		{ ".custom.a.tmp.AbC1234", false },   /* 7 */
		{ ".custom.a.tmp.AbC-23", false },    /* not alnum */
		{ "custom.a.tmp.AbC123", false },     /* no leading dot */
		{ ".notakey.tmp.AbC123", false },
		{ ".kapparmor-stat.tmp.AbC123", false },
		{ "..tmp.AbC123", false },
		{ ".tmp.AbC123", false },
		{ ".custom.a.tmp.", false },
		{ ".custom.a", false },
		{ "", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(kp_pdir_is_temp_name(cases[i].name), cases[i].temp,
		    "%s", cases[i].name);
}

Test(profiles_dir, list_classifies_and_sorts)
{
	static const struct {
		const char *name;
		enum kp_pdir_kind kind;
	} want[] = {
		{ ".custom.a.tmp.AbC12", KP_PDIR_OTHER },
		{ ".custom.a.tmp.AbC123", KP_PDIR_TEMP },
		{ ".custom.c.tmp.AAAAAA", KP_PDIR_OTHER }, /* a symlink */
		{ ".kapparmor-state", KP_PDIR_STATE },
		{ ".kapparmor-state.tmp.zzzzzz", KP_PDIR_TEMP },
		{ "README", KP_PDIR_OTHER },
		{ "custom.a", KP_PDIR_KEY },
		{ "custom.b", KP_PDIR_KEY_NOT_REGULAR },   /* a directory */
		{ "custom.l", KP_PDIR_KEY_NOT_REGULAR },   /* a symlink */
		{ "other.profile", KP_PDIR_OTHER },
	};
	struct kp_pdir pd;
	struct kp_pdir_listing l;

	make_dirs(base, "custom/custom.b");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, ".custom.a.tmp.AbC12", "");
	write_str(pd.path, ".custom.a.tmp.AbC123", "");
	cr_assert_eq(symlink("x", join(pd.path, ".custom.c.tmp.AAAAAA")), 0);
	write_str(pd.path, ".kapparmor-state", "");
	write_str(pd.path, ".kapparmor-state.tmp.zzzzzz", "");
	write_str(pd.path, "README", "");
	write_str(pd.path, "custom.a", profile_a);
	cr_assert_eq(symlink("custom.a", join(pd.path, "custom.l")), 0);
	write_str(pd.path, "other.profile", "");

	cr_assert_eq(kp_pdir_list(&pd, &l), 0);
	cr_assert_eq(l.count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.count; i++) {
		cr_expect_str_eq(l.entries[i].name, want[i].name);
		cr_expect_eq(l.entries[i].kind, want[i].kind, "%s",
		    l.entries[i].name);
	}
	kp_pdir_listing_free(&l);
	cr_assert_eq(l.count, 0);
	kp_pdir_close(&pd);
}

Test(profiles_dir, clean_stale_removes_only_our_temporaries)
{
	struct kp_pdir pd;
	struct kp_pdir_listing l;
	size_t removed = 99;

	make_dirs(base, "custom/.custom.d.tmp.DDDDDD");
	open_ok(&pd, join(base, "custom"));
	write_str(pd.path, ".custom.a.tmp.AbC123", "half");
	write_str(pd.path, ".kapparmor-state.tmp.zzzzzz", "half");
	write_str(pd.path, ".custom.a.tmp.AbC12", "not ours");
	write_str(pd.path, ".other.tmp.AbC123", "not ours");
	cr_assert_eq(symlink("custom.a", join(pd.path, ".custom.c.tmp.AAAAAA")), 0);
	write_str(pd.path, "custom.a", profile_a);

	cr_assert_eq(kp_pdir_clean_stale(&pd, &removed), 0);
	cr_assert_eq(removed, 2);
	cr_assert_eq(kp_pdir_list(&pd, &l), 0);
	cr_assert_eq(l.count, 5);
	cr_assert_str_eq(l.entries[0].name, ".custom.a.tmp.AbC12");
	cr_assert_str_eq(l.entries[1].name, ".custom.c.tmp.AAAAAA");
	cr_assert_str_eq(l.entries[2].name, ".custom.d.tmp.DDDDDD");
	cr_assert_str_eq(l.entries[3].name, ".other.tmp.AbC123");
	cr_assert_str_eq(l.entries[4].name, "custom.a");
	kp_pdir_listing_free(&l);
	cr_assert_eq(kp_pdir_clean_stale(&pd, &removed), 0);
	cr_assert_eq(removed, 0);
	kp_pdir_close(&pd);
}

Test(profiles_dir, list_refuses_too_many_entries)
{
	struct kp_pdir pd;
	struct kp_pdir_listing l;
	char name[32];
	int dfd;

	make_dirs(base, "custom");
	open_ok(&pd, join(base, "custom"));
	dfd = pd.fd;
	for (int i = 0; i <= KP_PDIR_ENTRIES_MAX; i++) {
		int fd;

		snprintf(name, sizeof(name), "f%d", i);
		fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		cr_assert(fd >= 0);
		close(fd);
	}
	cr_assert_eq(kp_pdir_list(&pd, &l), -1);
	cr_assert_eq(errno, E2BIG);
	kp_pdir_listing_free(&l);
	cr_assert_eq(unlinkat(dfd, "f0", 0), 0);
	cr_assert_eq(kp_pdir_list(&pd, &l), 0);
	cr_assert_eq(l.count, KP_PDIR_ENTRIES_MAX);
	kp_pdir_listing_free(&l);
	kp_pdir_close(&pd);
}
