/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's memory across restarts: <profiles-dir>/.kapparmor-state.
 *
 * For each managed key it records what was last loaded (the content's
 * SHA-256, the boot in which it was loaded, the parser version) and what
 * last failed to compile (SHA-256, parser version, failure count, next retry
 * time), so that an unchanged profile costs no parser run after a pod
 * restart, everything is reloaded after a reboot, and a content that failed
 * is retried with backoff rather than at every resync.
 *
 * Format (text, one record per line, every line ends with '\n'):
 *
 *   kapparmor-state 1
 *   loaded <key> <sha256> <boot-id> <parser-version>
 *   failed <key> <sha256> <parser-version> <count> <next-retry-unix-seconds>
 *
 * Fields are separated by exactly one space.  Parsing is strict: anything
 * else (another header, a bad key, upper-case or short hex, a malformed boot
 * id, a number with a sign or leading zero, a duplicate record, a missing
 * final newline, a NUL, too many keys, a file larger than KP_STATE_MAX_BYTES,
 * a symlink or non-regular file) makes the whole file CORRUPT; the loader
 * then re-derives ownership from the files named like ConfigMap keys.
 */
#ifndef KP_LOADER_STATE_H
#define KP_LOADER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "common/sha256.h"

#define KP_STATE_HEADER          "kapparmor-state 1"
#define KP_STATE_BASE            "kapparmor-state"
#define KP_STATE_FILE            "." KP_STATE_BASE
/* Every ConfigMap key, plus as many again whose removal is deferred while
 * they are in use. */
#define KP_STATE_KEYS_MAX        (2 * KP_KEYS_MAX)
#define KP_BOOT_ID_LEN           36  /* 8-4-4-4-12 lowercase hex */
#define KP_PARSER_VERSION_MAX    32  /* [A-Za-z0-9.+~_-]{1,32} */
#define KP_STATE_FAIL_COUNT_MAX  1000000
#define KP_STATE_LINE_MAX        256 /* longer than any valid record */
#define KP_STATE_MAX_BYTES       ((size_t)KP_STATE_KEYS_MAX * 2 * KP_STATE_LINE_MAX)
/* Backoff after the n-th consecutive failure of one content:
 * min(BASE << (n - 1), MAX) seconds. */
#define KP_STATE_RETRY_BASE_SECONDS  60
#define KP_STATE_RETRY_MAX_SECONDS   3600

struct kp_state_loaded {
	bool present;
	char sha256[KP_SHA256_HEX_LEN + 1];
	char boot_id[KP_BOOT_ID_LEN + 1];
	char parser_version[KP_PARSER_VERSION_MAX + 1];
};

struct kp_state_failed {
	bool present;
	char sha256[KP_SHA256_HEX_LEN + 1];
	char parser_version[KP_PARSER_VERSION_MAX + 1];
	unsigned count;         /* consecutive failures of this content, >= 1 */
	int64_t next_retry;     /* CLOCK_REALTIME seconds */
};

struct kp_state_entry {
	char key[KP_KEY_MAX_LEN + 1];
	struct kp_state_loaded loaded;
	struct kp_state_failed failed;
};

struct kp_state {
	struct kp_state_entry *entries; /* sorted by key, unique */
	size_t count;
	size_t capacity;
};

enum kp_state_status {
	KP_STATE_OK = 0,
	KP_STATE_MISSING,   /* no state file: first start (or it was deleted) */
	KP_STATE_CORRUPT,   /* unusable content; err says where */
	KP_STATE_IO_ERROR,  /* could not read it; errno in err */
};

void kp_state_init(struct kp_state *st);
void kp_state_free(struct kp_state *st);

/* Parse a state file's bytes into *st (which is reset first).  On CORRUPT
 * *st is left empty and err says which line and why. */
enum kp_state_status kp_state_parse(const char *buf, size_t len,
    struct kp_state *st, char *err, size_t errlen);

/* Read dirfd/.kapparmor-state (O_NOFOLLOW|O_NONBLOCK, regular file, at most
 * KP_STATE_MAX_BYTES) and parse it.  MISSING and every error leave *st
 * empty. */
enum kp_state_status kp_state_load(int dirfd, struct kp_state *st, char *err,
    size_t errlen);

/* Serialise (header, then the entries in key order, loaded before failed). */
int kp_state_format(const struct kp_state *st, char **out, size_t *len);

/* Write atomically: a new ".kapparmor-state.tmp.XXXXXX" (0600, O_EXCL,
 * O_NOFOLLOW), write, fsync, rename over .kapparmor-state, fsync dirfd.
 * Returns 0, or -1 with errno (the temporary is removed). */
int kp_state_save(int dirfd, const struct kp_state *st);

const struct kp_state_entry *kp_state_find(const struct kp_state *st,
    const char *key);

/* Record a successful load of content sha256 (clears any failure record).
 * Returns 0, or -1 with EINVAL (a field is malformed) or ENOSPC (already
 * KP_STATE_KEYS_MAX keys). */
int kp_state_set_loaded(struct kp_state *st, const char *key,
    const char *sha256, const char *boot_id, const char *parser_version);

/* Record a failed compile of content sha256 at time now: the count goes up
 * when the same content failed with the same parser version before, else it
 * restarts at 1; next_retry = now + backoff(count).  The loaded record (the
 * previous good profile, still in the kernel) is kept. */
int kp_state_set_failed(struct kp_state *st, const char *key,
    const char *sha256, const char *parser_version, int64_t now);

/* Should content sha256 of key be compiled now?  False only when the same
 * content already failed with the same parser version and its next retry
 * time has not come. */
bool kp_state_should_try(const struct kp_state *st, const char *key,
    const char *sha256, const char *parser_version, int64_t now);

/* Is content sha256 of key already loaded in this boot?  (The caller also
 * checks that the kernel lists the profile.) */
bool kp_state_is_loaded(const struct kp_state *st, const char *key,
    const char *sha256, const char *boot_id);

/* Forget key (after its removal).  Returns true when it was there. */
bool kp_state_remove(struct kp_state *st, const char *key);

/* Seconds to wait after the count-th consecutive failure. */
int64_t kp_state_backoff_seconds(unsigned count);

/* Read <proc>/sys/kernel/random/boot_id (relative to a /proc dir fd) into
 * out, validated and without the newline.  Returns 0 or -1 with errno
 * (EINVAL for malformed content). */
int kp_state_read_boot_id(int procfd, char out[KP_BOOT_ID_LEN + 1]);

/* Field checks, exposed for callers that obtain the values elsewhere. */
bool kp_boot_id_is_valid(const char *s);
bool kp_parser_version_is_valid(const char *s);

#endif /* KP_LOADER_STATE_H */
