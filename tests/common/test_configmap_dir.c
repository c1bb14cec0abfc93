/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ConfigMap directory reader against layouts built in temporary
 * directories: plain directories, kubelet's atomic-writer layout, hostile
 * entries (FIFOs, devices, sockets, escaping symlinks, oversize files, too
 * many keys) and ..data changing in the middle of a read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/configmap.h"

#define TS_A "..2026_01_01_00_00_00.123"
#define TS_B "..2026_01_01_00_00_01.456"

static char root[64];
static int rootfd = -1;

static void
setup(void)
{
	strcpy(root, "/tmp/kp-cmdir-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(rootfd >= 0);
	/* A FIFO that made the reader block would hang the test: fail it. */
	alarm(20);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	alarm(0);
	if (rootfd >= 0)
		close(rootfd);
	rootfd = -1;
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(configmap_dir, .init = setup, .fini = teardown);

static void
put_file(const char *rel, const char *content)
{
	int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "create %s: %s", rel, strerror(errno));
	size_t len = strlen(content);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
}

static void
put_sized_file(const char *rel, size_t size)
{
	int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd >= 0);
	char *buf = malloc(size ? size : 1);
	cr_assert_not_null(buf);
	memset(buf, 'a', size);
	cr_assert_eq(write(fd, buf, size), (ssize_t)size);
	free(buf);
	close(fd);
}

static void
put_dir(const char *rel)
{
	cr_assert_eq(mkdirat(rootfd, rel, 0755), 0, "mkdir %s: %s", rel,
	    strerror(errno));
}

static void
put_link(const char *rel, const char *target)
{
	cr_assert_eq(symlinkat(target, rootfd, rel), 0, "symlink %s: %s", rel,
	    strerror(errno));
}

/* kubelet's layout for one timestamped directory holding the keys. */
static void
put_kubelet(const char *ts, const char *const *keys, const char *const *values,
    size_t n)
{
	char path[256];

	put_dir(ts);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", ts, keys[i]);
		put_file(path, values[i]);
		snprintf(path, sizeof(path), "..data/%s", keys[i]);
		if (symlinkat(path, rootfd, keys[i]) != 0)
			cr_assert_eq(errno, EEXIST);
	}
	put_link("..data", ts);
}

/* Swap ..data as kubelet does: a new link, renamed over the old one. */
static void
swap_data(int dirfd, const char *ts)
{
	unlinkat(dirfd, "..data_tmp", 0);
	cr_assert_eq(symlinkat(ts, dirfd, "..data_tmp"), 0);
	cr_assert_eq(renameat(dirfd, "..data_tmp", dirfd, "..data"), 0);
}

static void
read_ok(struct kp_entry_set *set)
{
	char err[256] = "unset";
	int rc = kp_configmap_read_dir(rootfd, set, err, sizeof(err));
	cr_assert_eq(rc, 0, "read failed: %s", err);
	cr_assert_str_empty(err);
}

static void
read_fails(const char *expect_in_err)
{
	struct kp_entry_set set;
	char err[256] = "";
	int rc = kp_configmap_read_dir(rootfd, &set, err, sizeof(err));
	cr_assert_eq(rc, -1);
	cr_assert_eq(set.count, 0);
	cr_assert_null(set.entries);
	cr_assert_not_null(strstr(err, expect_in_err), "err was: %s", err);
}

static const struct kp_entry *
entry(const struct kp_entry_set *set, const char *key)
{
	const struct kp_entry *e = kp_entry_set_find(set, key);
	cr_assert_not_null(e, "no entry %s", key);
	return e;
}

static void
assert_data(const struct kp_entry_set *set, const char *key, const char *want)
{
	const struct kp_entry *e = entry(set, key);
	cr_assert_eq(e->read_error, KP_REASON_NONE, "%s: %s", key, e->message);
	cr_assert_not_null(e->data);
	cr_assert_eq(e->len, strlen(want));
	cr_assert_eq(memcmp(e->data, want, e->len), 0);
}

static void
assert_error(const struct kp_entry_set *set, const char *key,
    enum kp_reason reason)
{
	const struct kp_entry *e = entry(set, key);
	cr_assert_eq(e->read_error, reason, "%s: got %s (%s)", key,
	    kp_reason_code(e->read_error), e->message);
	cr_assert_null(e->data);
	cr_assert_eq(e->len, 0);
	cr_assert_str_not_empty(e->message);
}

