/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kapparmor-watcher: the unprivileged half of Kapparmor.  Started by
 * kapparmor-loader as a dedicated uid with no capabilities and
 * no_new_privs, with the loader's socket at --fd.  It watches the mounted
 * ConfigMap, validates every key and offers the vetted profiles to the
 * loader.  It never touches the host's AppArmor state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rlimits.h"
#include "proto/message.h"
#include "seccomp/landlock.h"
#include "seccomp/sandbox.h"
#include "watcher/dirwatch.h"
#include "watcher/endpoints.h"
#include "watcher/http.h"
#include "watcher/options.h"
#include "watcher/pass.h"

/* A burst of inotify events (kubelet's swap is several) becomes one pass:
 * wait until the directory has been quiet this long, but never longer than
 * the second bound after the first event. */
#define COALESCE_QUIET_MS   20
#define COALESCE_MAX_MS     250
/* The loader's event loop answers a heartbeat this often when idle. */
#define HEARTBEAT_INTERVAL_MS 5000

/* The watcher's rlimits.  Its memory is a snapshot of at most
 * KP_CONFIGMAP_MAX_TOTAL_BYTES plus tables; it may not fork (and its filter
 * has no clone); RLIMIT_FSIZE stays unlimited because stderr may be a
 * regular file and the watcher cannot open any file for writing anyway
 * (seccomp and Landlock). */
#define WATCHER_AS_BYTES ((rlim_t)1024 * 1024 * 1024)
#define WATCHER_NOFILE   256
/* The HTTP endpoint's connections plus the watcher's own descriptors, and
 * libmicrohttpd's fd sets must hold every one of them. */
_Static_assert(WATCHER_NOFILE >= KP_HTTP_CONNECTION_LIMIT + 32,
    "room for the HTTP connections");
_Static_assert(WATCHER_NOFILE <= FD_SETSIZE, "fd sets hold every fd");

/* Exit codes: 0 done (loader closed the channel, or --once all loaded),
 * 1 --once with a rejected or failed key, 2 usage, 3 protocol violation or
 * internal error. */
enum {
	EXIT_DONE = 0,
	EXIT_ONCE_FAILURES = 1,
	EXIT_USAGE = 2,
	EXIT_FATAL = 3,
};

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
timeout_until(int64_t deadline, int64_t now)
{
	if (deadline <= now)
		return 0;
	if (deadline - now > 60000)
		return 60000;
	return (int)(deadline - now);
}

__attribute__((noreturn))
static void
protocol_violation(const struct kp_proto_error *err)
{
	kp_fatal(EXIT_FATAL, "protocol_violation", "from the loader: %s: %s",
	    kp_proto_status_name(err->status), err->detail);
}

/* Hello both ways: ours first, then the loader's, which must match. */
static void
handshake(int sock, struct kp_msg *m)
{
	struct kp_proto_error err;

	if (kp_msg_send_hello(sock, KAPPARMOR__HELLO__ROLE__WATCHER, &err) !=
	    KP_PROTO_OK)
		kp_fatal(EXIT_FATAL, "handshake_failed", "sending hello: %s",
		    err.detail);
	enum kp_proto_status st = kp_msg_recv(sock, m, &err);
	if (st == KP_PROTO_PEER_CLOSED)
		kp_exit(EXIT_DONE);
	if (st != KP_PROTO_OK)
		protocol_violation(&err);
	if (m->type != KP_MSG_HELLO) {
		err.status = KP_PROTO_BAD_VALUE;
		snprintf(err.detail, sizeof(err.detail),
		    "expected hello, got %s", kp_msg_type_name(m->type));
		protocol_violation(&err);
	}
	if (kp_msg_check_hello(m->env->hello, KAPPARMOR__HELLO__ROLE__LOADER,
	    &err) != KP_PROTO_OK)
		protocol_violation(&err);
}

/*
 * Everything the watcher needs is open (socket, inotify, the HTTP listening
 * socket: the filter forbids socket() and bind()); now take away
 * the rest: rlimits, then Landlock (read-only beneath the ConfigMap), then
 * the seccomp filter, last.  Failing any step is fatal: the watcher never
 * runs less confined than designed, except that Landlock is skipped on
 * kernels without it (logged).
 */
