/* SPDX-License-Identifier: Apache-2.0 */
#include "common/proc_status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/<pid>/status is a few KiB; anything larger is not what we expect. */
#define STATUS_MAX_BYTES 16384

enum {
	SEEN_UID = 1 << 0,
	SEEN_GID = 1 << 1,
	SEEN_GROUPS = 1 << 2,
	SEEN_CAPINH = 1 << 3,
	SEEN_CAPPRM = 1 << 4,
	SEEN_CAPEFF = 1 << 5,
	SEEN_CAPBND = 1 << 6,
	SEEN_CAPAMB = 1 << 7,
	SEEN_REQUIRED = (1 << 8) - 1,
};

static int
parse_ids(const char *v, unsigned int ids[4])
{
	char *end;

	for (int i = 0; i < 4; i++) {
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (errno != 0 || end == v || n > UINT32_MAX)
			return -1;
		ids[i] = (unsigned int)n;
		v = end;
	}
	return 0;
}

static int
parse_hex64(const char *v, uint64_t *out)
{
	char *end;

	while (*v == ' ' || *v == '\t')
		v++;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 16);
	if (errno != 0 || end == v || (*end != '\0' && *end != '\n'))
		return -1;
	*out = n;
	return 0;
}

static int
parse_int(const char *v, int *out)
{
	char *end;

	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0 || n > 1000)
		return -1;
	*out = (int)n;
	return 0;
}

static unsigned
count_groups(const char *v)
{
	unsigned n = 0;
	bool in_word = false;

	for (; *v != '\0' && *v != '\n'; v++) {
		bool space = (*v == ' ' || *v == '\t');
		if (!space && !in_word)
			n++;
		in_word = !space;
	}
	return n;
}

int
kp_proc_status_parse(const char *text, struct kp_proc_status *out)
{
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	out->no_new_privs = -1;
	out->seccomp = -1;

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		const char *colon = strchr(line, ':');
		if (colon == NULL || (nl != NULL && colon > nl))
			goto next;
		size_t klen = (size_t)(colon - line);
		const char *v = colon + 1;
		int rc = 0;

#define KEY_IS(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		if (KEY_IS("Uid")) {
			rc = parse_ids(v, out->uid);
			seen |= SEEN_UID;
		} else if (KEY_IS("Gid")) {
			rc = parse_ids(v, out->gid);
			seen |= SEEN_GID;
		} else if (KEY_IS("Groups")) {
			out->ngroups = count_groups(v);
			seen |= SEEN_GROUPS;
		} else if (KEY_IS("CapInh")) {
			rc = parse_hex64(v, &out->cap_inh);
			seen |= SEEN_CAPINH;
		} else if (KEY_IS("CapPrm")) {
			rc = parse_hex64(v, &out->cap_prm);
			seen |= SEEN_CAPPRM;
		} else if (KEY_IS("CapEff")) {
			rc = parse_hex64(v, &out->cap_eff);
			seen |= SEEN_CAPEFF;
		} else if (KEY_IS("CapBnd")) {
			rc = parse_hex64(v, &out->cap_bnd);
			seen |= SEEN_CAPBND;
		} else if (KEY_IS("CapAmb")) {
			rc = parse_hex64(v, &out->cap_amb);
			seen |= SEEN_CAPAMB;
		} else if (KEY_IS("NoNewPrivs")) {
			rc = parse_int(v, &out->no_new_privs);
		} else if (KEY_IS("Seccomp")) {
			rc = parse_int(v, &out->seccomp);
		}
#undef KEY_IS
		if (rc != 0)
			return -1;
next:
		line = nl != NULL ? nl + 1 : NULL;
	}
	return (seen & SEEN_REQUIRED) == SEEN_REQUIRED ? 0 : -1;
}

int
kp_proc_status_read_fd(int fd, struct kp_proc_status *out)
{
	char buf[STATUS_MAX_BYTES + 1];
	size_t used = 0;

	while (used < STATUS_MAX_BYTES) {
		ssize_t n = pread(fd, buf + used, STATUS_MAX_BYTES - used,
		    (off_t)used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return kp_proc_status_parse(buf, out);
}

int
kp_proc_status_read(const char *procdir, pid_t pid, struct kp_proc_status *out)
{
	char path[256];

	if (pid == 0)
		snprintf(path, sizeof(path), "%s/self/status", procdir);
	else
		snprintf(path, sizeof(path), "%s/%d/status", procdir, (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	int rc = kp_proc_status_read_fd(fd, out);
	close(fd);
	return rc;
}