Test(configmap_dir, plain_directory_is_read_and_sorted)
{
	struct kp_entry_set set;

	put_file("custom.c", "third");
	put_file("custom.a", "first");
	put_file("custom.b", "second");
	read_ok(&set);
	cr_assert_eq(set.count, 3);
	cr_assert_str_eq(set.entries[0].key, "custom.a");
	cr_assert_str_eq(set.entries[1].key, "custom.b");
	cr_assert_str_eq(set.entries[2].key, "custom.c");
	assert_data(&set, "custom.a", "first");
	assert_data(&set, "custom.c", "third");
	kp_entry_set_free(&set);
	cr_assert_null(set.entries);
	cr_assert_eq(set.count, 0);
}

Test(configmap_dir, dot_names_are_ignored)
{
	struct kp_entry_set set;

	put_file(".hidden", "x");
	put_file("..odd", "x");
	put_dir(".git");
	put_file("custom.a", "a");
	read_ok(&set);
	cr_assert_eq(set.count, 1);
	assert_data(&set, "custom.a", "a");
	kp_entry_set_free(&set);
}

Test(configmap_dir, names_are_not_judged_by_the_reader)
{
	struct kp_entry_set set;

	put_file("not a key", "x");
	put_file("custom.ok", "y");
	read_ok(&set);
	cr_assert_eq(set.count, 2);
	assert_data(&set, "not a key", "x");
	kp_entry_set_free(&set);
}

Test(configmap_dir, empty_file_has_non_null_data)
{
	struct kp_entry_set set;

	put_file("custom.empty", "");
	read_ok(&set);
	assert_data(&set, "custom.empty", "");
	kp_entry_set_free(&set);
}

Test(configmap_dir, empty_directory_is_an_empty_set)
{
	struct kp_entry_set set;

	read_ok(&set);
	cr_assert_eq(set.count, 0);
	kp_entry_set_free(&set);
}

Test(configmap_dir, kubelet_layout_is_read_through_data)
{
	static const char *const keys[] = { "custom.b", "custom.a" };
	static const char *const vals[] = { "bee", "ay" };
	struct kp_entry_set set;

	put_kubelet(TS_A, keys, vals, 2);
	/* A top-level regular file beside ..data is not part of the
	 * ConfigMap: kubelet never writes one. */
	put_file("custom.stray", "stray");
	read_ok(&set);
	cr_assert_eq(set.count, 2);
	cr_assert_str_eq(set.entries[0].key, "custom.a");
	assert_data(&set, "custom.a", "ay");
	assert_data(&set, "custom.b", "bee");
	cr_assert_null(kp_entry_set_find(&set, "custom.stray"));
	kp_entry_set_free(&set);
}

Test(configmap_dir, kubelet_layout_ignores_dot_names_inside_data)
{
	static const char *const keys[] = { "custom.a" };
	static const char *const vals[] = { "ay" };
	struct kp_entry_set set;

	put_kubelet(TS_A, keys, vals, 1);
	put_file(TS_A "/.hidden", "x");
	read_ok(&set);
	cr_assert_eq(set.count, 1);
	kp_entry_set_free(&set);
}

Test(configmap_dir, symlink_inside_data_dir_is_not_followed)
{
	static const char *const keys[] = { "custom.a" };
	static const char *const vals[] = { "ay" };
	struct kp_entry_set set;

	put_kubelet(TS_A, keys, vals, 1);
	put_link(TS_A "/custom.link", "custom.a");
	put_link(TS_A "/custom.passwd", "/etc/passwd");
	read_ok(&set);
	assert_error(&set, "custom.link", KP_REASON_NOT_REGULAR_FILE);
	assert_error(&set, "custom.passwd", KP_REASON_NOT_REGULAR_FILE);
	assert_data(&set, "custom.a", "ay");
	kp_entry_set_free(&set);
}

Test(configmap_dir, fifo_does_not_hang_and_is_rejected)
{
	static const char *const keys[] = { "custom.a" };
	static const char *const vals[] = { "ay" };
	struct kp_entry_set set;

	put_kubelet(TS_A, keys, vals, 1);
	cr_assert_eq(mkfifoat(rootfd, TS_A "/custom.fifo", 0644), 0);
	read_ok(&set);
	assert_error(&set, "custom.fifo", KP_REASON_NOT_REGULAR_FILE);
	cr_assert_str_eq(entry(&set, "custom.fifo")->message, "a FIFO");
	kp_entry_set_free(&set);
}

