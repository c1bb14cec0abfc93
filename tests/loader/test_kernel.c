/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/kernel.h"
#include "tmpdir.h"

static char base[64];
static char fs[128];      /* a fake apparmorfs */
static char err[256];

static void
setup(void)
{
	tmpdir_make(base, sizeof(base));
	snprintf(fs, sizeof(fs), "%s/apparmor", base);
	cr_assert_eq(mkdir(fs, 0755), 0);
	write_str(fs, "profiles", "");
	write_str(fs, ".remove", "");
	write_str(fs, ".replace", "");
	err[0] = '\0';
}

static void
teardown(void)
{
	tmpdir_remove(base);
}

TestSuite(kernel, .init = setup, .fini = teardown);

/* ---- presence ---- */

static void
expect_check(const char *param, enum kp_aa_state state, const char *reason)
{
	struct kp_aa_status st;

	kp_kernel_check(fs, param, &st);
	cr_assert_eq(st.state, state, "%s", st.reason);
	cr_assert_str_eq(st.reason, reason);
}

Test(kernel, check_fake_apparmorfs)
{
	char want[256];

	snprintf(want, sizeof(want), "AppArmor is enabled (%s)", fs);
	expect_check(NULL, KP_AA_ENABLED, want);
	write_str(base, "enabled", "Y\n");
	expect_check(join(base, "enabled"), KP_AA_ENABLED, want);
}

Test(kernel, check_disabled_parameter)
{
	char want[256];

	write_str(base, "enabled", "N\n");
	snprintf(want, sizeof(want),
	    "AppArmor is disabled in this kernel (%s is N)", join(base, "enabled"));
	expect_check(join(base, "enabled"), KP_AA_DISABLED, want);
}

Test(kernel, check_absent_parameter)
{
	char want[256];

	snprintf(want, sizeof(want), "AppArmor is not in this kernel (no %s)",
	    join(base, "enabled"));
	expect_check(join(base, "enabled"), KP_AA_ABSENT, want);
}

Test(kernel, check_odd_parameter)
{
	char want[256];

	write_str(base, "enabled", "maybe\n");
	snprintf(want, sizeof(want), "cannot read %s: Invalid argument",
	    join(base, "enabled"));
	expect_check(join(base, "enabled"), KP_AA_UNAVAILABLE, want);
}

Test(kernel, check_missing_apparmorfs)
{
	char want[256];

	tmpdir_remove(fs);
	snprintf(want, sizeof(want),
	    "no AppArmor filesystem at %s: No such file or directory", fs);
	expect_check(NULL, KP_AA_UNAVAILABLE, want);
}

Test(kernel, check_incomplete_apparmorfs)
{
	char want[256];

	cr_assert_eq(unlink(join(fs, ".remove")), 0);
	snprintf(want, sizeof(want),
	    "%s/.remove is missing: not an AppArmor filesystem", fs);
	expect_check(NULL, KP_AA_UNAVAILABLE, want);
	cr_assert_eq(unlink(join(fs, "profiles")), 0);
	snprintf(want, sizeof(want),
	    "%s/profiles is missing: not an AppArmor filesystem", fs);
	expect_check(NULL, KP_AA_UNAVAILABLE, want);
}

/* ---- the profile list ---- */

static void
parse_ok(const char *text, const char *const *want, size_t nwant)
{
	struct kp_name_set set;

	cr_assert_eq(kp_kernel_parse_profiles(text, strlen(text), &set, err,
	    sizeof(err)), KP_PROFILES_OK, "%s: %s", text, err);
	cr_assert_eq(set.count, nwant, "%s: %zu names", text, set.count);
	for (size_t i = 0; i < nwant; i++)
		cr_assert_str_eq(set.names[i], want[i]);
	kp_name_set_free(&set);
}

static void
parse_bad(const char *text, size_t len, const char *why)
{
	struct kp_name_set set;

	cr_assert_eq(kp_kernel_parse_profiles(text, len, &set, err, sizeof(err)),
	    KP_PROFILES_MALFORMED, "accepted %s", text);
	cr_assert_str_eq(err, why);
	cr_assert_eq(set.count, 0);
	cr_assert_null(set.names);
}

