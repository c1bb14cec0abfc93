/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-use protection: before a profile is removed, find the tasks whose
 * AppArmor label names it.  (Removing a profile a task runs under moves the
 * task to unconfined.)  The scan reads <proc>/<pid>/task/<tid>/attr/apparmor/
 * current, or attr/current where the apparmor/ directory does not exist,
 * and the label pending for the task's next exec ("exec" beside "current",
 * set by aa_change_onexec; EINVAL from read means none), every file opened
 * relative to directory fds with O_NOFOLLOW and read with a cap.  Tasks that
 * vanish mid-scan are skipped; any other failure makes the scan INCOMPLETE,
 * and the caller must then defer every removal.
 *
 * A label as the kernel prints it (security/apparmor/label.c):
 *   name (mode)                         one profile
 *   a//&b//&c (mode)                    a stack, one mode for all ("mixed")
 *   :ns://name (mode)   or   :ns:name   a profile in a (sub)namespace
 *   parent//child (mode)                a child profile or hat: uses parent
 *   unconfined                          no profile
 * followed by a newline.  A name matches a candidate when the top-level
 * profile of some stack component, stripped of namespace and mode, equals it
 * exactly.  A namespaced profile of the same name counts as a use: deferring
 * a removal is always the safe mistake.  A label that cannot be parsed is
 * not ignored: every candidate that occurs in it as a substring is in use.
 */
#ifndef KP_LOADER_INUSE_H
#define KP_LOADER_INUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/limits.h"

#define KP_LABEL_READ_MAX      (64 * 1024) /* bytes of one task's label */
#define KP_LABEL_PROFILES_MAX  64          /* stack components in one label */

struct kp_label_name {
	const char *ptr;        /* into the parsed buffer, not NUL-terminated */
	size_t len;
};

struct kp_label {
	size_t count;           /* 0 for "unconfined" */
	struct kp_label_name names[KP_LABEL_PROFILES_MAX];
};

enum kp_label_status {
	KP_LABEL_OK = 0,
	KP_LABEL_INVALID,       /* empty, control bytes, empty component, ... */
};

/* Parse one label (len bytes, a trailing newline and NULs allowed) into the
 * top-level profile names it uses.  "unconfined" components are dropped. */
enum kp_label_status kp_label_parse(const char *buf, size_t len,
    struct kp_label *out);

/* One name considered for removal.  The scan fills the rest. */
struct kp_inuse_candidate {
	const char *name;
	bool in_use;
	pid_t pid;              /* first task found using it (for the log) */
	pid_t tid;
};

enum kp_inuse_status {
	KP_INUSE_COMPLETE = 0,  /* every task was read (or vanished) */
	KP_INUSE_INCOMPLETE,    /* some task could not be read: defer all */
};

struct kp_inuse_report {
	enum kp_inuse_status status;
	char reason[KP_MESSAGE_MAX_LEN]; /* why INCOMPLETE */
	unsigned long tasks;            /* labels read */
	unsigned long vanished;         /* tasks gone during the scan */
	unsigned long invalid_labels;   /* matched by substring instead */
};

/* Scan every task under procfd (a directory fd of --proc) and mark the
 * candidates in use.  Candidates' in_use/pid/tid are reset first.  Returns
 * 0 when the scan was complete, -1 when INCOMPLETE (report->reason says
 * why). */
int kp_inuse_scan(int procfd, struct kp_inuse_candidate *cands, size_t n,
    struct kp_inuse_report *report);

enum kp_pidns_view {
	KP_PIDNS_HOST = 0,      /* <proc> shows the host's tasks */
	KP_PIDNS_PRIVATE,       /* it does not (or we cannot tell) */
};

/* Does procfd show every task of the node?  self is our pid as getpid()
 * returns it (a parameter so that tests can pretend).  PRIVATE when: self is
 * 1 (we are the init of our own PID namespace: no hostPID); <proc>/self
 * names another pid than self (this proc belongs to another PID namespace);
 * or <proc>/2 is not a kernel thread (kthreadd is PID 2 of the initial PID
 * namespace and kernel threads are visible there only).  reason receives an
 * explanation for the log and the Result message. */
enum kp_pidns_view kp_inuse_pidns_view(int procfd, pid_t self, char *reason,
    size_t reasonlen);

#endif /* KP_LOADER_INUSE_H */
