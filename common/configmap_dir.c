/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a ConfigMap volume as one consistent snapshot.
 *
 * kubelet's atomic writer keeps the data in a timestamped directory
 * "..2026_01_01_00_00_00.123456789", points the symlink "..data" at it (the
 * swap is a rename of "..data_tmp" over "..data") and publishes each key as
 * a top-level symlink "key -> ..data/key".  We therefore resolve "..data"
 * ourselves, open the directory it names without following anything else,
 * read its regular files, and accept the result only if "..data" still
 * names the same directory afterwards.  A plain directory (tests, hostPath)
 * has no "..data"; there each entry is read directly, and a symlink is
 * followed only while its target stays inside the directory, one component
 * at a time with O_NOFOLLOW.
 *
 * Problems with one key become an entry with read_error set, so the key
 * stays in the set and nothing is removed because of it.  Problems with the
 * snapshot as a whole (directory gone, "..data" dangling, an I/O error, more
 * than KP_KEYS_MAX keys, more than KP_CONFIGMAP_MAX_TOTAL_BYTES of values)
 * fail the whole read: the caller then acts as if it knew nothing, which
 * again removes nothing.
 */
#include "common/configmap.h"
#include "common/errbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA_LINK "..data"
#define PROFILE_MAX ((size_t)KP_PROFILE_MAX_BYTES)
#define TOTAL_MAX   ((size_t)KP_CONFIGMAP_MAX_TOTAL_BYTES)

/* Every file we read is opened like this: never through a final symlink,
 * never blocking on a FIFO, never becoming our controlling terminal. */
#define ENTRY_OPEN_FLAGS \
	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

enum read_mode {
	MODE_PLAIN,     /* a directory without ..data */
	MODE_DATA_DIR,  /* the directory ..data names */
};

enum read_status {
	READ_OK = 0,
	READ_FAILED,    /* the snapshot as a whole cannot be read */
	READ_RETRY,     /* the snapshot changed under us */
};

struct snapshot {
	struct kp_entry_set *set;
	enum read_mode mode;
	unsigned char *buf;   /* PROFILE_MAX + 1 bytes of scratch */
	size_t total_bytes;
	char *err;
	size_t errlen;
};

static const char *
file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/* The target of ..data must be a direct child whose name starts with ".."
 * (kubelet's timestamped directory): no '/', and not ".." itself, which
 * would name the parent directory. */
static bool
data_target_is_valid(const char *target)
{
	return strncmp(target, "..", 2) == 0 && target[2] != '\0' &&
	    strchr(target, '/') == NULL && strcmp(target, DATA_LINK) != 0;
}

/* Returns 1 and fills target when ..data exists, 0 when it does not, -1 on
 * error. */
static int
resolve_data_link(int dirfd, char *target, size_t len, char *err,
    size_t errlen)
{
	ssize_t n = readlinkat(dirfd, DATA_LINK, target, len - 1);

	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == EINVAL) {
			kp_set_err(err, errlen, "%s is not a symbolic link", DATA_LINK);
			return -1;
		}
		kp_set_err(err, errlen, "cannot read %s: %s", DATA_LINK,
		    strerror(errno));
		return -1;
	}
	if ((size_t)n >= len - 1) {
		kp_set_err(err, errlen, "%s target is too long", DATA_LINK);
		return -1;
	}
	target[n] = '\0';
	if (!data_target_is_valid(target)) {
		kp_set_err(err, errlen, "%s must name a \"..\" directory beside it",
		    DATA_LINK);
		return -1;
	}
	return 1;
}

