/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting kapparmor-watcher: a socketpair, a fork, and in the child the
 * privilege drop of privdrop.h followed by exec with an empty environment.
 */
#ifndef KP_LOADER_WATCHER_PROC_H
#define KP_LOADER_WATCHER_PROC_H

#include <sys/types.h>

#include "loader/config.h"

struct kp_watcher_proc {
	pid_t pid;
	int pidfd;   /* becomes readable when the watcher exits */
	int sock;    /* the loader's end of the SOCK_SEQPACKET pair */
};

/* watcher_path: resolved absolute path of kapparmor-watcher.  Returns 0,
 * or -1 with err. */
int kp_watcher_start(const struct kp_config *cfg, const char *watcher_path,
    struct kp_watcher_proc *w, char *err, size_t errlen);

/* The default watcher path: kapparmor-watcher beside the running loader
 * (from /proc/self/exe).  Returns 0 or -1. */
int kp_watcher_default_path(char *buf, size_t len);

#endif /* KP_LOADER_WATCHER_PROC_H */
