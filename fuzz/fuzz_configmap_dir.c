/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the ConfigMap directory reader.
 *
 * Each input describes a directory tree, one operation per line, which is
 * built in a fresh temporary directory and then read back:
 *
 *   f NAME CONTENT   regular file
 *   z NAME SIZE      regular file of SIZE bytes (at most FUZZ_BIG_MAX)
 *   n COUNT PREFIX   COUNT files PREFIX00000... (at most FUZZ_N_MAX: the
 *                    key cap itself is one comparison the unit tests
 *                    cover exactly, while 4096 files per input cut the
 *                    fuzzer's speed fifty-fold)
 *   d NAME           directory
 *   l NAME TARGET    symbolic link
 *   p NAME           FIFO
 *   w TARGET         while reading, once: swap ..data to TARGET as kubelet
 *                    does (new link ..data_tmp renamed over ..data)
 *   W TARGET         the same at every attempt, alternating with the
 *                    original target
 *   # ...            comment
 *
 * NAME may contain '/' to reach into a directory made earlier; "." and ".."
 * components and empty names are skipped, so the tree never leaves its
 * temporary directory.  NAME, CONTENT and TARGET take the escapes \n, \t,
 * \\, \s (space) and \xHH.
 *
 * Beside the tree lies a file "outside" with a marker no created file may
 * contain: if the marker ever shows up in an entry, the reader followed a
 * link out of the directory.
 *
 * KP_FUZZ_VERBOSE=1 prints what was read, to check what a seed does.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/configmap.h"

#define FUZZ_OPS_MAX     256
#define FUZZ_N_MAX       64
#define FUZZ_FIELD_MAX   4096
#define FUZZ_BIG_MAX     (KP_PROFILE_MAX_BYTES + 16)
#define FUZZ_BYTES_MAX   (1024 * 1024)  /* written per input, all ops */
#define FUZZ_MARKER      "KP-FUZZ-OUTSIDE-MARKER"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base_dir[256];
static unsigned long input_serial;

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
remove_base(void)
{
	if (base_dir[0] != '\0')
		remove_tree(base_dir);
}

static void
make_base(void)
{
	const char *tmp = getenv("TMPDIR");

	if (base_dir[0] != '\0')
		return;
	/* tmpfs makes each input's tree cheap: /dev/shm unless told. */
	if (tmp == NULL || tmp[0] != '/')
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base_dir, sizeof(base_dir), "%s/kp-fuzz-dir-XXXXXX", tmp);
	if (mkdtemp(base_dir) == NULL)
		abort();
	atexit(remove_base);
	char path[300];
	snprintf(path, sizeof(path), "%s/outside", base_dir);
	FILE *f = fopen(path, "we");
	if (f == NULL)
		abort();
	fputs(FUZZ_MARKER "\n", f);
	fclose(f);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode [s, end) into out (at most FUZZ_FIELD_MAX bytes). */
static size_t
unescape(const char *s, const char *end, char *out)
{
	size_t n = 0;

	while (s < end && n < FUZZ_FIELD_MAX) {
		char c = *s++;
		if (c == '\\' && s < end) {
			char e = *s++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 's': c = ' '; break;
			case 'x':
				if (end - s >= 2 && hexval(s[0]) >= 0 &&
				    hexval(s[1]) >= 0) {
					c = (char)(hexval(s[0]) * 16 + hexval(s[1]));
					s += 2;
				} else {
					c = 'x';
				}
				break;
			default: c = e; break;
			}
		}
		out[n++] = c;
	}
	return n;
}

/* Open the directory that will hold name's last component; *last points
 * into name.  Returns an fd (maybe rootfd itself) or -1. */
