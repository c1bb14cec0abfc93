/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/validator.h"
#include "loader/fsutil.h"
#include "common/errbuf.h"

#define BOOT_ID_FILE      "sys/kernel/random/boot_id"
#define BOOT_ID_READ_MAX  64
#define RECORDS_MAX       (2 * (size_t)KP_STATE_KEYS_MAX)
#define INT64_DIGITS_MAX  19

/* The longest valid records must fit in a line, and a full state in the
 * file cap. */
_Static_assert(sizeof("loaded") + KP_KEY_MAX_LEN + 1 + KP_SHA256_HEX_LEN + 1 +
    KP_BOOT_ID_LEN + 1 + KP_PARSER_VERSION_MAX + 1 <= KP_STATE_LINE_MAX,
    "loaded record fits a line");
_Static_assert(sizeof("failed") + KP_KEY_MAX_LEN + 1 + KP_SHA256_HEX_LEN + 1 +
    KP_PARSER_VERSION_MAX + 1 + 7 + 1 + INT64_DIGITS_MAX + 1 <=
    KP_STATE_LINE_MAX, "failed record fits a line");


void
kp_state_init(struct kp_state *st)
{
	st->entries = NULL;
	st->count = 0;
	st->capacity = 0;
}

void
kp_state_free(struct kp_state *st)
{
	free(st->entries);
	kp_state_init(st);
}

static bool
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool
kp_boot_id_is_valid(const char *s)
{
	for (size_t i = 0; i < KP_BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_lower_hex(s[i]))
			return false;
	}
	return s[KP_BOOT_ID_LEN] == '\0';
}

bool
kp_parser_version_is_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i == KP_PARSER_VERSION_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '+' ||
		    c == '~' || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

static bool
key_is_valid(const char *key)
{
	return kp_key_is_valid(key, strlen(key));
}

/* Decimal without sign or leading zero, at most max. */
static bool
parse_uint(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= INT64_DIGITS_MAX)
			return false;
		if (v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int64_t
kp_state_backoff_seconds(unsigned count)
{
	int64_t s = KP_STATE_RETRY_BASE_SECONDS;

	for (unsigned i = 1; i < count && s < KP_STATE_RETRY_MAX_SECONDS; i++)
		s *= 2;
	return s < KP_STATE_RETRY_MAX_SECONDS ? s : KP_STATE_RETRY_MAX_SECONDS;
}

/* ---- parsing ---- */

struct record {
	struct kp_state_entry e;  /* exactly one of loaded/failed present */
	unsigned line;
};

static int
record_cmp(const void *a, const void *b)
{
	const struct record *ra = a, *rb = b;
	int c = strcmp(ra->e.key, rb->e.key);

	if (c != 0)
		return c;
	return ra->line < rb->line ? -1 : ra->line > rb->line;
}

#define FIELDS_MAX 7

/* Split a line (NUL-terminated, no newline) at single spaces. */
static size_t
split_fields(char *line, char **fields)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (n == FIELDS_MAX)
			return FIELDS_MAX + 1;
		fields[n++] = p;
		if (sp == NULL)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i][0] == '\0')
			return 0; /* empty field: double or edge space */
	}
	return n;
}