/* Read an already opened file into a new entry's data.  fd is closed. */
static enum read_status
read_open_file(struct snapshot *snap, int fd, struct kp_entry *e)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) != 0) {
		kp_set_err(snap->err, snap->errlen, "fstat %s: %s", e->key,
		    strerror(errno));
		close(fd);
		return READ_FAILED;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE, "%s",
		    file_type_name(st.st_mode));
		return READ_OK;
	}
	/* Read one byte past the limit: that is how we know it is over. */
	while (got < PROFILE_MAX + 1) {
		ssize_t n = read(fd, snap->buf + got, PROFILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kp_set_err(snap->err, snap->errlen, "read %s: %s", e->key,
			    strerror(errno));
			close(fd);
			return READ_FAILED;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > PROFILE_MAX) {
		kp_entry_fail(e, KP_REASON_TOO_LARGE, "larger than %d bytes",
		    KP_PROFILE_MAX_BYTES);
		return READ_OK;
	}
	if (snap->total_bytes + got > TOTAL_MAX) {
		kp_set_err(snap->err, snap->errlen,
		    "values add up to more than %d bytes",
		    KP_CONFIGMAP_MAX_TOTAL_BYTES);
		return READ_FAILED;
	}
	/* Never NULL for a readable entry, even an empty one. */
	e->data = malloc(got ? got : 1);
	if (e->data == NULL) {
		kp_set_err(snap->err, snap->errlen, "out of memory");
		return READ_FAILED;
	}
	memcpy(e->data, snap->buf, got);
	e->len = got;
	snap->total_bytes += got;
	return READ_OK;
}

/* openat failed for an entry: decide whether that is the entry's problem
 * or the snapshot's. */
static enum read_status
open_failed(struct snapshot *snap, struct kp_entry *e, int saved_errno)
{
	switch (saved_errno) {
	case ELOOP:
		/* A symlink appeared where a file was a moment ago. */
		kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE, "a symbolic link");
		return READ_OK;
	case ENXIO:
	case ENODEV:
		kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE, "not a regular file");
		return READ_OK;
	case EACCES:
	case EPERM:
		kp_entry_fail(e, KP_REASON_READ_ERROR, "permission denied");
		return READ_OK;
	case ENOENT:
		/* kubelet never changes a timestamped directory, it only
		 * removes it: the snapshot is stale.  In a plain directory the
		 * file went away while we read; keep the key (nothing is
		 * removed on its account) and let the next pass see. */
		if (snap->mode == MODE_DATA_DIR)
			return READ_RETRY;
		kp_entry_fail(e, KP_REASON_READ_ERROR, "vanished while being read");
		return READ_OK;
	default:
		kp_set_err(snap->err, snap->errlen, "open %s: %s", e->key,
		    strerror(saved_errno));
		return READ_FAILED;
	}
}

/* Split target into components in place, resolving "." and ".." lexically.
 * Returns the number of components, or -1 when the path is absolute or
 * climbs above the directory. */
static int
normalise_link_target(char *target, char **comps, size_t maxcomps)
{
	size_t n = 0;
	char *save = NULL;

	if (target[0] == '/')
		return -1;
	for (char *c = strtok_r(target, "/", &save); c != NULL;
	    c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n == 0)
				return -1;
			n--;
			continue;
		}
		if (n == maxcomps)
			return -1;
		comps[n++] = c;
	}
	return (int)n;
}

/* A top-level symlink in a plain directory: follow it only while it stays
 * inside, opening each component relative to the directory with
 * O_NOFOLLOW, so neither a link in the middle nor at the end of the path
 * is followed a second time. */
