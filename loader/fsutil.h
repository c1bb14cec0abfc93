/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small file helpers shared by the loader's modules.  Every open is relative
 * to a directory fd and refuses to follow a symlink in the last component;
 * every read is capped.  All return -1 with errno set on failure.
 */
#ifndef KP_LOADER_FSUTIL_H
#define KP_LOADER_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Our temporary files are named ".<base>.tmp.<6 random [A-Za-z0-9]>". */
#define KP_TMP_INFIX        ".tmp."
#define KP_TMP_RANDOM_LEN   6
#define KP_TMP_NAME_MAX     128 /* buffer size for a temporary name */
#define KP_TMP_CREATE_TRIES 16  /* EEXIST retries before giving up */

/* Write all len bytes (restarting after EINTR and short writes). */
int kp_write_all(int fd, const void *buf, size_t len);

/* Read fd to EOF into a malloc'd buffer with one spare NUL byte after the
 * data.  More than cap bytes fails with E2BIG (st_size is not trusted:
 * procfs and securityfs report 0).  *out is NULL on failure. */
int kp_read_capped(int fd, size_t cap, char **out, size_t *len);

/* openat(dirfd, name, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC), then
 * require a regular file (else EINVAL; a symlink fails with ELOOP).  The
 * non-blocking open keeps a FIFO planted at the name from hanging us; the
 * flag is cleared once the file is known to be regular. */
int kp_open_regular(int dirfd, const char *name);

/* Create ".<base>.tmp.XXXXXX" in dirfd with O_CREAT|O_EXCL|O_NOFOLLOW, mode
 * exactly (umask does not apply).  name receives the name.  Returns the
 * write-only fd. */
int kp_tmpfile_create(int dirfd, const char *base, mode_t mode,
    char name[KP_TMP_NAME_MAX]);

/* True when name has our temporary pattern for some base for which
 * base_ok(base, len) holds. */
bool kp_tmp_name_matches(const char *name,
    bool (*base_ok)(const char *base, size_t len));

/* fsync a directory fd (fsync needs no write access on Linux). */
int kp_fsync_dir(int dirfd);

#endif /* KP_LOADER_FSUTIL_H */
