/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/state.h"
#include "tmpdir.h"

#define SHA_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_B "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define BOOT1 "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
#define BOOT2 "ffffffff-0000-1111-2222-333333333333"
#define HDR   "kapparmor-state 1\n"

static char base[64];
static int dirfd_;
static char err[256];

static void
setup(void)
{
	tmpdir_make(base, sizeof(base));
	dirfd_ = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(dirfd_ >= 0);
	err[0] = '\0';
}

static void
teardown(void)
{
	close(dirfd_);
	tmpdir_remove(base);
}

TestSuite(state, .init = setup, .fini = teardown);

static enum kp_state_status
parse_str(const char *s, struct kp_state *st)
{
	return kp_state_parse(s, strlen(s), st, err, sizeof(err));
}

static void
expect_corrupt(const char *text, const char *why)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(parse_str(text, &st), KP_STATE_CORRUPT, "accepted: %s", text);
	cr_assert_str_eq(err, why, "for: %s", text);
	cr_assert_eq(st.count, 0);
	kp_state_free(&st);
}

/* ---- round trip ---- */

static void
fill(struct kp_state *st)
{
	kp_state_init(st);
	cr_assert_eq(kp_state_set_loaded(st, "custom.zeta", SHA_A, BOOT1, "3.0.8"), 0);
	cr_assert_eq(kp_state_set_loaded(st, "custom.alpha", SHA_B, BOOT2, "3.0.8"), 0);
	cr_assert_eq(kp_state_set_failed(st, "custom.alpha", SHA_A, "3.0.8", 1000), 0);
	cr_assert_eq(kp_state_set_failed(st, "custom.mid", SHA_B, "4.0.0~beta1", 5), 0);
}

static const char expected_text[] =
    HDR
    "loaded custom.alpha " SHA_B " " BOOT2 " 3.0.8\n"
    "failed custom.alpha " SHA_A " 3.0.8 1 1060\n"
    "failed custom.mid " SHA_B " 4.0.0~beta1 1 65\n"
    "loaded custom.zeta " SHA_A " " BOOT1 " 3.0.8\n";

Test(state, format_is_sorted_and_exact)
{
	struct kp_state st;
	char *text;
	size_t len;

	fill(&st);
	cr_assert_eq(st.count, 3);
	cr_assert_eq(kp_state_format(&st, &text, &len), 0);
	cr_assert_eq(len, strlen(expected_text));
	cr_assert_str_eq(text, expected_text);
	free(text);
	kp_state_free(&st);
}

Test(state, save_then_load_round_trips)
{
	struct kp_state st, back;
	const struct kp_state_entry *e;
	struct stat sb;
	char *onfile;

	fill(&st);
	cr_assert_eq(kp_state_save(dirfd_, &st), 0);
	onfile = read_file(base, KP_STATE_FILE, NULL);
	cr_assert_str_eq(onfile, expected_text);
	free(onfile);
	cr_assert_eq(stat(join(base, KP_STATE_FILE), &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600);

	kp_state_init(&back);
	cr_assert_eq(kp_state_load(dirfd_, &back, err, sizeof(err)), KP_STATE_OK,
	    "%s", err);
	cr_assert_eq(back.count, st.count);
	for (size_t i = 0; i < st.count; i++)
		cr_assert_eq(memcmp(&st.entries[i], &back.entries[i],
		    sizeof(st.entries[i])), 0, "entry %zu", i);
	e = kp_state_find(&back, "custom.alpha");
	cr_assert_not_null(e);
	cr_assert(e->loaded.present);
	cr_assert_str_eq(e->loaded.boot_id, BOOT2);
	cr_assert(e->failed.present);
	cr_assert_eq(e->failed.count, 1);
	cr_assert_eq(e->failed.next_retry, 1060);
	e = kp_state_find(&back, "custom.mid");
	cr_assert_not(e->loaded.present);
	cr_assert_str_eq(e->failed.parser_version, "4.0.0~beta1");
	cr_assert_null(kp_state_find(&back, "custom.none"));
	kp_state_free(&back);
	kp_state_free(&st);
}

Test(state, save_leaves_no_temporary_and_replaces)
{
	struct kp_state st;
	DIR *d;
	struct dirent *de;
	int n = 0;

	write_str(base, KP_STATE_FILE, "old junk");
	fill(&st);
	cr_assert_eq(kp_state_save(dirfd_, &st), 0);
	cr_assert_eq(kp_state_save(dirfd_, &st), 0);
	d = opendir(base);
	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cr_assert_str_eq(de->d_name, KP_STATE_FILE);
		n++;
	}
	closedir(d);
	cr_assert_eq(n, 1);
	kp_state_free(&st);
}