static bool
copy_field(char *dst, size_t dstlen, const char *src)
{
	size_t len = strlen(src);

	if (len >= dstlen)
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

/* Parse one record line into r; returns a reason or NULL. */
static const char *
parse_record(char *line, struct record *r)
{
	char *f[FIELDS_MAX + 1];
	size_t n = split_fields(line, f);
	int64_t v;

	memset(&r->e, 0, sizeof(r->e));
	if (n == 0)
		return "empty field";
	if (strcmp(f[0], "loaded") == 0) {
		struct kp_state_loaded *l = &r->e.loaded;

		if (n != 5)
			return "a loaded record has 5 fields";
		if (!key_is_valid(f[1]) || !copy_field(r->e.key, sizeof(r->e.key), f[1]))
			return "invalid key";
		if (!kp_sha256_hex_is_valid(f[2]))
			return "invalid sha256";
		if (!kp_boot_id_is_valid(f[3]))
			return "invalid boot id";
		if (!kp_parser_version_is_valid(f[4]))
			return "invalid parser version";
		memcpy(l->sha256, f[2], KP_SHA256_HEX_LEN + 1);
		memcpy(l->boot_id, f[3], KP_BOOT_ID_LEN + 1);
		(void)copy_field(l->parser_version, sizeof(l->parser_version), f[4]);
		l->present = true;
		return NULL;
	}
	if (strcmp(f[0], "failed") == 0) {
		struct kp_state_failed *fl = &r->e.failed;

		if (n != 6)
			return "a failed record has 6 fields";
		if (!key_is_valid(f[1]) || !copy_field(r->e.key, sizeof(r->e.key), f[1]))
			return "invalid key";
		if (!kp_sha256_hex_is_valid(f[2]))
			return "invalid sha256";
		if (!kp_parser_version_is_valid(f[3]))
			return "invalid parser version";
		if (!parse_uint(f[4], KP_STATE_FAIL_COUNT_MAX, &v) || v < 1)
			return "invalid failure count";
		fl->count = (unsigned)v;
		if (!parse_uint(f[5], INT64_MAX, &v))
			return "invalid retry time";
		fl->next_retry = v;
		memcpy(fl->sha256, f[2], KP_SHA256_HEX_LEN + 1);
		(void)copy_field(fl->parser_version, sizeof(fl->parser_version), f[3]);
		fl->present = true;
		return NULL;
	}
	return "unknown record type";
}

enum kp_state_status
kp_state_parse(const char *buf, size_t len, struct kp_state *st, char *err,
    size_t errlen)
{
	struct record *recs = NULL;
	size_t nrecs = 0, cap = 0, pos = 0;
	unsigned lineno = 0;
	char line[KP_STATE_LINE_MAX + 1];

	kp_state_free(st);
	if (len > KP_STATE_MAX_BYTES) {
		kp_set_err(err, errlen, "larger than %zu bytes",
		    (size_t)KP_STATE_MAX_BYTES);
		return KP_STATE_CORRUPT;
	}
	if (memchr(buf, '\0', len) != NULL) {
		kp_set_err(err, errlen, "contains a NUL byte");
		return KP_STATE_CORRUPT;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen;
		const char *why;

		lineno++;
		if (nl == NULL) {
			kp_set_err(err, errlen, "line %u: truncated (no newline)",
			    lineno);
			goto corrupt;
		}
		llen = (size_t)(nl - (buf + pos));
		if (llen > KP_STATE_LINE_MAX) {
			kp_set_err(err, errlen, "line %u: too long", lineno);
			goto corrupt;
		}
		memcpy(line, buf + pos, llen);
		line[llen] = '\0';
		pos += llen + 1;
		if (lineno == 1) {
			if (strcmp(line, KP_STATE_HEADER) != 0) {
				kp_set_err(err, errlen,
				    "line 1: not a \"" KP_STATE_HEADER "\" header");
				goto corrupt;
			}
			continue;
		}
		if (nrecs == RECORDS_MAX) {
			kp_set_err(err, errlen, "line %u: too many records", lineno);
			goto corrupt;
		}
		if (nrecs == cap) {
			size_t ncap = cap == 0 ? 64 : cap * 2;
			struct record *n = reallocarray(recs, ncap, sizeof(*n));

			if (n == NULL) {
				kp_set_err(err, errlen, "out of memory");
				free(recs);
				return KP_STATE_IO_ERROR;
			}
			recs = n;
			cap = ncap;
		}
		why = parse_record(line, &recs[nrecs]);
		if (why != NULL) {
			kp_set_err(err, errlen, "line %u: %s", lineno, why);
			goto corrupt;
		}
		recs[nrecs++].line = lineno;
	}
	if (lineno == 0) {
		kp_set_err(err, errlen, "empty (no header)");
		goto corrupt;
	}
	if (nrecs > 0)
		qsort(recs, nrecs, sizeof(recs[0]), record_cmp);

	/* Merge the records of each key; one of each kind at most. */
	st->entries = calloc(nrecs > 0 ? nrecs : 1, sizeof(st->entries[0]));
	if (st->entries == NULL) {
		kp_set_err(err, errlen, "out of memory");
		free(recs);
		return KP_STATE_IO_ERROR;
	}
	st->capacity = nrecs > 0 ? nrecs : 1;
	for (size_t i = 0; i < nrecs; i++) {
		struct kp_state_entry *cur;

		if (st->count > 0 &&
		    strcmp(st->entries[st->count - 1].key, recs[i].e.key) == 0) {
			cur = &st->entries[st->count - 1];
			if ((recs[i].e.loaded.present && cur->loaded.present) ||
			    (recs[i].e.failed.present && cur->failed.present)) {
				kp_set_err(err, errlen, "line %u: duplicate record",
				    recs[i].line);
				goto corrupt_merged;
			}
			if (recs[i].e.loaded.present)
				cur->loaded = recs[i].e.loaded;
			else
				cur->failed = recs[i].e.failed;
			continue;
		}
		if (st->count == (size_t)KP_STATE_KEYS_MAX) {
			kp_set_err(err, errlen, "more than %d keys",
			    KP_STATE_KEYS_MAX);
			goto corrupt_merged;
		}
		st->entries[st->count++] = recs[i].e;
	}
	free(recs);
	return KP_STATE_OK;
corrupt_merged:
	kp_state_free(st);
corrupt:
	free(recs);
	return KP_STATE_CORRUPT;
}

enum kp_state_status
kp_state_load(int dirfd, struct kp_state *st, char *err, size_t errlen)
{
	enum kp_state_status status;
	char *buf;
	size_t len;
	int fd;

	kp_state_free(st);
	fd = kp_open_regular(dirfd, KP_STATE_FILE);
	if (fd < 0) {
		int saved = errno;

		if (saved == ENOENT)
			return KP_STATE_MISSING;
		if (saved == ELOOP) {
			kp_set_err(err, errlen, "is a symlink");
			return KP_STATE_CORRUPT;
		}
		if (saved == EINVAL) {
			kp_set_err(err, errlen, "not a regular file");
			return KP_STATE_CORRUPT;
		}
		kp_set_err(err, errlen, "cannot open: %s", strerror(saved));
		errno = saved;
		return KP_STATE_IO_ERROR;
	}
	if (kp_read_capped(fd, KP_STATE_MAX_BYTES, &buf, &len) != 0) {
		int saved = errno;

		close(fd);
		if (saved == E2BIG) {
			kp_set_err(err, errlen, "larger than %zu bytes",
			    (size_t)KP_STATE_MAX_BYTES);
			return KP_STATE_CORRUPT;
		}
		kp_set_err(err, errlen, "cannot read: %s", strerror(saved));
		errno = saved;
		return KP_STATE_IO_ERROR;
	}
	close(fd);
	status = kp_state_parse(buf, len, st, err, errlen);
	free(buf);
	return status;
}

/* ---- writing ---- */

int
kp_state_format(const struct kp_state *st, char **out, size_t *len)
{
	size_t cap = sizeof(KP_STATE_HEADER) + 1 +
	    st->count * 2 * KP_STATE_LINE_MAX;
	size_t used = 0;
	char *buf;
	int n;

	*out = NULL;
	*len = 0;
	buf = malloc(cap);
	if (buf == NULL)
		return -1;
	n = snprintf(buf, cap, "%s\n", KP_STATE_HEADER);
	used = (size_t)n;
	for (size_t i = 0; i < st->count; i++) {
		const struct kp_state_entry *e = &st->entries[i];

		if (e->loaded.present) {
			n = snprintf(buf + used, cap - used, "loaded %s %s %s %s\n",
			    e->key, e->loaded.sha256, e->loaded.boot_id,
			    e->loaded.parser_version);
			if (n < 0 || (size_t)n >= cap - used)
				goto overflow;
			used += (size_t)n;
		}
		if (e->failed.present) {
			n = snprintf(buf + used, cap - used,
			    "failed %s %s %s %u %lld\n", e->key,
			    e->failed.sha256, e->failed.parser_version,
			    e->failed.count, (long long)e->failed.next_retry);
			if (n < 0 || (size_t)n >= cap - used)
				goto overflow;
			used += (size_t)n;
		}
	}
	*out = buf;
	*len = used;
	return 0;
overflow:
	free(buf);
	errno = EOVERFLOW;
	return -1;
}

int
kp_state_save(int dirfd, const struct kp_state *st)
{
	char name[KP_TMP_NAME_MAX];
	char *buf;
	size_t len;
	int fd, saved;

	if (kp_state_format(st, &buf, &len) != 0)
		return -1;
	fd = kp_tmpfile_create(dirfd, KP_STATE_BASE, 0600, name);
	if (fd < 0) {
		saved = errno;
		free(buf);
		errno = saved;
		return -1;
	}
	if (kp_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		saved = errno;
		goto fail;
	}
	if (renameat(dirfd, name, dirfd, KP_STATE_FILE) != 0) {
		saved = errno;
		goto fail;
	}
	free(buf);
	return kp_fsync_dir(dirfd);
fail:
	(void)unlinkat(dirfd, name, 0);
	free(buf);
	errno = saved;
	return -1;
}

/* ---- lookups and updates ---- */

/* Index of key, or of where it would be inserted (*found false). */
static size_t
find_index(const struct kp_state *st, const char *key, bool *found)
{
	size_t lo = 0, hi = st->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(st->entries[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct kp_state_entry *
kp_state_find(const struct kp_state *st, const char *key)
{
	bool found;
	size_t i = find_index(st, key, &found);

	return found ? &st->entries[i] : NULL;
}

static struct kp_state_entry *
get_or_insert(struct kp_state *st, const char *key)
{
	bool found;
	size_t i = find_index(st, key, &found);
	struct kp_state_entry *e;

	if (found)
		return &st->entries[i];
	if (st->count == (size_t)KP_STATE_KEYS_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	if (st->count == st->capacity) {
		size_t ncap = st->capacity == 0 ? 16 : st->capacity * 2;
		struct kp_state_entry *n;

		n = reallocarray(st->entries, ncap, sizeof(*n));
		if (n == NULL)
			return NULL;
		st->entries = n;
		st->capacity = ncap;
	}
	memmove(&st->entries[i + 1], &st->entries[i],
	    (st->count - i) * sizeof(st->entries[0]));
	st->count++;
	e = &st->entries[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, strlen(key) + 1);
	return e;
}

int
kp_state_set_loaded(struct kp_state *st, const char *key, const char *sha256,
    const char *boot_id, const char *parser_version)
{
	struct kp_state_entry *e;

	if (!key_is_valid(key) || !kp_sha256_hex_is_valid(sha256) ||
	    !kp_boot_id_is_valid(boot_id) ||
	    !kp_parser_version_is_valid(parser_version)) {
		errno = EINVAL;
		return -1;
	}
	e = get_or_insert(st, key);
	if (e == NULL)
		return -1;
	e->loaded.present = true;
	memcpy(e->loaded.sha256, sha256, KP_SHA256_HEX_LEN + 1);
	memcpy(e->loaded.boot_id, boot_id, KP_BOOT_ID_LEN + 1);
	memcpy(e->loaded.parser_version, parser_version,
	    strlen(parser_version) + 1);
	memset(&e->failed, 0, sizeof(e->failed));
	return 0;
}

int
kp_state_set_failed(struct kp_state *st, const char *key, const char *sha256,
    const char *parser_version, int64_t now)
{
	struct kp_state_entry *e;
	unsigned count = 1;

	if (!key_is_valid(key) || !kp_sha256_hex_is_valid(sha256) ||
	    !kp_parser_version_is_valid(parser_version) || now < 0) {
		errno = EINVAL;
		return -1;
	}
	e = get_or_insert(st, key);
	if (e == NULL)
		return -1;
	if (e->failed.present && strcmp(e->failed.sha256, sha256) == 0 &&
	    strcmp(e->failed.parser_version, parser_version) == 0) {
		count = e->failed.count < KP_STATE_FAIL_COUNT_MAX ?
		    e->failed.count + 1 : KP_STATE_FAIL_COUNT_MAX;
	}
	e->failed.present = true;
	memcpy(e->failed.sha256, sha256, KP_SHA256_HEX_LEN + 1);
	memcpy(e->failed.parser_version, parser_version,
	    strlen(parser_version) + 1);
	e->failed.count = count;
	e->failed.next_retry = now > INT64_MAX - KP_STATE_RETRY_MAX_SECONDS ?
	    INT64_MAX : now + kp_state_backoff_seconds(count);
	return 0;
}

bool
kp_state_should_try(const struct kp_state *st, const char *key,
    const char *sha256, const char *parser_version, int64_t now)
{
	const struct kp_state_entry *e = kp_state_find(st, key);

	if (e == NULL || !e->failed.present)
		return true;
	if (strcmp(e->failed.sha256, sha256) != 0 ||
	    strcmp(e->failed.parser_version, parser_version) != 0)
		return true;
	return now >= e->failed.next_retry;
}

bool
kp_state_is_loaded(const struct kp_state *st, const char *key,
    const char *sha256, const char *boot_id)
{
	const struct kp_state_entry *e = kp_state_find(st, key);

	return e != NULL && e->loaded.present &&
	    strcmp(e->loaded.sha256, sha256) == 0 &&
	    strcmp(e->loaded.boot_id, boot_id) == 0;
}

bool
kp_state_remove(struct kp_state *st, const char *key)
{
	bool found;
	size_t i = find_index(st, key, &found);

	if (!found)
		return false;
	memmove(&st->entries[i], &st->entries[i + 1],
	    (st->count - i - 1) * sizeof(st->entries[0]));
	st->count--;
	return true;
}

int
kp_state_read_boot_id(int procfd, char out[KP_BOOT_ID_LEN + 1])
{
	char *buf;
	size_t len;
	int fd, saved;

	fd = kp_open_regular(procfd, BOOT_ID_FILE);
	if (fd < 0)
		return -1;
	if (kp_read_capped(fd, BOOT_ID_READ_MAX, &buf, &len) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (len == KP_BOOT_ID_LEN + 1 && buf[KP_BOOT_ID_LEN] == '\n')
		buf[KP_BOOT_ID_LEN] = '\0';
	if (!kp_boot_id_is_valid(buf)) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	memcpy(out, buf, KP_BOOT_ID_LEN + 1);
	free(buf);
	return 0;
}