static void
confine(const char *configmap_dir)
{
	const struct kp_rlimits rl = {
		.as_bytes = WATCHER_AS_BYTES,
		.nofile = WATCHER_NOFILE,
		.nproc = 0,
		.fsize = RLIM_INFINITY,
	};
	char err[256];

	/* Opened now: once Landlocked we could not open /proc any more. */
	int status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (status_fd < 0)
		kp_fatal(EXIT_FATAL, "confinement_failed",
		    "open /proc/self/status: %s", strerror(errno));
	if (kp_rlimits_apply(&rl, err, sizeof(err)) != 0)
		kp_fatal(EXIT_FATAL, "confinement_failed", "%s", err);
	switch (kp_landlock_read_only_beneath(configmap_dir, err, sizeof(err))) {
	case KP_LANDLOCK_ENFORCED:
		kp_log(KP_LOG_DEBUG, "landlock", NULL, "%s", err);
		break;
	case KP_LANDLOCK_UNAVAILABLE:
		kp_log(KP_LOG_WARN, "landlock_unavailable", NULL,
		    "%s: relying on the seccomp filter alone", err);
		break;
	case KP_LANDLOCK_FAILED:
		kp_fatal(EXIT_FATAL, "confinement_failed", "%s", err);
	}
	if (kp_seccomp_install_fd(&kp_watcher_policy, status_fd, err,
	    sizeof(err)) != 0)
		kp_fatal(EXIT_FATAL, "confinement_failed", "%s", err);
	close(status_fd);
}