Test(configmap_dir, fifo_in_plain_dir_and_behind_symlink)
{
	struct kp_entry_set set;

	cr_assert_eq(mkfifoat(rootfd, "custom.fifo", 0644), 0);
	put_link("custom.tofifo", "custom.fifo");
	read_ok(&set);
	assert_error(&set, "custom.fifo", KP_REASON_NOT_REGULAR_FILE);
	/* Reached through the symlink, opened O_NONBLOCK, refused by fstat. */
	assert_error(&set, "custom.tofifo", KP_REASON_NOT_REGULAR_FILE);
	kp_entry_set_free(&set);
}

Test(configmap_dir, directory_device_and_socket_are_not_regular)
{
	struct kp_entry_set set;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	put_dir("custom.dir");
	int have_dev = mknodat(rootfd, "custom.dev", S_IFCHR | 0644,
	    makedev(1, 3)) == 0;
	int have_blk = mknodat(rootfd, "custom.blk", S_IFBLK | 0644,
	    makedev(7, 0)) == 0;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/custom.sock", root);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s >= 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	read_ok(&set);
	close(s);
	assert_error(&set, "custom.dir", KP_REASON_NOT_REGULAR_FILE);
	cr_assert_str_eq(entry(&set, "custom.dir")->message, "a directory");
	assert_error(&set, "custom.sock", KP_REASON_NOT_REGULAR_FILE);
	if (have_dev) {
		assert_error(&set, "custom.dev", KP_REASON_NOT_REGULAR_FILE);
		cr_assert_str_eq(entry(&set, "custom.dev")->message,
		    "a character device");
	}
	if (have_blk)
		cr_assert_str_eq(entry(&set, "custom.blk")->message,
		    "a block device");
	kp_entry_set_free(&set);
}

Test(configmap_dir, symlinks_leaving_the_directory_are_rejected)
{
	struct kp_entry_set set;

	put_link("custom.rel", "../../etc/passwd");
	put_link("custom.abs", "/etc/passwd");
	put_link("custom.sneaky", "sub/../../etc/passwd");
	put_link("custom.parent", "..");
	read_ok(&set);
	assert_error(&set, "custom.rel", KP_REASON_SYMLINK_ESCAPE);
	assert_error(&set, "custom.abs", KP_REASON_SYMLINK_ESCAPE);
	assert_error(&set, "custom.sneaky", KP_REASON_SYMLINK_ESCAPE);
	assert_error(&set, "custom.parent", KP_REASON_SYMLINK_ESCAPE);
	kp_entry_set_free(&set);
}

Test(configmap_dir, symlinks_inside_the_directory_are_followed)
{
	struct kp_entry_set set;

	put_file("custom.a", "ay");
	put_dir("sub");
	put_file("sub/file", "nested");
	put_link("custom.b", "custom.a");
	put_link("custom.c", "./sub/../custom.a");
	put_link("custom.d", "sub/file");
	read_ok(&set);
	assert_data(&set, "custom.b", "ay");
	assert_data(&set, "custom.c", "ay");
	assert_data(&set, "custom.d", "nested");
	kp_entry_set_free(&set);
}

Test(configmap_dir, symlink_through_another_link_is_not_followed)
{
	struct kp_entry_set set;

	/* "sub/../x" would be harmless lexically, but a link in the middle
	 * of the path can point anywhere: never walk through one. */
	put_link("etc", "/etc");
	put_link("custom.mid", "etc/passwd");
	put_file("custom.a", "ay");
	put_link("custom.hop1", "custom.a");
	put_link("custom.hop2", "custom.hop1");
	read_ok(&set);
	assert_error(&set, "custom.mid", KP_REASON_SYMLINK_ESCAPE);
	assert_error(&set, "custom.hop2", KP_REASON_SYMLINK_ESCAPE);
	assert_data(&set, "custom.hop1", "ay");
	/* The top-level "etc" link itself is an entry that leaves. */
	assert_error(&set, "etc", KP_REASON_SYMLINK_ESCAPE);
	kp_entry_set_free(&set);
}

