/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kapparmor-loader: the privileged half of Kapparmor and the container's
 * entrypoint.  It starts as root with MAC_ADMIN, SETUID, SETGID and SETPCAP,
 * opens what it needs, starts the unprivileged watcher, narrows itself to
 * CAP_MAC_ADMIN, and then only does what the watcher's messages ask for and
 * the protocol permits: write profile files, run apparmor_parser, remove
 * profiles by name.  It never unloads anything because it stops.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rlimits.h"
#include "loader/config.h"
#include "loader/monitor.h"
#include "loader/privdrop.h"
#include "loader/reconcile.h"
#include "loader/watcher_proc.h"
#include "seccomp/sandbox.h"

/* The loader's own limits: its memory holds one frame, the key set and the
 * profile list; the parser's limits are set per run by spawn.c. */
#define LOADER_AS_BYTES ((rlim_t)1024 * 1024 * 1024)
#define LOADER_NOFILE   256

/* Exit codes. */
enum {
	EXIT_OK = 0,            /* SIGTERM/SIGINT, or --once with all loaded */
	EXIT_ONCE_FAILURES = 1, /* --once: a key was rejected or failed */
	EXIT_USAGE = 2,         /* invalid configuration, refused start-up */
	EXIT_PROTOCOL = 3,      /* the watcher broke the protocol */
	EXIT_WATCHER_DIED = 4,  /* the watcher exited unexpectedly */
};

/* Block the signals we handle and read them from signalfds, so the event
 * loop has no asynchronous handlers.  Stopping signals get their own fd: a
 * parser run in progress is abandoned when it becomes readable. */
static int
signals_open(int *stop_fd, int *child_fd)
{
	sigset_t stop, child, all;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigemptyset(&child);
	sigaddset(&child, SIGCHLD);
	sigemptyset(&all);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &all, NULL) != 0)
		return -1;
	/* A parser killed mid-write to apparmorfs must give EPIPE, not kill
	 * us. */
	signal(SIGPIPE, SIG_IGN);
	*stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	*child_fd = signalfd(-1, &child, SFD_CLOEXEC | SFD_NONBLOCK);
	return (*stop_fd < 0 || *child_fd < 0) ? -1 : 0;
}

static void __attribute__((noreturn))
shutdown_now(struct kp_loader *L, unsigned signo)
{
	kp_loader_save_state(L);
	kp_log(KP_LOG_INFO, "shutdown", NULL, "stopping on signal %u; every "
	    "profile stays loaded", signo);
	kp_exit(EXIT_OK);
}

/* Reap every exited child (we are a subreaper: orphans of the parser come
 * to us).  Returns the watcher's wait status when it was among them, else
 * -1.  Losing the spawner is fatal: nothing could be loaded any more. */
static int
reap_children(pid_t watcher, pid_t spawner)
{
	int watcher_status = -1;

	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0)
			break;
		if (si.si_pid == watcher)
			watcher_status = si.si_code == CLD_EXITED ?
			    si.si_status : 128 + si.si_status;
		else if (si.si_pid == spawner)
			kp_fatal(EXIT_WATCHER_DIED, "spawner_exited",
			    "the parser spawner exited (code %d, status %d); "
			    "exiting so the pod restarts. Loaded profiles stay "
			    "loaded", si.si_code, si.si_status);
	}
	return watcher_status;
}

static int
watcher_exit(struct kp_loader *L, int status, bool once)
{
	if (once) {
		/* The watcher's verdict (rejected keys) and ours (failed
		 * loads) together. */
		if (status == 0 && L->failures == 0)
			return EXIT_OK;
		if (status == 0 || status == 1)
			return EXIT_ONCE_FAILURES;
	}
	kp_log(KP_LOG_ERROR, "watcher_exited", NULL,
	    "the watcher exited (status %d); exiting so the pod restarts. "
	    "Loaded profiles stay loaded", status);
	return EXIT_WATCHER_DIED;
}

