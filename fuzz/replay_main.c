/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays a libFuzzer corpus through a target without libFuzzer, so the
 * committed seeds run in every normal and sanitizer test build.  Each file
 * is read whole and passed to LLVMFuzzerTestOneInput once.  Prints
 * "N passed, N failed" (a crash aborts the process, which fails the test).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "replay: %s: cannot open as a regular file\n", name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	/* Copy into an exactly-sized heap buffer so ASan sees overreads. */
	uint8_t *buf = malloc(size ? size : 1);
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0) {
			free(buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	DIR *dir = opendir(argv[1]);
	if (dir == NULL) {
		fprintf(stderr, "replay: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (replay_file(dirfd(dir), de->d_name) == 0)
			passed++;
		else
			failed++;
	}
	closedir(dir);
	if (passed + failed == 0) {
		fprintf(stderr, "replay: %s: empty corpus\n", argv[1]);
		failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
