/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a ConfigMap: as kubelet mounts it (a directory, possibly with the
 * atomic writer's ..data symlink), or as a YAML manifest.  Both produce the
 * same entry set: every key found, with either its bytes or the reason it
 * could not be read.  Key-name validation is the validator's job; readers
 * only refuse what they cannot read safely.
 */
#ifndef KP_CONFIGMAP_H
#define KP_CONFIGMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/reason.h"
#include "common/validator.h"

struct kp_entry {
	char *key;             /* NUL-terminated */
	unsigned char *data;   /* len bytes, NULL when read_error != NONE */
	size_t len;
	enum kp_reason read_error;
	char message[KP_MESSAGE_MAX_LEN];
};

struct kp_entry_set {
	struct kp_entry *entries; /* sorted by key (strcmp), keys unique */
	size_t count;
	size_t capacity;          /* allocated slots; readers' bookkeeping */
};

/* Bounds on what one snapshot may hold, besides KP_KEYS_MAX keys and
 * KP_PROFILE_MAX_BYTES per value: a directory snapshot keeps at most this many
 * bytes of values in total (Kubernetes caps a ConfigMap at 1 MiB), and a
 * key read from a manifest is kept to at most KP_ENTRY_KEY_MAX bytes. */
#define KP_CONFIGMAP_MAX_TOTAL_BYTES KP_MANIFEST_MAX_BYTES
#define KP_ENTRY_KEY_MAX             253 /* Kubernetes' own key limit */
#define KP_MANIFEST_MAX_DEPTH        64  /* nesting of YAML collections */
#define KP_SNAPSHOT_ATTEMPTS         5   /* ..data changed under us: retry */

/* Read a mounted ConfigMap directory as one consistent snapshot: when ..data
 * exists, resolve it, read the files of the directory it names, and check
 * that ..data still names the same directory afterwards (retry a few times).
 * Names starting with '.' are ignored.  Per-key problems (non-regular file,
 * symlink leaving the directory, file over the size cap) become entries with
 * read_error set and data NULL; a readable entry always has non-NULL data
 * (even when empty).  Returns 0, or -1 when no snapshot could be read at all
 * (directory missing, ..data dangling or not a ".." child, ..data changing
 * on every attempt, a read error, more than KP_KEYS_MAX keys (reported as
 * "too-many-keys: ...") or more than KP_CONFIGMAP_MAX_TOTAL_BYTES of
 * values): err says why, and the caller must then act as if it knew
 * nothing, so that nothing is removed.  dirfd is not closed and its offset
 * is not moved.  kp_configmap_read_path opens path (following a symlink
 * there: it is configuration) and reads it the same way. */
int kp_configmap_read_dir(int dirfd, struct kp_entry_set *out,
    char *err, size_t errlen);
int kp_configmap_read_path(const char *path, struct kp_entry_set *out,
    char *err, size_t errlen);

/* Parse a YAML stream of one or more documents; every object of
 * kind: ConfigMap (a document, or an item of a kind: List document)
 * contributes its data keys.  Per key: binaryData keys become entries with
 * BINARY_DATA, non-string values READ_ERROR, values over
 * KP_PROFILE_MAX_BYTES TOO_LARGE, a key seen twice (in one ConfigMap or
 * across them) one DUPLICATE_KEY entry, a key with a NUL byte or over
 * KP_ENTRY_KEY_MAX bytes KEY_FORMAT (mangled so it never equals a real
 * key).  Refused as a whole (-1 with err): inputs over
 * KP_MANIFEST_MAX_BYTES, invalid YAML, any anchor or alias, any tag but
 * !!str, nesting over KP_MANIFEST_MAX_DEPTH, a non-mapping document, a
 * ConfigMap whose data is not a mapping, more than KP_KEYS_MAX keys, and a
 * stream with no ConfigMap at all.  Values are the bytes libyaml decoded
 * (UTF-8), unchanged.  See docs/kapparmor-check.md. */
int kp_manifest_read(const unsigned char *buf, size_t len,
    struct kp_entry_set *out, char *err, size_t errlen);

void kp_entry_set_free(struct kp_entry_set *set);

/* Building a set (the readers, tests).  kp_entry_set_add appends an entry
 * with a copy of the first keylen bytes of key and no data (read_error NONE),
 * or returns NULL when out of memory or when the set already holds
 * KP_KEYS_MAX entries.  kp_entry_set_sort sorts by key; duplicates stay
 * adjacent.  kp_entry_set_find looks a key up in a sorted set. */
struct kp_entry *kp_entry_set_add(struct kp_entry_set *set, const char *key,
    size_t keylen);
void kp_entry_set_sort(struct kp_entry_set *set);
const struct kp_entry *kp_entry_set_find(const struct kp_entry_set *set,
    const char *key);
/* Mark e as unreadable: drop its data, set reason and a formatted message. */
void kp_entry_fail(struct kp_entry *e, enum kp_reason reason,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* kp_configmap_read_dir with a hook run after the files of each attempt were
 * read and before ..data is checked again (tests use it to swap ..data in
 * the middle of a read).  attempts, when not NULL, receives the number of
 * attempts made. */
typedef void kp_configmap_read_hook(int dirfd, unsigned attempt, void *arg);
int kp_configmap_read_dir_hooked(int dirfd, struct kp_entry_set *out,
    char *err, size_t errlen, kp_configmap_read_hook *hook, void *hook_arg,
    unsigned *attempts);

#endif /* KP_CONFIGMAP_H */