int
main(int argc, char **argv, char **envp)
{
	struct kp_config cfg;
	struct kp_loader L;
	struct kp_watcher_proc w;
	struct kp_monitor mon;
	struct kp_msg m;
	char err[512];
	char watcher_path[PATH_MAX];

	int rc = kp_config_parse(argc, argv, envp, &cfg, err, sizeof(err));
	if (rc != 0) {
		if (rc > 0)
			return EXIT_OK;
		fprintf(stderr, "kapparmor-loader: %s\n", err);
		return EXIT_USAGE;
	}
	kp_log_init("loader", cfg.log_level, cfg.log_format);
	if (cfg.watcher_path != NULL)
		snprintf(watcher_path, sizeof(watcher_path), "%s", cfg.watcher_path);
	else if (kp_watcher_default_path(watcher_path, sizeof(watcher_path)) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed",
		    "cannot locate kapparmor-watcher beside the loader");

	/* Orphans of the parser are reparented to us and reaped here; our
	 * memory stays out of core dumps and ptrace by other root tasks. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed", "prctl: %s",
		    strerror(errno));
	int stop_fd, child_fd;
	if (signals_open(&stop_fd, &child_fd) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed", "signals: %s",
		    strerror(errno));

	if (kp_loader_open(&L, &cfg, err, sizeof(err)) != 0)
		kp_fatal(EXIT_USAGE, "startup_refused", "%s", err);

	if (kp_watcher_start(&cfg, watcher_path, &w, err, sizeof(err)) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed", "watcher: %s", err);

	/* From here on the loader holds CAP_MAC_ADMIN and nothing else; so
	 * does every apparmor_parser it starts. */
	if (kp_privdrop_loader(err, sizeof(err)) != 0)
		kp_fatal(EXIT_USAGE, "startup_refused", "%s", err);
	/* Needed to install a filter without CAP_SYS_ADMIN; the parser, run
	 * as root, still gets CAP_MAC_ADMIN: it does not exceed what we hold. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		kp_fatal(EXIT_USAGE, "confinement_failed", "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));

	/* The only process that may exec from now on, already holding just
	 * CAP_MAC_ADMIN; then our own limits and filter, last. */
	if (kp_spawner_start(&L.spawner, &L.parser, L.pdir.path, true, err,
	    sizeof(err)) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed", "spawner: %s", err);
	L.spawner.cancel_fd = stop_fd;
	kp_loader_learn_parser(&L);
	const struct kp_rlimits rl = {
		.as_bytes = LOADER_AS_BYTES,
		.nofile = LOADER_NOFILE,
		.nproc = RLIM_INFINITY,
		.fsize = RLIM_INFINITY,
	};
	if (kp_rlimits_apply(&rl, err, sizeof(err)) != 0 ||
	    kp_seccomp_install(&kp_loader_policy, err, sizeof(err)) != 0)
		kp_fatal(EXIT_USAGE, "confinement_failed", "%s", err);

	kp_log(KP_LOG_INFO, "started", NULL,
	    "kapparmor %s: watching %s, profiles in %s, watcher pid %d uid %u, "
	    "policy %s, poll %u s", KP_VERSION, cfg.configmap_dir,
	    L.pdir.path, (int)w.pid, (unsigned)cfg.watcher_uid,
	    kp_policy_name(cfg.policy), cfg.poll_time);

	kp_monitor_init(&mon, w.sock, &L);
	L.sink = kp_monitor_send_result;
	L.sink_arg = &mon;
	/* Before the watcher's first pass is read: after a reboot the kernel
	 * holds none of our profiles.  Results here go to a watcher that has
	 * not said hello yet, so keep them to the log. */
	L.sink = NULL;
	kp_loader_boot_reload(&L);
	L.sink = kp_monitor_send_result;
	if (kp_msg_init(&m) != 0)
		kp_fatal(EXIT_USAGE, "startup_failed", "out of memory");

	int64_t pending_at = -1;
	int watcher_status = -1;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = w.sock, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
			{ .fd = child_fd, .events = POLLIN },
		};
		int timeout = -1;
		if (pending_at >= 0) {
			int64_t d = pending_at - kp_monotonic_ms();
			timeout = d < 0 ? 0 : (int)(d > 60000 ? 60000 : d);
		}
		int n = poll(pfd, 3, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			kp_fatal(EXIT_PROTOCOL, "poll_failed", "%s", strerror(errno));

		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				shutdown_now(&L, si.ssi_signo);
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(child_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			int st = reap_children(w.pid, L.spawner.pid);
			if (st >= 0)
				watcher_status = st;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct kp_proto_error perr;
			enum kp_proto_status ps = kp_msg_recv(w.sock, &m, &perr);
			if (ps == KP_PROTO_PEER_CLOSED) {
				/* The watcher is gone (its end closes when it
				 * exits): everything it sent was read. */
				if (watcher_status < 0) {
					siginfo_t si;
					memset(&si, 0, sizeof(si));
					if (waitid(P_PIDFD, (id_t)w.pidfd, &si,
					    WEXITED) == 0)
						watcher_status = si.si_code ==
						    CLD_EXITED ? si.si_status :
						    128 + si.si_status;
				}
				kp_exit(watcher_exit(&L, watcher_status, cfg.once));
			}
			if (ps != KP_PROTO_OK) {
				kp_log(KP_LOG_ERROR, "protocol_violation", NULL,
				    "from the watcher: %s: %s",
				    kp_proto_status_name(ps), perr.detail);
				kp_exit(EXIT_PROTOCOL);
			}
			if (kp_monitor_dispatch(&mon, &m) != 0)
				kp_exit(EXIT_PROTOCOL);
			if (L.stopping)
				continue; /* the stop signal is read next */
			pending_at = kp_loader_pending_tick(&L);
		} else if (pending_at >= 0 && kp_monotonic_ms() >= pending_at) {
			pending_at = kp_loader_pending_tick(&L);
		}
	}
}