Test(state, save_replaces_symlink_not_its_target)
{
	struct kp_state st;
	struct stat sb;
	char *victim;

	write_str(base, "victim", "precious\n");
	cr_assert_eq(symlink("victim", join(base, KP_STATE_FILE)), 0);
	fill(&st);
	cr_assert_eq(kp_state_save(dirfd_, &st), 0);
	cr_assert_eq(lstat(join(base, KP_STATE_FILE), &sb), 0);
	cr_assert(S_ISREG(sb.st_mode));
	victim = read_file(base, "victim", NULL);
	cr_assert_str_eq(victim, "precious\n");
	free(victim);
	kp_state_free(&st);
}

Test(state, empty_state_round_trips)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(kp_state_save(dirfd_, &st), 0);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)), KP_STATE_OK);
	cr_assert_eq(st.count, 0);
	kp_state_free(&st);
}

Test(state, missing_file)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)),
	    KP_STATE_MISSING);
	cr_assert_eq(st.count, 0);
}

/* ---- strict parsing ---- */

Test(state, loaded_and_failed_of_one_key_merge)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(parse_str(HDR
	    "failed custom.a " SHA_A " 3.0.8 3 99\n"
	    "loaded custom.b " SHA_B " " BOOT1 " 3.0.8\n"
	    "loaded custom.a " SHA_B " " BOOT1 " 3.0.8\n", &st), KP_STATE_OK,
	    "%s", err);
	cr_assert_eq(st.count, 2);
	cr_assert_str_eq(st.entries[0].key, "custom.a");
	cr_assert(st.entries[0].loaded.present);
	cr_assert(st.entries[0].failed.present);
	cr_assert_eq(st.entries[0].failed.count, 3);
	cr_assert_str_eq(st.entries[1].key, "custom.b");
	kp_state_free(&st);
}

Test(state, corrupt_header)
{
	expect_corrupt("", "empty (no header)");
	expect_corrupt("kapparmor-state 2\n", "line 1: not a \"kapparmor-state 1\" header");
	expect_corrupt("kapparmor-state 1 \n", "line 1: not a \"kapparmor-state 1\" header");
	expect_corrupt("kapparmor-state 1", "line 1: truncated (no newline)");
	expect_corrupt("\n" HDR, "line 1: not a \"kapparmor-state 1\" header");
	expect_corrupt("loaded custom.a " SHA_A " " BOOT1 " 3.0.8\n",
	    "line 1: not a \"kapparmor-state 1\" header");
}

Test(state, corrupt_hex)
{
	expect_corrupt(HDR "loaded custom.a "
	    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 "
	    BOOT1 " 3.0.8\n", "line 2: invalid sha256");
	expect_corrupt(HDR "loaded custom.a "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 "
	    BOOT1 " 3.0.8\n", "line 2: invalid sha256");
	expect_corrupt(HDR "failed custom.a "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85z "
	    "3.0.8 1 0\n", "line 2: invalid sha256");
}

