/* SPDX-License-Identifier: Apache-2.0 */
#include "tmpdir.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
tmpdir_make(char *buf, size_t len)
{
	cr_assert(len >= 64);
	snprintf(buf, len, "/tmp/kp-loader-test.XXXXXX");
	cr_assert_not_null(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

void
tmpdir_remove(const char *path)
{
	/* Make everything writable again (tests chmod things). */
	(void)chmod(path, 0700);
	(void)nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
join(const char *dir, const char *name)
{
	static char bufs[4][4096];
	static unsigned next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	const char *p = join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert(fd >= 0, "open %s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
}

void
write_str(const char *dir, const char *name, const char *s)
{
	write_file(dir, name, s, strlen(s));
}

void
make_dirs(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (char *p = path + strlen(dir) + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST,
			    "mkdir %s: %s", path, strerror(errno));
			*p = c;
			if (c == '\0')
				break;
		}
	}
}

char *
read_file(const char *dir, const char *name, size_t *len)
{
	const char *p = join(dir, name);
	FILE *f = fopen(p, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "fopen %s: %s", p, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}
