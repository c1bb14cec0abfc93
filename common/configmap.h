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
	struct kp_entry *entries; /* sorted by key (strcmp) */
	size_t count;
};

/* Read a mounted ConfigMap directory as one consistent snapshot: when ..data
 * exists, resolve it, read the files of the directory it names, and check
 * that ..data still names the same directory afterwards (retry a few times).
 * Names starting with '.' are ignored.  Per-key problems (non-regular file,
 * symlink leaving the directory, file over the size cap) become entries with
 * read_error set.  Returns 0, or -1 when no snapshot could be read at all
 * (directory missing, ..data dangling, a read error): err says why, and the
 * caller must then act as if it knew nothing. */
int kp_configmap_read_dir(int dirfd, struct kp_entry_set *out,
    char *err, size_t errlen);
int kp_configmap_read_path(const char *path, struct kp_entry_set *out,
    char *err, size_t errlen);

/* Parse a YAML stream of one or more documents; every document of
 * kind: ConfigMap contributes its data keys (binaryData keys become entries
 * with BINARY_DATA; anchors/aliases and inputs over KP_MANIFEST_MAX_BYTES
 * are refused as a whole).  Returns 0 or -1 with err. */
int kp_manifest_read(const unsigned char *buf, size_t len,
    struct kp_entry_set *out, char *err, size_t errlen);

void kp_entry_set_free(struct kp_entry_set *set);

#endif /* KP_CONFIGMAP_H */
