/* SPDX-License-Identifier: Apache-2.0 */
#include "golden.h"

#include <stdio.h>

const struct kp_seccomp_policy *const golden_policies[GOLDEN_NPOLICIES] = {
	&kp_watcher_policy,
	&kp_loader_policy,
	&kp_spawner_policy,
};

int
golden_path(char *buf, size_t len, const char *dir, const char *process)
{
	const char *arch = kp_seccomp_arch_name();

	if (arch == NULL)
		return -1;
	int n = snprintf(buf, len, "%s/%s.%s.pfc", dir, process, arch);
	return n > 0 && (size_t)n < len ? 0 : -1;
}