Test(kernel, profiles_normal_sorted_unique)
{
	static const char *const want[] = { "/usr/bin/man", "custom.a",
	    "custom.b", "custom.c" };

	parse_ok("custom.c (enforce)\ncustom.a (complain)\n/usr/bin/man (enforce)\n"
	    "custom.b (kill)\ncustom.a (complain)\n", want, 4);
}

Test(kernel, profiles_namespaced_and_children)
{
	static const char *const want[] = { ":ns1//ns2://custom.a",
	    ":ns://custom.a", "custom.a//hat" };
	struct kp_name_set set;
	const char *text = ":ns://custom.a (enforce)\ncustom.a//hat (enforce)\n"
	    ":ns1//ns2://custom.a (complain)\n";

	parse_ok(text, want, 3);
	cr_assert_eq(kp_kernel_parse_profiles(text, strlen(text), &set, err,
	    sizeof(err)), KP_PROFILES_OK);
	/* None of them is our custom.a. */
	cr_assert_not(kp_name_set_contains(&set, "custom.a"));
	cr_assert(kp_name_set_contains(&set, ":ns://custom.a"));
	kp_name_set_free(&set);
}

Test(kernel, profiles_names_with_spaces_and_parentheses)
{
	static const char *const want[] = { "name with spaces", "weird (x)",
	    "x (y) (z)" };

	parse_ok("weird (x) (complain)\nname with spaces (enforce)\n"
	    "x (y) (z) (unconfined)\n", want, 3);
}

Test(kernel, profiles_empty)
{
	struct kp_name_set set;

	parse_ok("", NULL, 0);
	cr_assert_eq(kp_kernel_parse_profiles("", 0, &set, err, sizeof(err)),
	    KP_PROFILES_OK);
	cr_assert_not(kp_name_set_contains(&set, "custom.a"));
	kp_name_set_free(&set);
}

Test(kernel, profiles_malformed)
{
	parse_bad("custom.a\n", 9, "line 1: not \"<name> (<mode>)\"");
	parse_bad("custom.a (enforce)\ncustom.b (Enforce)\n", 38,
	    "line 2: not \"<name> (<mode>)\"");
	parse_bad("custom.a ()\n", 12, "line 1: not \"<name> (<mode>)\"");
	parse_bad(" (enforce)\n", 11, "line 1: not \"<name> (<mode>)\"");
	parse_bad("custom.a(enforce)\n", 18, "line 1: not \"<name> (<mode>)\"");
	parse_bad("custom.a (enforce) \n", 20, "line 1: not \"<name> (<mode>)\"");
	parse_bad("custom.a (enf orce)\n", 20, "line 1: not \"<name> (<mode>)\"");
	parse_bad("\n", 1, "line 1: not \"<name> (<mode>)\"");
	parse_bad("custom.a (enforce)", 18, "line 1: no newline");
	parse_bad("custom.a (enforce)\ncustom.b (enforce)", 37,
	    "line 2: no newline");
	parse_bad("cust\0m.a (enforce)\n", 19, "line 1: NUL byte");
}

