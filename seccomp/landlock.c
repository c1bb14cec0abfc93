/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36 has no wrappers. */
static int
ll_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
ll_add_rule(int fd, enum landlock_rule_type type, const void *attr,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_add_rule, fd, type, attr, flags);
}

static int
ll_restrict_self(int fd, uint32_t flags)
{
	return (int)syscall(SYS_landlock_restrict_self, fd, flags);
}

/* Every filesystem right of Landlock ABI 1; later ABIs add REFER (2) and
 * TRUNCATE (3), handled when the kernel knows them. */
#define ACCESS_FS_ABI1 (LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

enum kp_landlock_result
kp_landlock_read_only_beneath(const char *dir, char *reason, size_t reasonlen)
{
	int abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(reason, reasonlen, "Landlock is not available in this "
		    "kernel (%s)", strerror(errno));
		return KP_LANDLOCK_UNAVAILABLE;
	}
	struct landlock_ruleset_attr attr = { .handled_access_fs = ACCESS_FS_ABI1 };
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;

	int rfd = ll_create_ruleset(&attr, sizeof(attr), 0);
	if (rfd < 0) {
		snprintf(reason, reasonlen, "landlock_create_ruleset: %s",
		    strerror(errno));
		return KP_LANDLOCK_FAILED;
	}
	struct landlock_path_beneath_attr beneath = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_READ_DIR,
		.parent_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC),
	};
	if (beneath.parent_fd < 0) {
		snprintf(reason, reasonlen, "open %s: %s", dir, strerror(errno));
		close(rfd);
		return KP_LANDLOCK_FAILED;
	}
	int rc = ll_add_rule(rfd, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
	int saved = errno;
	close(beneath.parent_fd);
	if (rc != 0) {
		snprintf(reason, reasonlen, "landlock_add_rule: %s",
		    strerror(saved));
		close(rfd);
		return KP_LANDLOCK_FAILED;
	}
	rc = ll_restrict_self(rfd, 0);
	saved = errno;
	close(rfd);
	if (rc != 0) {
		snprintf(reason, reasonlen, "landlock_restrict_self: %s",
		    strerror(saved));
		return KP_LANDLOCK_FAILED;
	}
	snprintf(reason, reasonlen, "Landlock ABI %d: read-only beneath %s",
	    abi, dir);
	return KP_LANDLOCK_ENFORCED;
}