Test(state, corrupt_fields)
{
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 "\n",
	    "line 2: a loaded record has 5 fields");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8 x\n",
	    "line 2: a loaded record has 5 fields");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1\n",
	    "line 2: a failed record has 6 fields");
	expect_corrupt(HDR "loaded custom.a  " SHA_A " " BOOT1 " 3.0.8\n",
	    "line 2: empty field");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8 \n",
	    "line 2: empty field");
	expect_corrupt(HDR "\n", "line 2: empty field");
	expect_corrupt(HDR "loadedx custom.a " SHA_A " " BOOT1 " 3.0.8\n",
	    "line 2: unknown record type");
	expect_corrupt(HDR "loaded ../etc " SHA_A " " BOOT1 " 3.0.8\n",
	    "line 2: invalid key");
	expect_corrupt(HDR "loaded notcustom.a " SHA_A " " BOOT1 " 3.0.8\n",
	    "line 2: invalid key");
	expect_corrupt(HDR "loaded custom.a " SHA_A " 0B1C2D3E-4f50-6172-8394-a5b6c7d8e9f0 3.0.8\n",
	    "line 2: invalid boot id");
	expect_corrupt(HDR "loaded custom.a " SHA_A " 0b1c2d3e4f50-6172-8394-a5b6c7d8e9f0a 3.0.8\n",
	    "line 2: invalid boot id");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8/x\n",
	    "line 2: invalid parser version");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8\r\n",
	    "line 2: invalid parser version");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1
	    " 123456789012345678901234567890123\n",
	    "line 2: invalid parser version");
}

Test(state, corrupt_numbers)
{
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 0 5\n",
	    "line 2: invalid failure count");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 01 5\n",
	    "line 2: invalid failure count");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 +1 5\n",
	    "line 2: invalid failure count");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1000001 5\n",
	    "line 2: invalid failure count");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1 -5\n",
	    "line 2: invalid retry time");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1 05\n",
	    "line 2: invalid retry time");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1 9223372036854775808\n",
	    "line 2: invalid retry time");
	expect_corrupt(HDR "failed custom.a " SHA_A " 3.0.8 1 5x\n",
	    "line 2: invalid retry time");
}

Test(state, number_limits_accepted)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(parse_str(HDR "failed custom.a " SHA_A
	    " 3.0.8 1000000 9223372036854775807\n", &st), KP_STATE_OK, "%s", err);
	cr_assert_eq(st.entries[0].failed.count, 1000000);
	cr_assert_eq(st.entries[0].failed.next_retry, INT64_MAX);
	cr_assert_eq(parse_str(HDR "failed custom.a " SHA_A " 3.0.8 1 0\n", &st),
	    KP_STATE_OK);
	cr_assert_eq(st.entries[0].failed.next_retry, 0);
	kp_state_free(&st);
}

Test(state, corrupt_duplicates)
{
	expect_corrupt(HDR
	    "loaded custom.a " SHA_A " " BOOT1 " 3.0.8\n"
	    "loaded custom.b " SHA_A " " BOOT1 " 3.0.8\n"
	    "loaded custom.a " SHA_B " " BOOT1 " 3.0.8\n",
	    "line 4: duplicate record");
	expect_corrupt(HDR
	    "failed custom.a " SHA_A " 3.0.8 1 5\n"
	    "failed custom.a " SHA_A " 3.0.8 1 5\n",
	    "line 3: duplicate record");
}

Test(state, corrupt_truncated_and_bytes)
{
	static const char nul[] = HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0\0.8\n";
	struct kp_state st;
	char line[400];

	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8",
	    "line 2: truncated (no newline)");
	expect_corrupt(HDR "loaded custom.a " SHA_A " " BOOT1 " 3.0.8\nloaded",
	    "line 3: truncated (no newline)");
	kp_state_init(&st);
	cr_assert_eq(kp_state_parse(nul, sizeof(nul) - 1, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	cr_assert_str_eq(err, "contains a NUL byte");
	memset(line, 'x', sizeof(line));
	memcpy(line, HDR, strlen(HDR));
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	expect_corrupt(line, "line 2: too long");
}

static char *
many_records(size_t n, const char *kind, size_t *len)
{
	size_t cap = strlen(HDR) + n * 200;
	char *buf = malloc(cap);
	size_t used;

	cr_assert_not_null(buf);
	used = (size_t)snprintf(buf, cap, "%s", HDR);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(kind, "loaded") == 0)
			used += (size_t)snprintf(buf + used, cap - used,
			    "loaded custom.k%06zu " SHA_A " " BOOT1 " 3.0.8\n", i);
		else
			used += (size_t)snprintf(buf + used, cap - used,
			    "failed custom.k%06zu " SHA_A " 3.0.8 1 0\n", i % KP_STATE_KEYS_MAX);
	}
	*len = used;
	return buf;
}