static int
open_parent(int rootfd, char *name, char **last)
{
	int cur = rootfd;
	char *save = NULL, *comp, *next;

	if (name[0] == '\0' || name[0] == '/')
		return -1;
	comp = strtok_r(name, "/", &save);
	while (comp != NULL) {
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
			goto fail;
		next = strtok_r(NULL, "/", &save);
		if (next == NULL) {
			*last = comp;
			return cur;
		}
		int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (cur != rootfd)
			close(cur);
		if (fd < 0)
			return -1;
		cur = fd;
		comp = next;
	}
fail:
	if (cur != rootfd)
		close(cur);
	return -1;
}

static void
write_file(int dirfd, const char *name, const char *content, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	while (len > 0) {
		ssize_t n = write(fd, content, len);
		if (n <= 0)
			break;
		content += n;
		len -= (size_t)n;
	}
	close(fd);
}

struct plan {
	char swap_target[NAME_MAX + 1];
	char orig_target[NAME_MAX + 1];
	bool swap_once, swap_always;
	size_t bytes;
};

static void
swap_data(int dirfd, const char *target)
{
	unlinkat(dirfd, "..data_tmp", 0);
	if (symlinkat(target, dirfd, "..data_tmp") == 0)
		renameat(dirfd, "..data_tmp", dirfd, "..data");
}

static void
swap_hook(int dirfd, unsigned attempt, void *arg)
{
	struct plan *plan = arg;

	if (plan->swap_always)
		swap_data(dirfd, attempt % 2 ? plan->swap_target :
		    plan->orig_target);
	else if (plan->swap_once && attempt == 1)
		swap_data(dirfd, plan->swap_target);
}

static void
apply_op(int rootfd, char op, char *name, const char *arg, size_t arglen,
    struct plan *plan)
{
	char *last = NULL;
	char content[FUZZ_FIELD_MAX + 1];

	if (op == 'w' || op == 'W') {
		size_t n = strlen(name);
		if (n == 0 || n > NAME_MAX)
			return;
		memcpy(plan->swap_target, name, n + 1);
		plan->swap_once = true;
		plan->swap_always = op == 'W';
		return;
	}
	if (op == 'n') {
		long count = strtol(name, NULL, 10);
		char prefix[64], fname[96];
		size_t plen = arglen < sizeof(prefix) - 1 ? arglen : sizeof(prefix) - 1;
		memcpy(prefix, arg, plen);
		prefix[plen] = '\0';
		if (count <= 0 || count > FUZZ_N_MAX || strchr(prefix, '/') ||
		    strchr(prefix, '\0') != prefix + plen)
			return;
		for (long i = 0; i < count; i++) {
			snprintf(fname, sizeof(fname), "%s%05ld", prefix, i);
			write_file(rootfd, fname, "x", 1);
		}
		return;
	}
	int dirfd = open_parent(rootfd, name, &last);
	if (dirfd < 0)
		return;
	switch (op) {
	case 'f':
		if (arglen <= FUZZ_FIELD_MAX && plan->bytes + arglen <= FUZZ_BYTES_MAX) {
			memcpy(content, arg, arglen);
			content[arglen] = '\0';
			/* The marker only ever exists outside the tree. */
			if (memmem(content, arglen, FUZZ_MARKER,
			    strlen(FUZZ_MARKER)) == NULL) {
				write_file(dirfd, last, content, arglen);
				plan->bytes += arglen;
			}
		}
		break;
	case 'z': {
		long n = strtol(arg, NULL, 10);
		if (n >= 0 && n <= FUZZ_BIG_MAX &&
		    plan->bytes + (size_t)n <= FUZZ_BYTES_MAX) {
			char *buf = malloc((size_t)n + 1);
			if (buf == NULL)
				abort();
			memset(buf, 'a', (size_t)n);
			write_file(dirfd, last, buf, (size_t)n);
			free(buf);
			plan->bytes += (size_t)n;
		}
		break;
	}
	case 'd':
		mkdirat(dirfd, last, 0755);
		break;
	case 'l':
		if (arglen > 0 && memchr(arg, '\0', arglen) == NULL) {
			memcpy(content, arg, arglen);
			content[arglen] = '\0';
			if (symlinkat(content, dirfd, last) == 0 &&
			    dirfd == rootfd && strcmp(last, "..data") == 0 &&
			    arglen <= NAME_MAX)
				memcpy(plan->orig_target, content, arglen + 1);
		}
		break;
	case 'p':
		mkfifoat(dirfd, last, 0644);
		break;
	default:
		break;
	}
	if (dirfd != rootfd)
		close(dirfd);
}

