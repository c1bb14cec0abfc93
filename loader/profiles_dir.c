/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/profiles_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/validator.h"
#include "common/errbuf.h"


static bool
writable_by_others(mode_t mode)
{
	return (mode & (S_IWGRP | S_IWOTH)) != 0;
}

/*
 * Walk the canonical path from "/" without following symlinks and check
 * every ancestor: root-owned, and not writable by others unless sticky (in a
 * sticky directory nobody else may rename or remove our root-owned entry).
 * The walk must end at the directory we hold open.
 */
static int
check_ancestors(const char *canon, dev_t dev, ino_t ino, char *err,
    size_t errlen)
{
	char copy[PATH_MAX];
	char shown[PATH_MAX];
	char *comp, *save = NULL;
	struct stat st;
	int cur, saved;
	size_t shown_len = 0;

	if (strlen(canon) >= sizeof(copy)) {
		kp_set_err(err, errlen, "profiles directory path too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(copy, canon, strlen(canon) + 1);
	shown[0] = '\0';

	cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0) {
		kp_set_err(err, errlen, "cannot open /: %s", strerror(errno));
		return -1;
	}
	for (comp = strtok_r(copy, "/", &save); ; comp = strtok_r(NULL, "/", &save)) {
		const char *name = shown_len == 0 ? "/" : shown;

		if (fstat(cur, &st) != 0) {
			saved = errno;
			kp_set_err(err, errlen, "cannot stat %s: %s", name,
			    strerror(saved));
			goto fail;
		}
		if (comp == NULL)
			break;
		/* cur is an ancestor of the profiles directory. */
		if (st.st_uid != 0) {
			kp_set_err(err, errlen,
			    "profiles directory %s: ancestor %s is owned by uid %u, not root",
			    canon, name, (unsigned)st.st_uid);
			saved = EPERM;
			goto fail;
		}
		if (writable_by_others(st.st_mode) && !(st.st_mode & S_ISVTX)) {
			kp_set_err(err, errlen,
			    "profiles directory %s: ancestor %s is writable by group or others (mode %04o)",
			    canon, name, (unsigned)(st.st_mode & 07777));
			saved = EPERM;
			goto fail;
		}
		{
			int next = openat(cur, comp,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int n;

			n = snprintf(shown + shown_len, sizeof(shown) - shown_len,
			    "/%s", comp);
			if (n > 0 && (size_t)n < sizeof(shown) - shown_len)
				shown_len += (size_t)n;
			if (next < 0) {
				saved = errno;
				kp_set_err(err, errlen,
				    "profiles directory %s: cannot open %s: %s",
				    canon, shown, strerror(saved));
				goto fail;
			}
			close(cur);
			cur = next;
		}
	}
	close(cur);
	if (st.st_dev != dev || st.st_ino != ino) {
		kp_set_err(err, errlen,
		    "profiles directory %s changed while it was being opened",
		    canon);
		errno = EAGAIN;
		return -1;
	}
	return 0;
fail:
	close(cur);
	errno = saved;
	return -1;
}

void
kp_pdir_close(struct kp_pdir *pd)
{
	if (pd->fd >= 0)
		close(pd->fd);
	pd->fd = -1;
}

int
kp_pdir_open(struct kp_pdir *pd, const char *path, bool create, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, saved;

	pd->fd = -1;
	pd->path[0] = '\0';
	if (path[0] != '/') {
		kp_set_err(err, errlen,
		    "profiles directory %s: not an absolute path", path);
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			saved = errno;
			kp_set_err(err, errlen,
			    "profiles directory %s: cannot create: %s", path,
			    strerror(saved));
			errno = saved;
			return -1;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		struct stat lst;

		saved = errno;
		/* O_DIRECTORY wins over O_NOFOLLOW for a symlink: ENOTDIR. */
		if (saved == ENOTDIR &&
		    fstatat(AT_FDCWD, path, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(lst.st_mode))
			saved = ELOOP;
		if (saved == ELOOP)
			kp_set_err(err, errlen,
			    "profiles directory %s: is a symlink", path);
		else if (saved == ENOTDIR)
			kp_set_err(err, errlen,
			    "profiles directory %s: not a directory", path);
		else
			kp_set_err(err, errlen, "profiles directory %s: %s", path,
			    strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		saved = errno;
		kp_set_err(err, errlen, "profiles directory %s: %s", path,
		    strerror(saved));
		goto fail;
	}
	if (st.st_uid != 0) {
		kp_set_err(err, errlen,
		    "profiles directory %s: owned by uid %u, not root", path,
		    (unsigned)st.st_uid);
		saved = EPERM;
		goto fail;
	}
	if (writable_by_others(st.st_mode)) {
		kp_set_err(err, errlen,
		    "profiles directory %s: writable by group or others (mode %04o)",
		    path, (unsigned)(st.st_mode & 07777));
		saved = EPERM;
		goto fail;
	}
	if (realpath(path, pd->path) == NULL) {
		saved = errno;
		kp_set_err(err, errlen, "profiles directory %s: %s", path,
		    strerror(saved));
		goto fail;
	}
	if (check_ancestors(pd->path, st.st_dev, st.st_ino, err, errlen) != 0) {
		saved = errno;
		goto fail;
	}
	pd->fd = fd;
	pd->dev = st.st_dev;
	pd->ino = st.st_ino;
	return 0;
fail:
	close(fd);
	pd->path[0] = '\0';
	errno = saved;
	return -1;
}

/* Textual normalisation of an absolute path: collapse "//", drop ".",
 * resolve ".." lexically, no trailing slash.  Used only for a ConfigMap path
 * that does not exist yet. */
static int
normalise_path(const char *in, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	char joined[2 * PATH_MAX];
	char *comp, *save = NULL;
	size_t len = 0;

	if (in[0] == '/') {
		if (strlen(in) >= sizeof(joined))
			goto toolong;
		memcpy(joined, in, strlen(in) + 1);
	} else {
		int n;

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -1;
		n = snprintf(joined, sizeof(joined), "%s/%s", cwd, in);
		if (n < 0 || (size_t)n >= sizeof(joined))
			goto toolong;
	}
	if (outlen < 2)
		goto toolong;
	out[0] = '\0';
	for (comp = strtok_r(joined, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		size_t clen = strlen(comp);

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(out, '/');

			if (slash != NULL) {
				*slash = '\0';
				len = (size_t)(slash - out);
			}
			continue;
		}
		if (len + 1 + clen + 1 > outlen)
			goto toolong;
		out[len++] = '/';
		memcpy(out + len, comp, clen);
		len += clen;
		out[len] = '\0';
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/* True when directory a contains b (or is b), by canonical text. */
static bool
path_contains(const char *a, const char *b)
{
	size_t alen = strlen(a);

	if (strcmp(a, "/") == 0)
		return true;
	return strncmp(a, b, alen) == 0 && (b[alen] == '\0' || b[alen] == '/');
}

/* Does any proper ancestor of canon (by text, up to "/") have (dev, ino)? */
static bool
ancestor_is(const char *canon, dev_t dev, ino_t ino)
{
	char buf[PATH_MAX];
	struct stat st;
	char *slash;

	if (strlen(canon) >= sizeof(buf))
		return false;
	memcpy(buf, canon, strlen(canon) + 1);
	while ((slash = strrchr(buf, '/')) != NULL) {
		if (slash == buf) {
			if (buf[1] == '\0')
				break;
			buf[1] = '\0';
		} else {
			*slash = '\0';
		}
		if (stat(buf, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			return true;
	}
	return false;
}

int
kp_pdir_check_distinct(const struct kp_pdir *pd, const char *configmap_path,
    char *err, size_t errlen)
{
	char canon[PATH_MAX];
	struct stat st;

	if (stat(configmap_path, &st) != 0) {
		int saved = errno;

		if (saved != ENOENT && saved != ENOTDIR) {
			kp_set_err(err, errlen, "ConfigMap directory %s: %s",
			    configmap_path, strerror(saved));
			errno = saved;
			return -1;
		}
		if (normalise_path(configmap_path, canon, sizeof(canon)) != 0) {
			saved = errno;
			kp_set_err(err, errlen, "ConfigMap directory %s: %s",
			    configmap_path, strerror(saved));
			errno = saved;
			return -1;
		}
	} else {
		if (st.st_dev == pd->dev && st.st_ino == pd->ino) {
			kp_set_err(err, errlen,
			    "the profiles directory %s is the ConfigMap directory %s",
			    pd->path, configmap_path);
			errno = EEXIST;
			return -1;
		}
		if (realpath(configmap_path, canon) == NULL) {
			int saved = errno;

			kp_set_err(err, errlen, "ConfigMap directory %s: %s",
			    configmap_path, strerror(saved));
			errno = saved;
			return -1;
		}
		if (ancestor_is(pd->path, st.st_dev, st.st_ino)) {
			kp_set_err(err, errlen,
			    "the ConfigMap directory %s contains the profiles directory %s",
			    configmap_path, pd->path);
			errno = EEXIST;
			return -1;
		}
		if (ancestor_is(canon, pd->dev, pd->ino)) {
			kp_set_err(err, errlen,
			    "the profiles directory %s contains the ConfigMap directory %s",
			    pd->path, configmap_path);
			errno = EEXIST;
			return -1;
		}
	}
	if (strcmp(canon, pd->path) == 0) {
		kp_set_err(err, errlen,
		    "the profiles directory %s is the ConfigMap directory %s",
		    pd->path, configmap_path);
		errno = EEXIST;
		return -1;
	}
	if (path_contains(canon, pd->path)) {
		kp_set_err(err, errlen,
		    "the ConfigMap directory %s contains the profiles directory %s",
		    configmap_path, pd->path);
		errno = EEXIST;
		return -1;
	}
	if (path_contains(pd->path, canon)) {
		kp_set_err(err, errlen,
		    "the profiles directory %s contains the ConfigMap directory %s",
		    pd->path, configmap_path);
		errno = EEXIST;
		return -1;
	}
	return 0;
}

static bool
key_ok(const char *key)
{
	return kp_key_is_valid(key, strlen(key));
}

int
kp_pdir_write_temp(const struct kp_pdir *pd, const char *key,
    const void *data, size_t len, struct kp_pdir_temp *tmp)
{
	int fd, saved;

	tmp->active = false;
	tmp->name[0] = '\0';
	if (!key_ok(key)) {
		errno = EINVAL;
		return -1;
	}
	if (len > (size_t)KP_PROFILE_MAX_BYTES) {
		errno = EFBIG;
		return -1;
	}
	fd = kp_tmpfile_create(pd->fd, key, KP_PDIR_FILE_MODE, tmp->name);
	if (fd < 0)
		return -1;
	if (kp_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		saved = errno;
		goto fail;
	}
	memcpy(tmp->key, key, strlen(key) + 1);
	tmp->active = true;
	return 0;
fail:
	(void)unlinkat(pd->fd, tmp->name, 0);
	tmp->name[0] = '\0';
	errno = saved;
	return -1;
}

int
kp_pdir_temp_path(const struct kp_pdir *pd, const struct kp_pdir_temp *tmp,
    char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s/%s", pd->path, tmp->name);

	if (n < 0 || (size_t)n >= buflen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
kp_pdir_commit(const struct kp_pdir *pd, struct kp_pdir_temp *tmp)
{
	if (!tmp->active) {
		errno = EINVAL;
		return -1;
	}
	if (renameat(pd->fd, tmp->name, pd->fd, tmp->key) != 0) {
		int saved = errno;

		(void)unlinkat(pd->fd, tmp->name, 0);
		tmp->active = false;
		errno = saved;
		return -1;
	}
	tmp->active = false;
	if (kp_fsync_dir(pd->fd) != 0)
		kp_log(KP_LOG_WARN, "fsync_failed", tmp->key,
		    "fsync of the profiles directory failed: %s", strerror(errno));
	return 0;
}

int
kp_pdir_abort(const struct kp_pdir *pd, struct kp_pdir_temp *tmp)
{
	if (!tmp->active)
		return 0;
	tmp->active = false;
	if (unlinkat(pd->fd, tmp->name, 0) != 0 && errno != ENOENT)
		return -1;
	return 0;
}

int
kp_pdir_remove(const struct kp_pdir *pd, const char *key, bool *was_absent)
{
	if (was_absent != NULL)
		*was_absent = false;
	if (!key_ok(key)) {
		errno = EINVAL;
		return -1;
	}
	if (unlinkat(pd->fd, key, 0) != 0) {
		if (errno != ENOENT)
			return -1;
		if (was_absent != NULL)
			*was_absent = true;
		return 0;
	}
	if (kp_fsync_dir(pd->fd) != 0)
		kp_log(KP_LOG_WARN, "fsync_failed", key,
		    "fsync of the profiles directory failed: %s", strerror(errno));
	return 0;
}

enum kp_pdir_read_status
kp_pdir_read(const struct kp_pdir *pd, const char *key, char **data,
    size_t *len, int *err_out)
{
	int fd, saved;

	*data = NULL;
	*len = 0;
	if (err_out != NULL)
		*err_out = 0;
	if (!key_ok(key))
		return KP_PDIR_READ_INVALID_KEY;
	fd = kp_open_regular(pd->fd, key);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT)
			return KP_PDIR_READ_MISSING;
		if (saved == ELOOP || saved == EINVAL)
			return KP_PDIR_READ_NOT_REGULAR;
		if (err_out != NULL)
			*err_out = saved;
		return KP_PDIR_READ_ERROR;
	}
	if (kp_read_capped(fd, (size_t)KP_PROFILE_MAX_BYTES, data, len) != 0) {
		saved = errno;
		close(fd);
		if (saved == E2BIG)
			return KP_PDIR_READ_TOO_LARGE;
		if (err_out != NULL)
			*err_out = saved;
		return KP_PDIR_READ_ERROR;
	}
	close(fd);
	return KP_PDIR_READ_OK;
}

static bool
temp_base_ok(const char *base, size_t len)
{
	size_t slen = strlen(KP_PDIR_STATE_BASE);

	if (len == slen && memcmp(base, KP_PDIR_STATE_BASE, slen) == 0)
		return true;
	return kp_key_is_valid(base, len);
}

bool
kp_pdir_is_temp_name(const char *name)
{
	return kp_tmp_name_matches(name, temp_base_ok);
}

static enum kp_pdir_kind
classify(const char *name, const struct stat *st)
{
	bool regular = S_ISREG(st->st_mode);

	if (key_ok(name))
		return regular ? KP_PDIR_KEY : KP_PDIR_KEY_NOT_REGULAR;
	if (regular && strcmp(name, KP_PDIR_STATE_NAME) == 0)
		return KP_PDIR_STATE;
	if (regular && kp_pdir_is_temp_name(name))
		return KP_PDIR_TEMP;
	return KP_PDIR_OTHER;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct kp_pdir_entry *ea = a, *eb = b;

	return strcmp(ea->name, eb->name);
}

void
kp_pdir_listing_free(struct kp_pdir_listing *listing)
{
	for (size_t i = 0; i < listing->count; i++)
		free(listing->entries[i].name);
	free(listing->entries);
	listing->entries = NULL;
	listing->count = 0;
	listing->capacity = 0;
}

int
kp_pdir_list(const struct kp_pdir *pd, struct kp_pdir_listing *out)
{
	struct dirent *de;
	DIR *dir;
	int fd, saved = 0;

	out->entries = NULL;
	out->count = 0;
	out->capacity = 0;
	fd = openat(pd->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		struct kp_pdir_entry *e;
		struct stat st;

		errno = 0;
		de = readdir(dir);
		if (de == NULL) {
			saved = errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(pd->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			saved = errno;
			break;
		}
		if (out->count == KP_PDIR_ENTRIES_MAX) {
			saved = E2BIG;
			break;
		}
		if (out->count == out->capacity) {
			size_t ncap = out->capacity == 0 ? 64 : out->capacity * 2;
			struct kp_pdir_entry *n;

			n = reallocarray(out->entries, ncap, sizeof(*n));
			if (n == NULL) {
				saved = errno;
				break;
			}
			out->entries = n;
			out->capacity = ncap;
		}
		e = &out->entries[out->count];
		e->name = strdup(de->d_name);
		if (e->name == NULL) {
			saved = errno;
			break;
		}
		e->kind = classify(de->d_name, &st);
		out->count++;
	}
	closedir(dir);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	if (out->count > 0)
		qsort(out->entries, out->count, sizeof(out->entries[0]),
		    entry_cmp);
	return 0;
}

int
kp_pdir_clean_stale(const struct kp_pdir *pd, size_t *removed)
{
	struct kp_pdir_listing listing;
	size_t n = 0;
	int rc = 0, saved = 0;

	if (removed != NULL)
		*removed = 0;
	if (kp_pdir_list(pd, &listing) != 0) {
		saved = errno;
		kp_pdir_listing_free(&listing);
		errno = saved;
		return -1;
	}
	for (size_t i = 0; i < listing.count; i++) {
		if (listing.entries[i].kind != KP_PDIR_TEMP)
			continue;
		if (unlinkat(pd->fd, listing.entries[i].name, 0) != 0) {
			if (errno == ENOENT)
				continue;
			saved = errno;
			rc = -1;
			continue;
		}
		n++;
	}
	kp_pdir_listing_free(&listing);
	if (n > 0 && kp_fsync_dir(pd->fd) != 0) {
		saved = errno;
		rc = -1;
	}
	if (removed != NULL)
		*removed = n;
	if (rc != 0)
		errno = saved;
	return rc;
}
