/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp filters, one allow-list table per process (watcher_policy.c,
 * loader_policy.c, spawner_policy.c).  Everything not in a table kills the
 * process (SCMP_ACT_KILL_PROCESS), including any call from a foreign
 * architecture.  Only x86_64 and aarch64 are supported: anywhere else
 * installing a filter fails, and failing to install is fatal to the caller,
 * so nothing ever runs unconfined because its filter could not be loaded.
 */
#ifndef KP_SECCOMP_SANDBOX_H
#define KP_SECCOMP_SANDBOX_H

#include <seccomp.h>
#include <stddef.h>

/* One allowed system call, optionally only with some argument values.  A
 * name the native architecture does not have (e.g. "open" on aarch64) is
 * skipped: the table is an allow-list, so skipping only ever denies. */
struct kp_syscall_rule {
	const char *name;
	unsigned nargs;
	struct scmp_arg_cmp args[3];
};

/* Argument conditions, with every field named (libseccomp's SCMP_An
 * macros leave datum_b implicit). */
#define KP_ARG_EQ(n, v) \
	{ .arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v), .datum_b = 0 }
#define KP_ARG_MASKED_EQ(n, mask, v) \
	{ .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask), .datum_b = (v) }

#define ALLOW(n) { .name = (n), .nargs = 0 }
#define ALLOW_ARG(n, a) { .name = (n), .nargs = 1, .args = { a } }

struct kp_seccomp_policy {
	const char *process;                /* "watcher", for messages */
	const struct kp_syscall_rule *rules;
	size_t nrules;
};

extern const struct kp_seccomp_policy kp_watcher_policy;
extern const struct kp_seccomp_policy kp_loader_policy;
extern const struct kp_seccomp_policy kp_spawner_policy;

/* Build the filter for the native architecture.  Returns NULL with err
 * filled on any failure (unsupported architecture, unknown rule). */
scmp_filter_ctx kp_seccomp_build(const struct kp_seccomp_policy *policy,
    char *err, size_t errlen);

/* Build and load the filter, then confirm from /proc/self/status that the
 * kernel reports "Seccomp: 2".  Needs no_new_privs (or CAP_SYS_ADMIN).
 * Returns 0, or -1 with err: the caller must then exit. */
int kp_seccomp_install(const struct kp_seccomp_policy *policy, char *err,
    size_t errlen);
/* The same, verifying through status_fd: the process's own
 * /proc/self/status opened earlier (a Landlocked process cannot open it). */
int kp_seccomp_install_fd(const struct kp_seccomp_policy *policy,
    int status_fd, char *err, size_t errlen);

/* Write the filter in libseccomp's pseudo-filter-code text (the golden
 * files under seccomp/golden/).  Returns 0 or -1. */
int kp_seccomp_export_pfc(const struct kp_seccomp_policy *policy, int fd);

/* The architecture name used in golden file names ("x86_64", "aarch64"),
 * or NULL when unsupported. */
const char *kp_seccomp_arch_name(void);

/* How many distinct system calls the table allows on this architecture. */
size_t kp_seccomp_count(const struct kp_seccomp_policy *policy);

#endif /* KP_SECCOMP_SANDBOX_H */