Test(state, key_count_limit)
{
	struct kp_state st;
	size_t len;
	char *buf;
	char want[64];

	kp_state_init(&st);
	buf = many_records(KP_STATE_KEYS_MAX, "loaded", &len);
	cr_assert_eq(kp_state_parse(buf, len, &st, err, sizeof(err)), KP_STATE_OK,
	    "%s", err);
	cr_assert_eq(st.count, KP_STATE_KEYS_MAX);
	/* At the limit, a new key is refused but an existing one updates. */
	cr_assert_eq(kp_state_set_loaded(&st, "custom.new", SHA_A, BOOT1, "3.0.8"), -1);
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.k000000", SHA_B, BOOT1, "3.0.8"), 0);
	free(buf);

	buf = many_records(KP_STATE_KEYS_MAX + 1, "loaded", &len);
	cr_assert_eq(kp_state_parse(buf, len, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	snprintf(want, sizeof(want), "more than %d keys", KP_STATE_KEYS_MAX);
	cr_assert_str_eq(err, want);
	cr_assert_eq(st.count, 0);
	free(buf);
	kp_state_free(&st);
}

Test(state, record_count_limit)
{
	struct kp_state st;
	size_t len;
	char *buf;
	char want[64];

	kp_state_init(&st);
	/* 2 * KP_STATE_KEYS_MAX + 1 records: too many before any merging. */
	buf = many_records(2 * KP_STATE_KEYS_MAX + 1, "failed", &len);
	cr_assert_eq(kp_state_parse(buf, len, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	snprintf(want, sizeof(want), "line %d: too many records",
	    2 * KP_STATE_KEYS_MAX + 2);
	cr_assert_str_eq(err, want);
	free(buf);
	kp_state_free(&st);
}

Test(state, oversize_file)
{
	struct kp_state st;
	char *buf;
	char want[64];

	buf = malloc(KP_STATE_MAX_BYTES + 1);
	cr_assert_not_null(buf);
	memset(buf, '\n', KP_STATE_MAX_BYTES + 1);
	memcpy(buf, HDR, strlen(HDR));
	write_file(base, KP_STATE_FILE, buf, KP_STATE_MAX_BYTES + 1);
	kp_state_init(&st);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	snprintf(want, sizeof(want), "larger than %zu bytes",
	    (size_t)KP_STATE_MAX_BYTES);
	cr_assert_str_eq(err, want);
	cr_assert_eq(kp_state_parse(buf, KP_STATE_MAX_BYTES + 1, &st, err,
	    sizeof(err)), KP_STATE_CORRUPT);
	cr_assert_str_eq(err, want);
	free(buf);
}

Test(state, symlink_instead_of_file)
{
	struct kp_state st;
	struct kp_state good;

	fill(&good);
	cr_assert_eq(kp_state_save(dirfd_, &good), 0);
	cr_assert_eq(rename(join(base, KP_STATE_FILE), join(base, "real")), 0);
	cr_assert_eq(symlink("real", join(base, KP_STATE_FILE)), 0);
	kp_state_init(&st);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	cr_assert_str_eq(err, "is a symlink");
	kp_state_free(&good);
}

Test(state, fifo_or_directory_instead_of_file, .timeout = 10)
{
	struct kp_state st;

	cr_assert_eq(mkfifo(join(base, KP_STATE_FILE), 0600), 0);
	kp_state_init(&st);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	cr_assert_str_eq(err, "not a regular file");
	cr_assert_eq(unlink(join(base, KP_STATE_FILE)), 0);
	cr_assert_eq(mkdir(join(base, KP_STATE_FILE), 0700), 0);
	cr_assert_eq(kp_state_load(dirfd_, &st, err, sizeof(err)),
	    KP_STATE_CORRUPT);
	cr_assert_str_eq(err, "not a regular file");
}

/* ---- updates and decisions ---- */

Test(state, backoff_table)
{
	cr_assert_eq(kp_state_backoff_seconds(0), 60);
	cr_assert_eq(kp_state_backoff_seconds(1), 60);
	cr_assert_eq(kp_state_backoff_seconds(2), 120);
	cr_assert_eq(kp_state_backoff_seconds(3), 240);
	cr_assert_eq(kp_state_backoff_seconds(6), 1920);
	cr_assert_eq(kp_state_backoff_seconds(7), 3600);
	cr_assert_eq(kp_state_backoff_seconds(1000000), 3600);
}

Test(state, failures_count_up_per_content_and_version)
{
	struct kp_state st;
	const struct kp_state_entry *e;

	kp_state_init(&st);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8", 1000), 0);
	e = kp_state_find(&st, "custom.a");
	cr_assert_eq(e->failed.count, 1);
	cr_assert_eq(e->failed.next_retry, 1060);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8", 1060), 0);
	e = kp_state_find(&st, "custom.a");
	cr_assert_eq(e->failed.count, 2);
	cr_assert_eq(e->failed.next_retry, 1180);
	/* A new content starts again at 1. */
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_B, "3.0.8", 2000), 0);
	e = kp_state_find(&st, "custom.a");
	cr_assert_eq(e->failed.count, 1);
	cr_assert_str_eq(e->failed.sha256, SHA_B);
	cr_assert_eq(e->failed.next_retry, 2060);
	/* So does a new parser version. */
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_B, "3.0.9", 2100), 0);
	e = kp_state_find(&st, "custom.a");
	cr_assert_eq(e->failed.count, 1);
	cr_assert_str_eq(e->failed.parser_version, "3.0.9");
	cr_assert_not(e->loaded.present);
	kp_state_free(&st);
}

