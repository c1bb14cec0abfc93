/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp/sandbox.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/proc_status.h"

const char *
kp_seccomp_arch_name(void)
{
	switch (seccomp_arch_native()) {
	case SCMP_ARCH_X86_64:
		return "x86_64";
	case SCMP_ARCH_AARCH64:
		return "aarch64";
	default:
		return NULL;
	}
}

scmp_filter_ctx
kp_seccomp_build(const struct kp_seccomp_policy *policy, char *err,
    size_t errlen)
{
	if (kp_seccomp_arch_name() == NULL) {
		snprintf(err, errlen, "%s: seccomp: unsupported architecture "
		    "(token %#x): refusing to run unconfined", policy->process,
		    seccomp_arch_native());
		return NULL;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		snprintf(err, errlen, "%s: seccomp_init failed", policy->process);
		return NULL;
	}
	/* A call made through another architecture's entry point (x32,
	 * ia32) must not slip past a table written for this one. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS);
	/* We set no_new_privs ourselves, earlier and checked. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc != 0) {
		snprintf(err, errlen, "%s: seccomp_attr_set: %s",
		    policy->process, strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	for (size_t i = 0; i < policy->nrules; i++) {
		const struct kp_syscall_rule *r = &policy->rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture: stays denied */
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, r->nargs,
		    r->nargs ? r->args : NULL);
		if (rc != 0) {
			snprintf(err, errlen, "%s: seccomp rule for %s: %s",
			    policy->process, r->name, strerror(-rc));
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

static int
install(const struct kp_seccomp_policy *policy, int status_fd, char *err,
    size_t errlen)
{
	struct kp_proc_status st;
	scmp_filter_ctx ctx = kp_seccomp_build(policy, err, errlen);

	if (ctx == NULL)
		return -1;
	int rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "%s: seccomp_load: %s", policy->process,
		    strerror(-rc));
		return -1;
	}
	rc = status_fd >= 0 ? kp_proc_status_read_fd(status_fd, &st) :
	    kp_proc_status_read("/proc", 0, &st);
	if (rc != 0 || st.seccomp != 2) {
		snprintf(err, errlen, "%s: the kernel does not report the "
		    "seccomp filter as active", policy->process);
		return -1;
	}
	return 0;
}

int
kp_seccomp_install(const struct kp_seccomp_policy *policy, char *err,
    size_t errlen)
{
	return install(policy, -1, err, errlen);
}

int
kp_seccomp_install_fd(const struct kp_seccomp_policy *policy, int status_fd,
    char *err, size_t errlen)
{
	return install(policy, status_fd, err, errlen);
}

int
kp_seccomp_export_pfc(const struct kp_seccomp_policy *policy, int fd)
{
	char err[256];
	scmp_filter_ctx ctx = kp_seccomp_build(policy, err, sizeof(err));

	if (ctx == NULL)
		return -1;
	int rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

size_t
kp_seccomp_count(const struct kp_seccomp_policy *policy)
{
	size_t n = 0;

	for (size_t i = 0; i < policy->nrules; i++) {
		int nr = seccomp_syscall_resolve_name(policy->rules[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(policy->rules[j].name,
			    policy->rules[i].name) == 0;
		if (!seen)
			n++;
	}
	return n;
}
