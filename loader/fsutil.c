/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK 4096

int
kp_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
kp_read_capped(int fd, size_t cap, char **out, size_t *len)
{
	char *buf = NULL;
	size_t size = 0, alloc = 0;

	*out = NULL;
	*len = 0;
	for (;;) {
		ssize_t n;

		/* Always keep room for one byte beyond cap (to see overflow)
		 * and the terminating NUL. */
		if (alloc - size < 2) {
			size_t want = alloc == 0 ? READ_CHUNK : alloc * 2;
			char *nbuf;

			if (want > cap + 2)
				want = cap + 2;
			if (want <= alloc) {
				free(buf);
				errno = E2BIG;
				return -1;
			}
			nbuf = realloc(buf, want);
			if (nbuf == NULL) {
				free(buf);
				return -1;
			}
			buf = nbuf;
			alloc = want;
		}
		n = read(fd, buf + size, alloc - size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > cap) {
			free(buf);
			errno = E2BIG;
			return -1;
		}
	}
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL)
			return -1;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
}

int
kp_open_regular(int dirfd, const char *name)
{
	struct stat st;
	int fd, flags, saved;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
random_suffix(char out[KP_TMP_RANDOM_LEN + 1])
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[KP_TMP_RANDOM_LEN];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	/* The modulo bias is irrelevant: uniqueness comes from O_EXCL, the
	 * randomness only makes collisions rare. */
	for (size_t i = 0; i < sizeof(bytes); i++)
		out[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
	out[KP_TMP_RANDOM_LEN] = '\0';
	return 0;
}

int
kp_tmpfile_create(int dirfd, const char *base, mode_t mode,
    char name[KP_TMP_NAME_MAX])
{
	for (int i = 0; i < KP_TMP_CREATE_TRIES; i++) {
		char suffix[KP_TMP_RANDOM_LEN + 1];
		int fd, n;

		if (random_suffix(suffix) != 0)
			return -1;
		n = snprintf(name, KP_TMP_NAME_MAX, ".%s" KP_TMP_INFIX "%s",
		    base, suffix);
		if (n < 0 || n >= KP_TMP_NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, name,
		    O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return -1;
		}
		if (fchmod(fd, mode) != 0) {
			int saved = errno;

			close(fd);
			(void)unlinkat(dirfd, name, 0);
			errno = saved;
			return -1;
		}
		return fd;
	}
	errno = EEXIST;
	return -1;
}

static bool
is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

bool
kp_tmp_name_matches(const char *name,
    bool (*base_ok)(const char *base, size_t len))
{
	size_t len = strlen(name);
	size_t tail = strlen(KP_TMP_INFIX) + KP_TMP_RANDOM_LEN;
	const char *infix;

	if (len < 1 + 1 + tail || name[0] != '.')
		return false;
	infix = name + len - tail;
	if (memcmp(infix, KP_TMP_INFIX, strlen(KP_TMP_INFIX)) != 0)
		return false;
	for (size_t i = strlen(KP_TMP_INFIX); i < tail; i++) {
		if (!is_alnum(infix[i]))
			return false;
	}
	return base_ok(name + 1, (size_t)(infix - (name + 1)));
}

int
kp_fsync_dir(int dirfd)
{
	while (fsync(dirfd) != 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}
