/* SPDX-License-Identifier: Apache-2.0 */
#include "check/source.h"
#include "common/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK   ((size_t)64 * 1024)
#define MANIFEST_MAX ((size_t)KP_MANIFEST_MAX_BYTES)

int
kc_read_capped(int fd, size_t cap, unsigned char **bufp, size_t *lenp,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t size = 0, len = 0;

	*bufp = NULL;
	*lenp = 0;
	for (;;) {
		/* Room for one byte past the cap: that is how we see "over". */
		if (len == size) {
			size_t grow = size ? size * 2 : READ_CHUNK;
			if (grow > cap + 1)
				grow = cap + 1;
			unsigned char *bigger = realloc(buf, grow);
			if (bigger == NULL) {
				kp_set_err(err, errlen, "out of memory");
				goto fail;
			}
			buf = bigger;
			size = grow;
		}
		ssize_t n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
				kp_set_err(err, errlen, "poll: %s", strerror(errno));
				goto fail;
			}
			continue;
		}
		if (n < 0) {
			kp_set_err(err, errlen, "read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > cap) {
			kp_set_err(err, errlen, "larger than %zu bytes", cap);
			goto fail;
		}
	}
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	return -1;
}

static int
read_manifest_fd(int fd, struct kp_entry_set *set, char *err, size_t errlen)
{
	unsigned char *buf;
	size_t len;

	if (kc_read_capped(fd, MANIFEST_MAX, &buf, &len, err,
	    errlen) != 0)
		return -1;
	int ret = kp_manifest_read(buf, len, set, err, errlen);
	free(buf);
	return ret;
}

static int
read_stdin(struct kp_entry_set *set, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) != 0) {
		kp_set_err(err, errlen, "standard input: %s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		kp_set_err(err, errlen, "standard input is a directory");
		return -1;
	}
	/* A pipe or terminal is what "-" is for; reading it waits for the
	 * writer, as any filter does. */
	return read_manifest_fd(STDIN_FILENO, set, err, errlen);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

int
kc_source_read(const char *source, struct kp_entry_set *set, char *err,
    size_t errlen)
{
	struct stat before, after;
	int fd, ret;

	memset(set, 0, sizeof(*set));
	if (strcmp(source, KC_STDIN_SOURCE) == 0)
		return read_stdin(set, err, errlen);

	/* Classify without opening, so a device or FIFO is never opened; the
	 * fstat after opening is what we rely on. */
	if (fstatat(AT_FDCWD, source, &before, AT_SYMLINK_NOFOLLOW) != 0) {
		kp_set_err(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (S_ISLNK(before.st_mode)) {
		kp_set_err(err, errlen, "is a symbolic link (not followed: "
		    "name its target)");
		return -1;
	}
	if (!S_ISDIR(before.st_mode) && !S_ISREG(before.st_mode)) {
		kp_set_err(err, errlen, "neither a directory nor a regular file");
		return -1;
	}
	if (S_ISDIR(before.st_mode))
		fd = open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	else
		fd = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	if (fd < 0) {
		kp_set_err(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &after) != 0) {
		kp_set_err(err, errlen, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!same_file(&before, &after)) {
		kp_set_err(err, errlen, "changed while being opened");
		close(fd);
		return -1;
	}
	if (S_ISDIR(after.st_mode))
		ret = kp_configmap_read_dir(fd, set, err, errlen);
	else
		ret = read_manifest_fd(fd, set, err, errlen);
	close(fd);
	return ret;
}
