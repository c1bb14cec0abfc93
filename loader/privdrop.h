/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Privilege handling of the loader: dropping a forked child to the watcher's
 * unprivileged identity before exec, and narrowing the loader itself to
 * CAP_MAC_ADMIN.  Every step is verified from /proc/self/status.
 */
#ifndef KP_LOADER_PRIVDROP_H
#define KP_LOADER_PRIVDROP_H

#include <stdint.h>
#include <sys/types.h>

/* CAP_MAC_ADMIN, the loader's one privilege, as a capability mask bit. */
#define KP_CAPMASK_MAC_ADMIN (UINT64_C(1) << 33)

/*
 * In a freshly forked child of the (root) loader: keep stdin/stdout/stderr
 * and sock (moved to fd 3), then, in this order: close every other fd,
 * empty the capability bounding set (needs CAP_SETPCAP and uid 0),
 * setgroups(0), setresgid, setresuid, clear the effective, permitted,
 * inheritable and ambient sets, set the parent-death signal (setresuid
 * cleared it) and no_new_privs, verify the result in /proc/self/status, and
 * exec path with argv and an empty environment.
 * The signal mask and dispositions are reset first: the loader blocks the
 * signals it reads from its signalfd, and both survive exec.
 * Never returns: on any failure it reports on stderr and _exit(127)s.
 */
__attribute__((noreturn))
void kp_privdrop_exec_watcher(int sock, uid_t uid, gid_t gid,
    pid_t parent, const char *path, char *const argv[]);

/*
 * Narrow the calling (root) loader to CAP_MAC_ADMIN in its effective,
 * permitted and bounding sets, with empty inheritable and ambient sets.
 * Returns 0 when /proc/self/status confirms exactly that, else -1 with a
 * reason in err.
 */
int kp_privdrop_loader(char *err, size_t errlen);

#endif /* KP_LOADER_PRIVDROP_H */