Test(kernel, profiles_oversize)
{
	struct kp_kernel k;
	struct kp_name_set set;
	char *big = malloc(KP_PROFILES_READ_MAX + 1);
	char want[64];

	cr_assert_not_null(big);
	memset(big, 'x', KP_PROFILES_READ_MAX + 1);
	memcpy(big + KP_PROFILES_READ_MAX - 11, " (enforce)\n", 11);
	/* Exactly at the cap: one long name. */
	write_file(fs, "profiles", big, KP_PROFILES_READ_MAX);
	cr_assert_eq(kp_kernel_open(&k, fs, KP_FEATURES_FILE_DEFAULT, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(kp_kernel_read_profiles(&k, &set, err, sizeof(err)),
	    KP_PROFILES_OK, "%s", err);
	cr_assert_eq(set.count, 1);
	cr_assert_eq(strlen(set.names[0]), KP_PROFILES_READ_MAX - 11);
	kp_name_set_free(&set);
	/* One byte more. */
	memcpy(big + KP_PROFILES_READ_MAX - 10, " (enforce)\n", 11);
	write_file(fs, "profiles", big, KP_PROFILES_READ_MAX + 1);
	cr_assert_eq(kp_kernel_read_profiles(&k, &set, err, sizeof(err)),
	    KP_PROFILES_TOO_LARGE);
	snprintf(want, sizeof(want), "larger than %d bytes", KP_PROFILES_READ_MAX);
	cr_assert_str_eq(err, want);
	cr_assert_eq(set.count, 0);
	cr_assert_eq(kp_kernel_parse_profiles(big, KP_PROFILES_READ_MAX + 1, &set,
	    err, sizeof(err)), KP_PROFILES_TOO_LARGE);
	kp_kernel_close(&k);
	free(big);
}

Test(kernel, read_profiles_from_fake_apparmorfs)
{
	struct kp_kernel k;
	struct kp_name_set set;

	write_str(fs, "profiles", "custom.b (enforce)\ncustom.a (complain)\n");
	cr_assert_eq(kp_kernel_open(&k, fs, KP_FEATURES_FILE_DEFAULT, err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(kp_kernel_read_profiles(&k, &set, err, sizeof(err)),
	    KP_PROFILES_OK, "%s", err);
	cr_assert_eq(set.count, 2);
	cr_assert(kp_name_set_contains(&set, "custom.a"));
	cr_assert(kp_name_set_contains(&set, "custom.b"));
	cr_assert_not(kp_name_set_contains(&set, "custom.c"));
	kp_name_set_free(&set);
	/* A symlink planted as profiles is not followed. */
	cr_assert_eq(unlink(join(fs, "profiles")), 0);
	cr_assert_eq(symlink(".replace", join(fs, "profiles")), 0);
	cr_assert_eq(kp_kernel_read_profiles(&k, &set, err, sizeof(err)),
	    KP_PROFILES_IO_ERROR);
	{
		char want[256];

		snprintf(want, sizeof(want),
		    "cannot open %s/profiles: Too many levels of symbolic links", fs);
		cr_assert_str_eq(err, want);
	}
	kp_kernel_close(&k);
	cr_assert_eq(k.dirfd, -1);
	cr_assert_null(k.kif);
}

/* ---- features and the interface ---- */

Test(kernel, default_features_source)
{
	char buf[256], want[256];

	cr_assert_eq(kp_kernel_default_features(fs, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, KP_FEATURES_FILE_DEFAULT);
	make_dirs(fs, "features/policy");
	cr_assert_eq(kp_kernel_default_features(fs, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/features", fs);
	cr_assert_str_eq(buf, want);
	cr_assert_eq(kp_kernel_default_features(fs, buf, 8), -1);
	cr_assert_eq(errno, ENAMETOOLONG);
}

Test(kernel, open_with_kernel_features_dir)
{
	struct kp_kernel k;
	char want[256];

	make_dirs(fs, "features/policy");
	write_str(fs, "features/policy/set_load", "yes\n");
	cr_assert_eq(kp_kernel_open(&k, fs, NULL, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "%s/features", fs);
	cr_assert_str_eq(k.features_source, want);
	kp_kernel_close(&k);
}

Test(kernel, open_refuses_features_without_set_load)
{
	struct kp_kernel k;
	char want[512];

	make_dirs(fs, "features/file");
	write_str(fs, "features/file/mask", "create read write\n");
	cr_assert_eq(kp_kernel_open(&k, fs, NULL, err, sizeof(err)), -1);
	cr_assert_eq(errno, ENOTSUP);
	snprintf(want, sizeof(want), "the features in %s/features lack "
	    "policy/set_load (the kernel or the features file is too old)", fs);
	cr_assert_str_eq(err, want);
	cr_assert_eq(k.dirfd, -1);
}

Test(kernel, open_refuses_missing_features)
{
	struct kp_kernel k;
	char want[512];

	cr_assert_eq(kp_kernel_open(&k, fs, join(base, "nope"), err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "cannot read AppArmor features from %s: "
	    "No such file or directory", join(base, "nope"));
	cr_assert_str_eq(err, want);
}

Test(kernel, open_refuses_missing_apparmorfs)
{
	struct kp_kernel k;
	char want[512];

	cr_assert_eq(kp_kernel_open(&k, join(base, "nope"),
	    KP_FEATURES_FILE_DEFAULT, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory",
	    join(base, "nope"));
	cr_assert_str_eq(err, want);
}

/* ---- removal ---- */

static void
open_fake(struct kp_kernel *k)
{
	cr_assert_eq(kp_kernel_open(k, fs, KP_FEATURES_FILE_DEFAULT, err,
	    sizeof(err)), 0, "%s", err);
}

Test(kernel, remove_writes_name_and_nul)
{
	struct kp_kernel k;
	size_t len;
	char *got;
	int e = -1;

	open_fake(&k);
	cr_assert_eq(kp_kernel_remove(&k, "custom.a", &e), KP_REMOVE_OK);
	cr_assert_eq(e, 0);
	got = read_file(fs, ".remove", &len);
	cr_assert_eq(len, 9);
	cr_assert_eq(memcmp(got, "custom.a\0", 9), 0);
	free(got);
	kp_kernel_close(&k);
}

Test(kernel, remove_refuses_foreign_names)
{
	static const char *const bad[] = { "/usr/bin/man", "custom.", "custom.a//hat",
	    ":ns://custom.a", "custom.a b", "" };
	struct kp_kernel k;
	size_t len;
	char *got;

	open_fake(&k);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(kp_kernel_remove(&k, bad[i], NULL), KP_REMOVE_INVALID,
		    "%s", bad[i]);
	got = read_file(fs, ".remove", &len);
	cr_assert_eq(len, 0);
	free(got);
	kp_kernel_close(&k);
}

Test(kernel, remove_without_interface_is_an_error)
{
	struct kp_kernel k;
	int e = 0;

	open_fake(&k);
	cr_assert_eq(unlink(join(fs, ".remove")), 0);
	cr_assert_eq(kp_kernel_remove(&k, "custom.a", &e), KP_REMOVE_ERROR);
	cr_assert_eq(e, ENOENT);
	cr_assert_eq(mkdir(join(fs, ".remove"), 0755), 0);
	cr_assert_eq(kp_kernel_remove(&k, "custom.a", &e), KP_REMOVE_ERROR);
	cr_assert_eq(e, EISDIR);
	kp_kernel_close(&k);
}

Test(kernel, remove_of_unknown_profile_is_absent)
{
	struct kp_kernel k;
	int e = 0;

	/* The kernel answers ENOENT for a profile it does not hold; a
	 * dangling symlink makes libapparmor's open fail the same way. */
	open_fake(&k);
	cr_assert_eq(unlink(join(fs, ".remove")), 0);
	cr_assert_eq(symlink("gone", join(fs, ".remove")), 0);
	cr_assert_eq(kp_kernel_remove(&k, "custom.a", &e), KP_REMOVE_ABSENT);
	cr_assert_eq(e, ENOENT);
	kp_kernel_close(&k);
}

Test(kernel, remove_denied)
{
	struct kp_kernel k;
	int fd, flags = FS_IMMUTABLE_FL, e = 0;
	enum kp_remove_status st;

	/* An immutable file refuses writers with EPERM, even root. */
	fd = open(join(fs, ".remove"), O_RDONLY | O_CLOEXEC);
	cr_assert(fd >= 0);
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) {
		close(fd);
		cr_skip_test("cannot make a file immutable here");
	}
	open_fake(&k);
	st = kp_kernel_remove(&k, "custom.a", &e);
	flags = 0;
	(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	close(fd);
	cr_assert_eq(st, KP_REMOVE_DENIED);
	cr_assert_eq(e, EPERM);
	kp_kernel_close(&k);
}

Test(kernel, remove_status_names)
{
	cr_assert_str_eq(kp_remove_status_name(KP_REMOVE_OK), "removed");
	cr_assert_str_eq(kp_remove_status_name(KP_REMOVE_ABSENT), "absent");
	cr_assert_str_eq(kp_remove_status_name(KP_REMOVE_DENIED), "denied");
	cr_assert_str_eq(kp_remove_status_name(KP_REMOVE_INVALID), "invalid-name");
	cr_assert_str_eq(kp_remove_status_name(KP_REMOVE_ERROR), "error");
}