Test(configmap_dir, dangling_and_directory_symlinks)
{
	struct kp_entry_set set;

	put_link("custom.dangling", "custom.missing");
	put_link("custom.deep", "nodir/file");
	put_link("custom.self", ".");
	put_dir("sub");
	put_link("custom.sub", "sub");
	read_ok(&set);
	assert_error(&set, "custom.dangling", KP_REASON_READ_ERROR);
	assert_error(&set, "custom.deep", KP_REASON_READ_ERROR);
	assert_error(&set, "custom.self", KP_REASON_NOT_REGULAR_FILE);
	assert_error(&set, "custom.sub", KP_REASON_NOT_REGULAR_FILE);
	kp_entry_set_free(&set);
}

Test(configmap_dir, size_cap_is_exact)
{
	struct kp_entry_set set;

	put_sized_file("custom.max", KP_PROFILE_MAX_BYTES);
	put_sized_file("custom.over", KP_PROFILE_MAX_BYTES + 1);
	read_ok(&set);
	const struct kp_entry *e = entry(&set, "custom.max");
	cr_assert_eq(e->read_error, KP_REASON_NONE);
	cr_assert_eq(e->len, KP_PROFILE_MAX_BYTES);
	assert_error(&set, "custom.over", KP_REASON_TOO_LARGE);
	kp_entry_set_free(&set);
}

Test(configmap_dir, key_count_cap_fails_the_snapshot, .timeout = 60)
{
	struct kp_entry_set set;
	char name[32];

	for (int i = 0; i < KP_KEYS_MAX; i++) {
		snprintf(name, sizeof(name), "custom.k%05d", i);
		put_file(name, "x");
	}
	read_ok(&set);
	cr_assert_eq(set.count, KP_KEYS_MAX);
	cr_assert_str_eq(set.entries[0].key, "custom.k00000");
	cr_assert_str_eq(set.entries[KP_KEYS_MAX - 1].key, "custom.k04095");
	kp_entry_set_free(&set);

	/* One more: the whole snapshot fails, so nothing would be removed. */
	put_file("custom.one-too-many", "x");
	read_fails("too-many-keys");
}

Test(configmap_dir, total_size_cap_fails_the_snapshot, .timeout = 60)
{
	char name[32];
	size_t n = KP_CONFIGMAP_MAX_TOTAL_BYTES / KP_PROFILE_MAX_BYTES;

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "custom.k%03zu", i);
		put_sized_file(name, KP_PROFILE_MAX_BYTES);
	}
	struct kp_entry_set set;
	read_ok(&set);
	cr_assert_eq(set.count, n);
	kp_entry_set_free(&set);
	put_file("custom.last-byte", "x");
	read_fails("more than");
}

Test(configmap_dir, dangling_data_fails)
{
	put_link("..data", TS_A);
	put_link("custom.a", "..data/custom.a");
	read_fails("missing directory");
}

Test(configmap_dir, data_must_be_a_symlink_to_a_dotdot_sibling)
{
	put_dir("..data");
	read_fails("not a symbolic link");
}

Test(configmap_dir, data_pointing_to_parent_fails)
{
	put_link("..data", "..");
	read_fails("must name");
}

Test(configmap_dir, data_pointing_elsewhere_fails)
{
	put_dir(TS_A);
	put_link("..data", "./" TS_A);
	read_fails("must name");
}

Test(configmap_dir, data_pointing_into_a_subpath_fails)
{
	put_dir(TS_A);
	put_dir(TS_A "/sub");
	put_link("..data", TS_A "/sub");
	read_fails("must name");
}

Test(configmap_dir, data_pointing_to_plain_name_fails)
{
	put_dir("data");
	put_link("..data", "data");
	read_fails("must name");
}

Test(configmap_dir, data_pointing_to_a_file_fails)
{
	put_file(TS_A, "not a dir");
	put_link("..data", TS_A);
	read_fails("cannot open");
}

Test(configmap_dir, data_pointing_to_a_symlink_fails)
{
	put_link(TS_A, "/etc");
	put_link("..data", TS_A);
	read_fails("cannot open");
}

Test(configmap_dir, missing_directory_fails)
{
	struct kp_entry_set set;
	char err[128];

	cr_assert_eq(kp_configmap_read_path("/nonexistent/kp-test", &set, err,
	    sizeof(err)), -1);
	cr_assert_eq(set.count, 0);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
}

