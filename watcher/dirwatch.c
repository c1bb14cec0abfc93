/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/dirwatch.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* Every way a directory entry can appear, change or go, and the directory
 * itself going away.  IN_DONT_FOLLOW: we watch the mount point itself. */
#define DIRWATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR | IN_DONT_FOLLOW)

int
kp_dirwatch_open(struct kp_dirwatch *w, const char *path)
{
	w->path = path;
	w->wd = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return -1;
	(void)kp_dirwatch_rearm(w);
	return 0;
}

bool
kp_dirwatch_rearm(struct kp_dirwatch *w)
{
	if (w->fd < 0 || w->wd >= 0)
		return false;
	w->wd = inotify_add_watch(w->fd, w->path, DIRWATCH_MASK);
	return w->wd >= 0;
}

bool
kp_dirwatch_drain(struct kp_dirwatch *w)
{
	/* Room for many events at once; an event is at most
	 * sizeof(struct inotify_event) + NAME_MAX + 1 bytes. */
	alignas(struct inotify_event) char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	bool changed = false;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: drained */
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(void *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Lost events: a full resync covers them. */
				changed = true;
				continue;
			}
			if (ev->wd != w->wd)
				continue;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_IGNORED | IN_UNMOUNT)) {
				if (ev->mask & IN_MOVE_SELF)
					(void)inotify_rm_watch(w->fd, w->wd);
				w->wd = -1;
				changed = true;
				continue;
			}
			changed = true;
		}
	}
	return changed;
}

void
kp_dirwatch_close(struct kp_dirwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->wd = -1;
}
