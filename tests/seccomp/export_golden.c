/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_golden: write the pseudo filter code of the watcher's, the
 * loader's and the spawner's seccomp filters for this architecture to
 * DIR/<process>.<arch>.pfc (seccomp/golden/ in the source tree), and print
 * how many system calls each table allows.
 *
 *   export_golden DIR          (or: ninja -C BUILD seccomp-golden)
 *
 * Review the diff before committing it: every line is a change of what a
 * process may do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp/sandbox.h"
#include "golden.h"

static int
export_one(const char *dir, const struct kp_seccomp_policy *policy)
{
	char path[4096], tmp[4096];

	if (golden_path(path, sizeof(path), dir, policy->process) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "export_golden: %s: path too long\n", dir);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "export_golden: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (kp_seccomp_export_pfc(policy, fd) != 0) {
		fprintf(stderr, "export_golden: cannot export the %s filter\n",
		    policy->process);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "export_golden: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	printf("%-8s %3zu system calls  %s\n", policy->process,
	    kp_seccomp_count(policy), path);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	int rc = 0;
	for (size_t i = 0; i < GOLDEN_NPOLICIES; i++)
		rc |= export_one(argv[1], golden_policies[i]);
	return rc == 0 ? 0 : 1;
}