Test(configmap_dir, read_path_works)
{
	struct kp_entry_set set;
	char err[128];

	put_file("custom.a", "ay");
	cr_assert_eq(kp_configmap_read_path(root, &set, err, sizeof(err)), 0);
	assert_data(&set, "custom.a", "ay");
	kp_entry_set_free(&set);
}

Test(configmap_dir, read_path_on_a_file_fails)
{
	struct kp_entry_set set;
	char err[128], path[128];

	put_file("custom.a", "ay");
	snprintf(path, sizeof(path), "%s/custom.a", root);
	cr_assert_eq(kp_configmap_read_path(path, &set, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "Not a directory"), "%s", err);
}

/* A file the reader may not open is that key's problem, not the
 * snapshot's: the key stays in the set (so nothing is removed). */
Test(configmap_dir, unreadable_file_is_a_per_key_error)
{
	put_file("custom.a", "ay");
	put_file("custom.secret", "no");
	cr_assert_eq(fchmodat(rootfd, "custom.secret", 0, 0), 0);
	cr_assert_eq(fchmod(rootfd, 0755), 0);
	if (geteuid() != 0)
		cr_skip_test("needs root to switch to an unprivileged uid");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct kp_entry_set set;
		char err[128];
		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(10);
		if (kp_configmap_read_dir(rootfd, &set, err, sizeof(err)) != 0)
			_exit(11);
		const struct kp_entry *e = kp_entry_set_find(&set, "custom.secret");
		if (e == NULL || e->read_error != KP_REASON_READ_ERROR ||
		    strcmp(e->message, "permission denied") != 0 || e->data != NULL)
			_exit(12);
		e = kp_entry_set_find(&set, "custom.a");
		if (e == NULL || e->read_error != KP_REASON_NONE)
			_exit(13);
		kp_entry_set_free(&set);
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "child check %d failed",
	    WEXITSTATUS(status));
}

Test(configmap_dir, caller_fd_is_reusable)
{
	struct kp_entry_set a, b;

	put_file("custom.a", "ay");
	put_file("custom.b", "bee");
	read_ok(&a);
	read_ok(&b);
	cr_assert_eq(a.count, 2);
	cr_assert_eq(b.count, 2);
	kp_entry_set_free(&a);
	kp_entry_set_free(&b);
}

/* ..data changing during a read. */

struct swap_plan {
	unsigned swaps_left;
	bool remove_old;
	unsigned calls;
};

static void
swap_hook(int dirfd, unsigned attempt, void *arg)
{
	struct swap_plan *plan = arg;

	(void)attempt;
	plan->calls++;
	if (plan->swaps_left == 0)
		return;
	plan->swaps_left--;
	/* Alternate between the two timestamped directories. */
	char now[64];
	ssize_t n = readlinkat(dirfd, "..data", now, sizeof(now) - 1);
	cr_assert(n > 0);
	now[n] = '\0';
	const char *next = strcmp(now, TS_A) == 0 ? TS_B : TS_A;
	swap_data(dirfd, next);
}

static void
put_two_versions(void)
{
	static const char *const keys[] = { "custom.a" };
	static const char *const v1[] = { "version one" };

	put_kubelet(TS_A, keys, v1, 1);
	put_dir(TS_B);
	put_file(TS_B "/custom.a", "version two");
	put_file(TS_B "/custom.new", "new key");
}

Test(configmap_dir, data_swapped_during_read_is_read_again)
{
	struct kp_entry_set set;
	struct swap_plan plan = { .swaps_left = 1 };
	unsigned attempts = 0;
	char err[128];

	put_two_versions();
	cr_assert_eq(kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    swap_hook, &plan, &attempts), 0, "%s", err);
	cr_assert_eq(attempts, 2);
	cr_assert_eq(plan.calls, 2);
	/* The snapshot is the new version, whole: never a mix. */
	cr_assert_eq(set.count, 2);
	assert_data(&set, "custom.a", "version two");
	assert_data(&set, "custom.new", "new key");
	kp_entry_set_free(&set);
}

static void
recreate_hook(int dirfd, unsigned attempt, void *arg)
{
	(void)arg;
	if (attempt != 1)
		return;
	cr_assert_eq(renameat(dirfd, TS_A, dirfd, "..old"), 0);
	cr_assert_eq(mkdirat(dirfd, TS_A, 0755), 0);
	int fd = openat(dirfd, TS_A "/custom.a", O_WRONLY | O_CREAT | O_CLOEXEC,
	    0644);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "recreated", 9), 9);
	close(fd);
}

