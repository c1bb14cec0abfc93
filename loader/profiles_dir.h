/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The profiles directory (/etc/apparmor.d/custom): the only place the loader
 * writes.  It is held open as a directory fd; every file in it is opened
 * relative to that fd with O_NOFOLLOW, and only names that pass the key rule
 * (or our own temporary/state names) are ever created, renamed or removed.
 *
 * A profile is written in three steps so that a bad update never replaces a
 * good file: kp_pdir_write_temp (write + fsync a temporary file), the caller
 * runs apparmor_parser on kp_pdir_temp_path, then kp_pdir_commit (rename over
 * the key + fsync the directory) or kp_pdir_abort (unlink the temporary).
 */
#ifndef KP_LOADER_PROFILES_DIR_H
#define KP_LOADER_PROFILES_DIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/limits.h"
#include "loader/fsutil.h"

#define KP_PDIR_STATE_BASE   "kapparmor-state"   /* temporaries: .<base>.tmp.X */
#define KP_PDIR_STATE_NAME   "." KP_PDIR_STATE_BASE
#define KP_PDIR_ENTRIES_MAX  16384  /* directory entries kp_pdir_list accepts */
#define KP_PDIR_FILE_MODE    0644   /* profiles are world-readable, as in /etc/apparmor.d */
#define KP_PDIR_ERR_MAX      256    /* size for the err buffers below */

struct kp_pdir {
	int fd;                 /* O_RDONLY|O_DIRECTORY, -1 when closed */
	char path[PATH_MAX];    /* canonical absolute path (for the parser) */
	dev_t dev;
	ino_t ino;
};

/* Open path (absolute) as the profiles directory and refuse, with a reason
 * in err, unless: the last component is a real directory (not a symlink);
 * it is owned by root and not group- or world-writable; and every ancestor
 * of its canonical path is owned by root and either not group/world-writable
 * or sticky (so nobody else can swap a component of the path the parser is
 * given).  With create, a missing last component is created 0755 first.
 * Returns 0, or -1 (err filled, errno set). */
int kp_pdir_open(struct kp_pdir *pd, const char *path, bool create,
    char *err, size_t errlen);
void kp_pdir_close(struct kp_pdir *pd);

/* Refuse (-1, err filled) when configmap_path is the profiles directory
 * (same inode, or same canonical path) or when either contains the other
 * (by canonical path, and by inode along the canonical ancestors).  A
 * configmap_path that does not exist is compared by its normalised text. */
int kp_pdir_check_distinct(const struct kp_pdir *pd, const char *configmap_path,
    char *err, size_t errlen);

/* A temporary file holding a candidate profile for key. */
struct kp_pdir_temp {
	char name[KP_TMP_NAME_MAX];
	char key[KP_KEY_MAX_LEN + 1];
	bool active;            /* created and neither committed nor aborted */
};

/* Write len bytes to a new ".<key>.tmp.XXXXXX" (mode 0644), fsync it.
 * key must pass kp_key_is_valid (EINVAL), len <= KP_PROFILE_MAX_BYTES
 * (EFBIG).  On failure nothing is left behind. */
int kp_pdir_write_temp(const struct kp_pdir *pd, const char *key,
    const void *data, size_t len, struct kp_pdir_temp *tmp);

/* "<pd->path>/<tmp->name>", the path to give apparmor_parser.  Returns 0,
 * or -1 with ENAMETOOLONG. */
int kp_pdir_temp_path(const struct kp_pdir *pd, const struct kp_pdir_temp *tmp,
    char *buf, size_t buflen);

/* Rename the temporary over its key (this replaces a symlink planted at the
 * key name, it never writes through it) and fsync the directory.  When the
 * rename fails the temporary is removed and -1 returned.  A failing
 * directory fsync after a successful rename is logged, not returned: the
 * rename itself is done. */
int kp_pdir_commit(const struct kp_pdir *pd, struct kp_pdir_temp *tmp);

/* Remove the temporary (idempotent). */
int kp_pdir_abort(const struct kp_pdir *pd, struct kp_pdir_temp *tmp);

/* unlinkat(key) and fsync the directory.  key must pass kp_key_is_valid
 * (EINVAL).  An absent file is success with *was_absent set (may be NULL). */
int kp_pdir_remove(const struct kp_pdir *pd, const char *key, bool *was_absent);

enum kp_pdir_read_status {
	KP_PDIR_READ_OK = 0,
	KP_PDIR_READ_MISSING,      /* no such file */
	KP_PDIR_READ_NOT_REGULAR,  /* symlink, directory, FIFO... */
	KP_PDIR_READ_TOO_LARGE,    /* more than KP_PROFILE_MAX_BYTES */
	KP_PDIR_READ_INVALID_KEY,  /* key fails the key rule */
	KP_PDIR_READ_ERROR,        /* other I/O error, *err_out = errno */
};

/* Read a key's file (to re-validate it at start-up).  *data is malloc'd and
 * NUL-terminated (the NUL is not counted in *len).  err_out may be NULL. */
enum kp_pdir_read_status kp_pdir_read(const struct kp_pdir *pd, const char *key,
    char **data, size_t *len, int *err_out);

enum kp_pdir_kind {
	KP_PDIR_KEY = 0,        /* regular file named by a valid key */
	KP_PDIR_KEY_NOT_REGULAR, /* valid key name, but not a regular file */
	KP_PDIR_STATE,          /* .kapparmor-state */
	KP_PDIR_TEMP,           /* one of our temporaries (a crash left it) */
	KP_PDIR_OTHER,          /* anything else: never touched */
};

struct kp_pdir_entry {
	char *name;
	enum kp_pdir_kind kind;
};

struct kp_pdir_listing {
	struct kp_pdir_entry *entries; /* sorted by name (strcmp) */
	size_t count;
	size_t capacity;
};

/* List the directory ("." and ".." excluded).  More than
 * KP_PDIR_ENTRIES_MAX entries fails with E2BIG.  Free with
 * kp_pdir_listing_free (also after a failure). */
int kp_pdir_list(const struct kp_pdir *pd, struct kp_pdir_listing *out);
void kp_pdir_listing_free(struct kp_pdir_listing *listing);

/* Remove the regular files matching our temporary pattern (".<key>.tmp.X"
 * and ".kapparmor-state.tmp.X"), left by a crash.  Call at start-up only,
 * before any temporary of ours can exist.  *removed (may be NULL) receives
 * the count. */
int kp_pdir_clean_stale(const struct kp_pdir *pd, size_t *removed);

/* Our temporary pattern, for a key or for the state file. */
bool kp_pdir_is_temp_name(const char *name);

#endif /* KP_LOADER_PROFILES_DIR_H */