static enum read_status
read_symlink_entry(struct snapshot *snap, int dirfd, struct kp_entry *e)
{
	char target[PATH_MAX];
	char *comps[PATH_MAX / 2];
	ssize_t len = readlinkat(dirfd, e->key, target, sizeof(target) - 1);

	if (len < 0) {
		if (errno == EINVAL) {
			/* No longer a symlink: it changed since fstatat. */
			kp_entry_fail(e, KP_REASON_READ_ERROR,
			    "changed while being read");
			return READ_OK;
		}
		return open_failed(snap, e, errno);
	}
	target[len] = '\0';
	int ncomps = normalise_link_target(target, comps,
	    sizeof(comps) / sizeof(comps[0]));
	if (ncomps < 0) {
		kp_entry_fail(e, KP_REASON_SYMLINK_ESCAPE,
		    "symbolic link leaves the directory");
		return READ_OK;
	}
	if (ncomps == 0) {
		kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE, "a directory");
		return READ_OK;
	}
	int cur = dirfd;
	for (int i = 0; i < ncomps - 1; i++) {
		int next = openat(cur, comps[i],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		if (cur != dirfd)
			close(cur);
		if (next < 0) {
			if (saved == ENOENT) {
				kp_entry_fail(e, KP_REASON_READ_ERROR,
				    "symbolic link target does not exist");
				return READ_OK;
			}
			if (saved == ELOOP || saved == ENOTDIR) {
				kp_entry_fail(e, KP_REASON_SYMLINK_ESCAPE,
				    "symbolic link passes through another "
				    "link or a file");
				return READ_OK;
			}
			return open_failed(snap, e, saved);
		}
		cur = next;
	}
	int fd = openat(cur, comps[ncomps - 1], ENTRY_OPEN_FLAGS);
	int saved = errno;
	if (cur != dirfd)
		close(cur);
	if (fd < 0) {
		if (saved == ELOOP) {
			kp_entry_fail(e, KP_REASON_SYMLINK_ESCAPE,
			    "symbolic link to another link is not followed");
			return READ_OK;
		}
		if (saved == ENOENT) {
			kp_entry_fail(e, KP_REASON_READ_ERROR,
			    "symbolic link target does not exist");
			return READ_OK;
		}
		return open_failed(snap, e, saved);
	}
	return read_open_file(snap, fd, e);
}