/* Same target name, but a new directory behind it: the inode check
 * notices what comparing names cannot. */
Test(configmap_dir, data_directory_replaced_under_same_name)
{
	struct kp_entry_set set;
	unsigned attempts = 0;
	char err[128];
	static const char *const keys[] = { "custom.a" };
	static const char *const v1[] = { "old" };

	put_kubelet(TS_A, keys, v1, 1);
	cr_assert_eq(kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    recreate_hook, NULL, &attempts), 0, "%s", err);
	cr_assert_eq(attempts, 2);
	assert_data(&set, "custom.a", "recreated");
	kp_entry_set_free(&set);
}

Test(configmap_dir, data_that_keeps_changing_fails)
{
	struct kp_entry_set set;
	struct swap_plan plan = { .swaps_left = 1000 };
	unsigned attempts = 0;
	char err[128];

	put_two_versions();
	cr_assert_eq(kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    swap_hook, &plan, &attempts), -1);
	cr_assert_eq(attempts, KP_SNAPSHOT_ATTEMPTS);
	cr_assert_eq(set.count, 0);
	cr_assert_not_null(strstr(err, "kept changing"), "%s", err);
}

static void
old_removed_hook(int dirfd, unsigned attempt, void *arg)
{
	(void)arg;
	if (attempt != 1)
		return;
	/* kubelet: swap, then remove the old directory. */
	swap_data(dirfd, TS_B);
	cr_assert_eq(unlinkat(dirfd, TS_A "/custom.a", 0), 0);
	cr_assert_eq(unlinkat(dirfd, TS_A, AT_REMOVEDIR), 0);
}

Test(configmap_dir, old_data_removed_after_swap)
{
	struct kp_entry_set set;
	unsigned attempts = 0;
	char err[128];

	put_two_versions();
	cr_assert_eq(kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    old_removed_hook, NULL, &attempts), 0, "%s", err);
	cr_assert_eq(attempts, 2);
	assert_data(&set, "custom.a", "version two");
	kp_entry_set_free(&set);
}

static void
data_appears_hook(int dirfd, unsigned attempt, void *arg)
{
	(void)arg;
	if (attempt == 1)
		swap_data(dirfd, TS_B);
}

Test(configmap_dir, data_appearing_during_plain_read)
{
	struct kp_entry_set set;
	unsigned attempts = 0;
	char err[128];

	put_file("custom.a", "plain");
	put_dir(TS_B);
	put_file(TS_B "/custom.a", "from data");
	cr_assert_eq(kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    data_appears_hook, NULL, &attempts), 0, "%s", err);
	cr_assert_eq(attempts, 2);
	assert_data(&set, "custom.a", "from data");
	kp_entry_set_free(&set);
}

Test(configmap_dir, entry_set_find_and_add_limits)
{
	struct kp_entry_set set = { 0 };

	cr_assert_null(kp_entry_set_find(&set, "x"));
	for (int i = 0; i < KP_KEYS_MAX; i++)
		cr_assert_not_null(kp_entry_set_add(&set, "k", 1));
	cr_assert_null(kp_entry_set_add(&set, "k", 1));
	cr_assert_eq(set.count, KP_KEYS_MAX);
	kp_entry_set_free(&set);
}

Test(configmap_dir, data_target_too_long_fails)
{
	char target[600];

	memset(target, 'a', sizeof(target) - 1);
	target[0] = '.';
	target[1] = '.';
	target[sizeof(target) - 1] = '\0';
	put_link("..data", target);
	read_fails("target is too long");
}

Test(configmap_dir, socket_inside_data_dir_is_not_regular)
{
	static const char *const keys[] = { "custom.a" };
	static const char *const vals[] = { "profile custom.a {}\n" };
	struct kp_entry_set set;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	put_kubelet(TS_A, keys, vals, 1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s/custom.sock", root,
	    TS_A);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(s >= 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	read_ok(&set);
	close(s);
	assert_data(&set, "custom.a", "profile custom.a {}\n");
	assert_error(&set, "custom.sock", KP_REASON_NOT_REGULAR_FILE);
	kp_entry_set_free(&set);
}