Test(state, failure_count_saturates)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(parse_str(HDR "failed custom.a " SHA_A " 3.0.8 1000000 5\n",
	    &st), KP_STATE_OK);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8", 10), 0);
	cr_assert_eq(st.entries[0].failed.count, KP_STATE_FAIL_COUNT_MAX);
	cr_assert_eq(st.entries[0].failed.next_retry, 3610);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8",
	    INT64_MAX - 5), 0);
	cr_assert_eq(st.entries[0].failed.next_retry, INT64_MAX);
	kp_state_free(&st);
}

Test(state, should_try_respects_backoff)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert(kp_state_should_try(&st, "custom.a", SHA_A, "3.0.8", 0));
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8", 1000), 0);
	cr_assert_not(kp_state_should_try(&st, "custom.a", SHA_A, "3.0.8", 1000));
	cr_assert_not(kp_state_should_try(&st, "custom.a", SHA_A, "3.0.8", 1059));
	cr_assert(kp_state_should_try(&st, "custom.a", SHA_A, "3.0.8", 1060));
	/* A changed content or parser is tried at once. */
	cr_assert(kp_state_should_try(&st, "custom.a", SHA_B, "3.0.8", 1001));
	cr_assert(kp_state_should_try(&st, "custom.a", SHA_A, "3.0.9", 1001));
	/* Other keys are unaffected. */
	cr_assert(kp_state_should_try(&st, "custom.b", SHA_A, "3.0.8", 1001));
	kp_state_free(&st);
}

Test(state, loaded_clears_failure_and_tracks_boot)
{
	struct kp_state st;
	const struct kp_state_entry *e;

	kp_state_init(&st);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_B, "3.0.8", 1000), 0);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.a", SHA_A, BOOT1, "3.0.8"), 0);
	e = kp_state_find(&st, "custom.a");
	cr_assert(e->loaded.present);
	cr_assert_not(e->failed.present);
	cr_assert(kp_state_is_loaded(&st, "custom.a", SHA_A, BOOT1));
	cr_assert_not(kp_state_is_loaded(&st, "custom.a", SHA_A, BOOT2));
	cr_assert_not(kp_state_is_loaded(&st, "custom.a", SHA_B, BOOT1));
	cr_assert_not(kp_state_is_loaded(&st, "custom.b", SHA_A, BOOT1));
	/* A later failure keeps the loaded record (the old profile stays). */
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_B, "3.0.8", 1000), 0);
	cr_assert(kp_state_is_loaded(&st, "custom.a", SHA_A, BOOT1));
	kp_state_free(&st);
}