static void
build_tree(int rootfd, const uint8_t *data, size_t size, struct plan *plan)
{
	const char *p = (const char *)data, *end = p + size;
	char name[FUZZ_FIELD_MAX + 1], arg[FUZZ_FIELD_MAX + 1];
	unsigned ops = 0;

	while (p < end && ops < FUZZ_OPS_MAX) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol - p >= 2 && p[1] == ' ' && p[0] != '#') {
			const char *ns = p + 2;
			const char *sp = memchr(ns, ' ', (size_t)(eol - ns));
			const char *ne = sp != NULL ? sp : eol;
			size_t nlen = unescape(ns, ne, name);
			size_t alen = sp != NULL ? unescape(sp + 1, eol, arg) : 0;
			arg[alen] = '\0';
			if (memchr(name, '\0', nlen) == NULL) {
				name[nlen] = '\0';
				apply_op(rootfd, p[0], name, arg, alen, plan);
				ops++;
			}
		}
		p = eol + 1;
	}
}

static void
check_set(const struct kp_entry_set *set)
{
	if (set->count > KP_KEYS_MAX)
		abort();
	for (size_t i = 0; i < set->count; i++) {
		const struct kp_entry *e = &set->entries[i];
		if (e->key == NULL || e->key[0] == '.' || e->key[0] == '\0' ||
		    strchr(e->key, '/') != NULL)
			abort();
		if (i > 0 && strcmp(set->entries[i - 1].key, e->key) >= 0)
			abort();
		if (memchr(e->message, '\0', sizeof(e->message)) == NULL)
			abort();
		if (e->read_error == KP_REASON_NONE) {
			if (e->data == NULL || e->len > KP_PROFILE_MAX_BYTES)
				abort();
			if (memmem(e->data, e->len, FUZZ_MARKER,
			    strlen(FUZZ_MARKER)) != NULL)
				abort(); /* followed a link out of the tree */
		} else if (e->data != NULL || e->len != 0) {
			abort();
		}
	}
}

static void
print_result(int rc, const struct kp_entry_set *set, const char *err)
{
	if (rc != 0) {
		fprintf(stderr, "snapshot failed: %s\n", err);
		return;
	}
	for (size_t i = 0; i < set->count; i++) {
		const struct kp_entry *e = &set->entries[i];
		fprintf(stderr, "%s: %s %s (%zu bytes)\n", e->key,
		    kp_reason_code(e->read_error), e->message, e->len);
	}
	fprintf(stderr, "%zu entries\n", set->count);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[320];
	struct plan plan;
	struct kp_entry_set set;
	char err[256];

	make_base();
	snprintf(root, sizeof(root), "%s/cm%lu", base_dir, input_serial++);
	if (mkdir(root, 0755) != 0)
		abort();
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		abort();
	memset(&plan, 0, sizeof(plan));
	build_tree(rootfd, data, size, &plan);

	memset(err, 'x', sizeof(err));
	int rc = kp_configmap_read_dir_hooked(rootfd, &set, err, sizeof(err),
	    plan.swap_once ? swap_hook : NULL, &plan, NULL);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (getenv("KP_FUZZ_VERBOSE") != NULL)
		print_result(rc, &set, err);
	if (rc == 0) {
		check_set(&set);
		kp_entry_set_free(&set);
	} else if (rc != -1 || set.count != 0 || err[0] == '\0') {
		abort();
	}
	close(rootfd);
	remove_tree(root);
	return 0;
}