int
main(int argc, char **argv)
{
	struct kp_watcher_opts opts;
	struct kp_watcher_ctx w;
	struct kp_dirwatch dw;
	struct kp_msg m;
	struct kp_proto_error err;
	struct kp_endpoints ep;
	struct kp_http *http = NULL;

	if (kp_watcher_opts_parse(argc, argv, &opts) != 0)
		return EXIT_USAGE;
	kp_log_init("watcher", opts.log_level, opts.log_format);

	/* exec reset the parent-death signal's dumpable companion; keep our
	 * memory out of core dumps and out of reach of same-uid ptrace. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		kp_fatal(EXIT_FATAL, "startup_failed", "PR_SET_DUMPABLE: %s",
		    strerror(errno));

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (kp_dirwatch_open(&dw, opts.configmap_dir) != 0)
		kp_fatal(EXIT_FATAL, "startup_failed", "inotify: %s",
		    strerror(errno));
	if (kp_msg_init(&m) != 0)
		kp_fatal(EXIT_FATAL, "startup_failed", "out of memory");

	memset(&w, 0, sizeof(w));
	memset(&ep, 0, sizeof(ep));
	ep.w = &w;
	if (strcmp(opts.listen, "off") != 0) {
		char herr[256];
		http = kp_http_start(opts.listen, kp_endpoints_render, &ep, herr,
		    sizeof(herr));
		if (http == NULL)
			kp_fatal(EXIT_FATAL, "startup_failed", "--listen %s: %s",
			    opts.listen, herr);
		kp_log(KP_LOG_INFO, "listening", NULL,
		    "serving /healthz /readyz /metrics /status on %s (port %u)",
		    opts.listen, (unsigned)kp_http_port(http));
	}

	confine(opts.configmap_dir);

	handshake(opts.fd, &m);
	ep.loader_seen_ms = now_ms();

	w.sock = opts.fd;
	w.configmap_dir = opts.configmap_dir;
	w.policy = opts.policy;
	kp_keytable_init(&w.table);

	int64_t resync_at = 0;          /* first pass at once */
	int64_t pass_at = -1;           /* coalesced inotify pass, -1 none */
	int64_t burst_start = -1;
	int64_t heartbeat_at = now_ms() + HEARTBEAT_INTERVAL_MS;
	uint64_t heartbeat_seq = 0;
	bool heartbeat_waiting = false;
	bool dirty = false;

	while (!got_term) {
		int64_t now = now_ms();

		if (!kp_pass_active(&w) && !heartbeat_waiting &&
		    (now >= resync_at || (pass_at >= 0 && now >= pass_at) ||
		    dirty)) {
			bool full = now >= resync_at;
			if (kp_dirwatch_rearm(&dw))
				kp_log(KP_LOG_DEBUG, "watch_rearmed", NULL,
				    "watching %s again", opts.configmap_dir);
			pass_at = -1;
			burst_start = -1;
			dirty = false;
			if (full)
				resync_at = now + (int64_t)opts.poll_time * 1000;
			if (!kp_pass_start(&w) && opts.once)
				kp_fatal(EXIT_ONCE_FAILURES, "once_failed",
				    "the ConfigMap could not be read");
		}
		if (kp_pass_active(&w) && kp_pass_step(&w) != 0)
			kp_exit(EXIT_FATAL);
		if (!kp_pass_active(&w) && !heartbeat_waiting &&
		    now >= heartbeat_at) {
			if (kp_msg_send_heartbeat(w.sock, ++heartbeat_seq, &err) !=
			    KP_PROTO_OK)
				kp_fatal(EXIT_FATAL, "send_failed", "heartbeat: %s",
				    err.detail);
			heartbeat_waiting = true;
		}

		int64_t next = resync_at;
		if (pass_at >= 0 && pass_at < next)
			next = pass_at;
		if (heartbeat_at < next)
			next = heartbeat_at;
		struct pollfd pfd[2 + KP_HTTP_MAX_POLLFDS] = {
			{ .fd = w.sock, .events = POLLIN },
			{ .fd = dw.fd, .events = POLLIN },
		};
		int timeout = kp_pass_active(&w) || heartbeat_waiting ?
		    -1 : timeout_until(next, now);
		if (kp_pass_active(&w) && !w.pass.waiting)
			timeout = 0;
		int nhttp = 0;
		if (http != NULL) {
			nhttp = kp_http_pollfds(http, pfd + 2, KP_HTTP_MAX_POLLFDS,
			    &timeout);
			if (nhttp < 0)
				kp_fatal(EXIT_FATAL, "http_failed",
				    "cannot get the HTTP descriptors");
		}
		int n = poll(pfd, (nfds_t)2 + (nfds_t)nhttp, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			kp_fatal(EXIT_FATAL, "poll_failed", "%s", strerror(errno));
		/* Served from the same loop, one request at a time and never
		 * blocking: a client cannot hold up the reconcile. */
		if (http != NULL && kp_http_run(http, pfd + 2, (size_t)nhttp) != 0)
			kp_fatal(EXIT_FATAL, "http_failed",
			    "the HTTP endpoint failed");

		if (pfd[1].revents & POLLIN) {
			if (kp_dirwatch_drain(&dw)) {
				int64_t t = now_ms();
				if (burst_start < 0)
					burst_start = t;
				pass_at = t + COALESCE_QUIET_MS;
				if (pass_at > burst_start + COALESCE_MAX_MS)
					pass_at = burst_start + COALESCE_MAX_MS;
				if (kp_pass_active(&w))
					dirty = true;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			enum kp_proto_status st = kp_msg_recv(w.sock, &m, &err);
			if (st == KP_PROTO_PEER_CLOSED) {
				kp_log(KP_LOG_INFO, "loader_closed", NULL,
				    "the loader closed the channel; exiting");
				kp_exit(EXIT_DONE);
			}
			if (st != KP_PROTO_OK)
				protocol_violation(&err);
			ep.loader_seen_ms = now_ms();
			switch (m.type) {
			case KP_MSG_RESULT:
				if (kp_pass_on_result(&w, m.env->result) &&
				    opts.once) {
					int rc = (w.pass.rejected || w.pass.failed) ?
					    EXIT_ONCE_FAILURES : EXIT_DONE;
					kp_exit(rc);
				}
				break;
			case KP_MSG_HEARTBEAT_ACK:
				if (!heartbeat_waiting ||
				    m.env->heartbeat_ack->seq != heartbeat_seq) {
					err.status = KP_PROTO_BAD_VALUE;
					snprintf(err.detail, sizeof(err.detail),
					    "unexpected heartbeat ack");
					protocol_violation(&err);
				}
				heartbeat_waiting = false;
				heartbeat_at = now_ms() + HEARTBEAT_INTERVAL_MS;
				break;
			case KP_MSG_NONE:
			case KP_MSG_HELLO:
			case KP_MSG_APPLY:
			case KP_MSG_REMOVE:
			case KP_MSG_SYNC_BEGIN:
			case KP_MSG_SYNC_KEYS:
			case KP_MSG_SYNC_END:
			case KP_MSG_HEARTBEAT:
			case KP_MSG_LOG:
			case KP_MSG__COUNT:
			default:
				err.status = KP_PROTO_BAD_VALUE;
				snprintf(err.detail, sizeof(err.detail),
				    "the loader may not send %s",
				    kp_msg_type_name(m.type));
				protocol_violation(&err);
			}
		}
	}
	kp_log(KP_LOG_INFO, "shutdown", NULL, "terminated by signal");
	kp_exit(EXIT_DONE);
}