static enum read_status
read_entry(struct snapshot *snap, int dirfd, const char *name)
{
	struct stat st;

	if (snap->set->count >= KP_KEYS_MAX) {
		kp_set_err(snap->err, snap->errlen, "%s: more than %d keys",
		    kp_reason_code(KP_REASON_TOO_MANY_KEYS), KP_KEYS_MAX);
		return READ_FAILED;
	}
	/* Classify first, so that a device is never even opened in the
	 * ordinary case; the fstat after opening is what we rely on. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return snap->mode == MODE_DATA_DIR ? READ_RETRY : READ_OK;
		kp_set_err(snap->err, snap->errlen, "stat %s: %s", name,
		    strerror(errno));
		return READ_FAILED;
	}
	struct kp_entry *e = kp_entry_set_add(snap->set, name, strlen(name));
	if (e == NULL) {
		kp_set_err(snap->err, snap->errlen, "out of memory");
		return READ_FAILED;
	}
	if (S_ISLNK(st.st_mode)) {
		if (snap->mode == MODE_DATA_DIR) {
			kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE,
			    "a symbolic link inside %s", DATA_LINK);
			return READ_OK;
		}
		return read_symlink_entry(snap, dirfd, e);
	}
	if (!S_ISREG(st.st_mode)) {
		kp_entry_fail(e, KP_REASON_NOT_REGULAR_FILE, "%s",
		    file_type_name(st.st_mode));
		return READ_OK;
	}
	int fd = openat(dirfd, name, ENTRY_OPEN_FLAGS);
	if (fd < 0)
		return open_failed(snap, e, errno);
	return read_open_file(snap, fd, e);
}

static enum read_status
read_entries(struct snapshot *snap, int dirfd)
{
	/* A fresh open file description: the caller's fd keeps its offset. */
	int listfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (listfd < 0) {
		if (errno == ENOENT && snap->mode == MODE_DATA_DIR)
			return READ_RETRY;
		kp_set_err(snap->err, snap->errlen, "open directory: %s",
		    strerror(errno));
		return READ_FAILED;
	}
	DIR *dir = fdopendir(listfd);
	if (dir == NULL) {
		kp_set_err(snap->err, snap->errlen, "open directory: %s",
		    strerror(errno));
		close(listfd);
		return READ_FAILED;
	}
	enum read_status status = READ_OK;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		if (de == NULL) {
			if (errno != 0) {
				kp_set_err(snap->err, snap->errlen,
				    "read directory: %s", strerror(errno));
				status = READ_FAILED;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		status = read_entry(snap, dirfd, de->d_name);
		if (status != READ_OK)
			break;
	}
	closedir(dir);
	return status;
}

/* After reading: does the directory still look the way it did when we
 * started?  Same presence of ..data, same target name, same inode. */
static bool
snapshot_unchanged(int dirfd, int had_data, const char *target,
    const struct stat *data_st)
{
	char now[NAME_MAX + 1];
	struct stat st;
	int has_data = resolve_data_link(dirfd, now, sizeof(now), NULL, 0);

	if (has_data != had_data)
		return false;
	if (has_data == 0)
		return true;
	if (strcmp(now, target) != 0)
		return false;
	if (fstatat(dirfd, now, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	return st.st_dev == data_st->st_dev && st.st_ino == data_st->st_ino;
}

int
kp_configmap_read_dir_hooked(int dirfd, struct kp_entry_set *out,
    char *err, size_t errlen, kp_configmap_read_hook *hook, void *hook_arg,
    unsigned *attempts)
{
	struct snapshot snap = {
		.set = out,
		.err = err,
		.errlen = errlen,
	};
	char target[NAME_MAX + 1];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (attempts != NULL)
		*attempts = 0;
	kp_set_err(err, errlen, "%s kept changing while being read", DATA_LINK);
	snap.buf = malloc(PROFILE_MAX + 1);
	if (snap.buf == NULL) {
		kp_set_err(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned attempt = 1; attempt <= KP_SNAPSHOT_ATTEMPTS; attempt++) {
		struct stat data_st = { 0 };
		enum read_status status;

		if (attempts != NULL)
			*attempts = attempt;
		kp_entry_set_free(out);
		snap.total_bytes = 0;
		int has_data = resolve_data_link(dirfd, target, sizeof(target),
		    err, errlen);
		if (has_data < 0)
			goto out;
		if (has_data) {
			int datafd = openat(dirfd, target,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (datafd < 0) {
				if (errno == ENOENT) {
					/* Dangling, or swapped and removed
					 * since readlinkat: look again. */
					kp_set_err(err, errlen,
					    "%s names a missing directory",
					    DATA_LINK);
					continue;
				}
				kp_set_err(err, errlen, "cannot open %s: %s",
				    DATA_LINK, strerror(errno));
				goto out;
			}
			if (fstat(datafd, &data_st) != 0) {
				kp_set_err(err, errlen, "fstat %s: %s", DATA_LINK,
				    strerror(errno));
				close(datafd);
				goto out;
			}
			snap.mode = MODE_DATA_DIR;
			status = read_entries(&snap, datafd);
			close(datafd);
		} else {
			snap.mode = MODE_PLAIN;
			status = read_entries(&snap, dirfd);
		}
		if (status == READ_FAILED)
			goto out;
		if (hook != NULL)
			hook(dirfd, attempt, hook_arg);
		if (status == READ_OK &&
		    snapshot_unchanged(dirfd, has_data, target, &data_st)) {
			kp_entry_set_sort(out);
			ret = 0;
			goto out;
		}
		kp_set_err(err, errlen, "%s kept changing while being read",
		    DATA_LINK);
	}
out:
	free(snap.buf);
	if (ret != 0)
		kp_entry_set_free(out);
	else if (err != NULL && errlen > 0)
		err[0] = '\0';
	return ret;
}

int
kp_configmap_read_dir(int dirfd, struct kp_entry_set *out, char *err,
    size_t errlen)
{
	return kp_configmap_read_dir_hooked(dirfd, out, err, errlen, NULL, NULL,
	    NULL);
}

int
kp_configmap_read_path(const char *path, struct kp_entry_set *out,
    char *err, size_t errlen)
{
	/* The configured path itself may be a symlink (it is the admin's
	 * choice); nothing below it is followed. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		memset(out, 0, sizeof(*out));
		kp_set_err(err, errlen, "cannot open directory: %s", strerror(errno));
		return -1;
	}
	int ret = kp_configmap_read_dir(fd, out, err, errlen);
	close(fd);
	return ret;
}
