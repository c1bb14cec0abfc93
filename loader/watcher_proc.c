/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/watcher_proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "loader/privdrop.h"

#define WATCHER_NAME "kapparmor-watcher"

int
kp_watcher_default_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if (snprintf(buf, len, "%s/%s", self, WATCHER_NAME) >= (int)len)
		return -1;
	return 0;
}

int
kp_watcher_start(const struct kp_config *cfg, const char *watcher_path,
    struct kp_watcher_proc *w, char *err, size_t errlen)
{
	int sv[2];
	char poll_time[16];
	pid_t parent = getpid();

	if (access(watcher_path, X_OK) != 0) {
		snprintf(err, errlen, "cannot execute %s: %s", watcher_path,
		    strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	snprintf(poll_time, sizeof(poll_time), "%u", cfg->poll_time);
	/* Everything the watcher needs, as flags: its environment is empty. */
	char *argv[] = {
		(char *)WATCHER_NAME,
		"--fd", "3",
		"--configmap-dir", (char *)cfg->configmap_dir,
		"--poll-time", poll_time,
		"--log-level", (char *)kp_log_level_name(cfg->log_level),
		"--log-format", cfg->log_format == KP_LOG_JSON ? "json" : "text",
		"--policy", (char *)kp_policy_name(cfg->policy),
		"--listen", (char *)cfg->listen,
		cfg->once ? "--once" : NULL,
		NULL,
	};

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		kp_privdrop_exec_watcher(sv[1], cfg->watcher_uid,
		    cfg->watcher_gid, parent, watcher_path, argv);
	}
	close(sv[1]);
	w->pid = pid;
	w->sock = sv[0];
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(errno));
		return -1;
	}
	return 0;
}
