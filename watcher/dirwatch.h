/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inotify on the mounted ConfigMap directory.  kubelet's atomic writer swaps
 * the `..data` symlink by renaming `..data_tmp` over it (IN_MOVED_TO); plain
 * directories (hostPath, tests) change by create/write/delete.  Any relevant
 * event only marks the directory dirty: the watcher then re-reads a whole
 * consistent snapshot, so the events themselves are never trusted for
 * content.
 */
#ifndef KP_WATCHER_DIRWATCH_H
#define KP_WATCHER_DIRWATCH_H

#include <stdbool.h>

struct kp_dirwatch {
	int fd;          /* the inotify fd, for poll(); -1 when closed */
	int wd;          /* the watch, -1 while the directory is gone */
	const char *path;
};

/* Create the inotify instance and watch path.  A missing directory is not
 * an error (wd stays -1; kp_dirwatch_rearm retries).  Returns -1 only when
 * inotify itself fails. */
int kp_dirwatch_open(struct kp_dirwatch *w, const char *path);

/* If the directory was not watched (gone, replaced), try again.  Returns
 * true when a watch was newly established: the caller must resync, since
 * anything may have changed meanwhile. */
bool kp_dirwatch_rearm(struct kp_dirwatch *w);

/* Read every pending event without blocking.  Returns true when any of them
 * may have changed the directory's contents (including the directory
 * itself being deleted or moved, after which wd is -1). */
bool kp_dirwatch_drain(struct kp_dirwatch *w);

void kp_dirwatch_close(struct kp_dirwatch *w);

#endif /* KP_WATCHER_DIRWATCH_H */
