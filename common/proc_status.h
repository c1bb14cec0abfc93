/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the kernel says about a process's credentials and confinement, read
 * from /proc/<pid>/status.  Privilege drops are verified with this, never
 * with the return codes of the calls that made them alone.
 */
#ifndef KP_PROC_STATUS_H
#define KP_PROC_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct kp_proc_status {
	uid_t uid[4];      /* real, effective, saved, fs */
	gid_t gid[4];
	unsigned ngroups;  /* supplementary groups */
	uint64_t cap_inh;
	uint64_t cap_prm;
	uint64_t cap_eff;
	uint64_t cap_bnd;
	uint64_t cap_amb;
	int no_new_privs;  /* -1 when the line is absent */
	int seccomp;       /* 0 none, 1 strict, 2 filter; -1 absent */
};

/* Parse the text of a status file.  Returns 0, or -1 when a required line
 * (Uid, Gid, Groups, Cap*) is missing or malformed. */
int kp_proc_status_parse(const char *text, struct kp_proc_status *out);

/* Read and parse "<procdir>/<pid>/status"; pid 0 means "self". */
int kp_proc_status_read(const char *procdir, pid_t pid,
    struct kp_proc_status *out);

/* Parse a status file already open as fd (read again from offset 0: the
 * kernel regenerates it).  Lets a process that can no longer open /proc
 * (Landlock) still verify its own confinement. */
int kp_proc_status_read_fd(int fd, struct kp_proc_status *out);

#endif /* KP_PROC_STATUS_H */