Test(state, updates_refuse_bad_fields)
{
	struct kp_state st;

	kp_state_init(&st);
	cr_assert_eq(kp_state_set_loaded(&st, "a", SHA_A, BOOT1, "3.0.8"), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.a", "abc", BOOT1, "3.0.8"), -1);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.a", SHA_A, "boot", "3.0.8"), -1);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.a", SHA_A, BOOT1, ""), -1);
	cr_assert_eq(kp_state_set_loaded(&st, "custom.a", SHA_A, BOOT1, "3 0"), -1);
	cr_assert_eq(kp_state_set_failed(&st, "custom.a", SHA_A, "3.0.8", -1), -1);
	cr_assert_eq(kp_state_set_failed(&st, "custom a", SHA_A, "3.0.8", 1), -1);
	cr_assert_eq(st.count, 0);
	kp_state_free(&st);
}

Test(state, remove_and_order)
{
	struct kp_state st;
	static const char *keys[] = { "custom.m", "custom.c", "custom.x",
	    "custom.a", "custom.q" };

	kp_state_init(&st);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(kp_state_set_loaded(&st, keys[i], SHA_A, BOOT1, "v"), 0);
	cr_assert_eq(st.count, 5);
	for (size_t i = 1; i < st.count; i++)
		cr_assert_lt(strcmp(st.entries[i - 1].key, st.entries[i].key), 0);
	cr_assert(kp_state_remove(&st, "custom.m"));
	cr_assert_not(kp_state_remove(&st, "custom.m"));
	cr_assert_eq(st.count, 4);
	cr_assert_str_eq(st.entries[0].key, "custom.a");
	cr_assert_str_eq(st.entries[1].key, "custom.c");
	cr_assert_str_eq(st.entries[2].key, "custom.q");
	cr_assert_str_eq(st.entries[3].key, "custom.x");
	cr_assert(kp_state_remove(&st, "custom.x"));
	cr_assert(kp_state_remove(&st, "custom.a"));
	cr_assert_eq(st.count, 2);
	cr_assert_not_null(kp_state_find(&st, "custom.q"));
	kp_state_free(&st);
}

/* ---- boot id ---- */

Test(state, boot_id_from_fake_proc)
{
	char id[KP_BOOT_ID_LEN + 1];

	make_dirs(base, "proc/sys/kernel/random");
	write_str(base, "proc/sys/kernel/random/boot_id", BOOT1 "\n");
	{
		int procfd = open(join(base, "proc"), O_RDONLY | O_DIRECTORY);

		cr_assert_eq(kp_state_read_boot_id(procfd, id), 0);
		cr_assert_str_eq(id, BOOT1);
		write_str(base, "proc/sys/kernel/random/boot_id", BOOT1);
		cr_assert_eq(kp_state_read_boot_id(procfd, id), 0);
		cr_assert_str_eq(id, BOOT1);
		write_str(base, "proc/sys/kernel/random/boot_id", BOOT1 "\n\n");
		cr_assert_eq(kp_state_read_boot_id(procfd, id), -1);
		cr_assert_eq(errno, EINVAL);
		write_str(base, "proc/sys/kernel/random/boot_id", "not-a-boot-id\n");
		cr_assert_eq(kp_state_read_boot_id(procfd, id), -1);
		cr_assert_eq(errno, EINVAL);
		cr_assert_eq(unlink(join(base, "proc/sys/kernel/random/boot_id")), 0);
		cr_assert_eq(kp_state_read_boot_id(procfd, id), -1);
		cr_assert_eq(errno, ENOENT);
		close(procfd);
	}
}

Test(state, boot_id_from_real_proc)
{
	char id[KP_BOOT_ID_LEN + 1];
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY);

	cr_assert(procfd >= 0);
	cr_assert_eq(kp_state_read_boot_id(procfd, id), 0);
	cr_assert(kp_boot_id_is_valid(id));
	close(procfd);
}
