/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/spawner.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/validator.h"
#include "loader/profiles_dir.h"
#include "seccomp/sandbox.h"

#define SPAWNER_FD 3
/* The longest file name the spawner accepts: a temporary is
 * ".<key>.tmp.XXXXXX". */
#define SPAWNER_NAME_MAX (KP_KEY_MAX_LEN + 16)

enum spawner_op {
	SPAWNER_REPLACE = 1,   /* apparmor_parser --replace <file> */
	SPAWNER_VERSION = 2,   /* apparmor_parser --version */
};

struct spawner_request {
	int32_t op;
	char name[SPAWNER_NAME_MAX + 1];
	char key[KP_KEY_MAX_LEN + 1];
};

struct spawner_reply {
	int32_t outcome;
	struct kp_diag diag;
	double elapsed;
};

/* Exactly one struct per datagram: anything else is a broken peer. */
static int
recv_exact(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = recv(fd, buf, len, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)len)
		return -1;
	return 1;
}

static int
send_exact(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do {
		n = send(fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

static bool
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

__attribute__((noreturn))
static void
spawner_main(int sock, const struct kp_parser_cfg *cfg, const char *pdir_path,
    bool confine)
{
	char err[256];

	if (confine && kp_seccomp_install(&kp_spawner_policy, err,
	    sizeof(err)) != 0) {
		kp_log(KP_LOG_ERROR, "spawner_failed", NULL, "%s", err);
		_exit(1);
	}
	for (;;) {
		struct spawner_request req;
		struct spawner_reply rep;
		char path[PATH_MAX];

		int rc = recv_exact(sock, &req, sizeof(req));
		if (rc == 0)
			_exit(0); /* the loader is gone */
		memset(&rep, 0, sizeof(rep));
		if (rc > 0 && req.op == SPAWNER_VERSION) {
			rep.outcome = kp_parser_version(cfg->parser,
			    rep.diag.message, sizeof(rep.diag.message)) == 0 ?
			    KP_PARSER_OK : KP_PARSER_UNAVAILABLE;
			if (send_exact(sock, &rep, sizeof(rep)) != 0)
				_exit(0);
			continue;
		}
		if (rc < 0 || req.op != SPAWNER_REPLACE ||
		    !terminated(req.name, sizeof(req.name)) ||
		    !terminated(req.key, sizeof(req.key)) ||
		    !kp_key_is_valid(req.key, strlen(req.key)) ||
		    (strcmp(req.name, req.key) != 0 &&
		    !kp_pdir_is_temp_name(req.name))) {
			kp_log(KP_LOG_ERROR, "spawner_failed", NULL,
			    "malformed request from the loader");
			_exit(1);
		}
		if (snprintf(path, sizeof(path), "%s/%s", pdir_path, req.name) >=
		    (int)sizeof(path)) {
			rep.outcome = KP_PARSER_UNAVAILABLE;
			snprintf(rep.diag.message, sizeof(rep.diag.message),
			    "path too long");
		} else {
			rep.outcome = (int32_t)kp_parser_replace(cfg, path,
			    req.key, &rep.diag, &rep.elapsed);
		}
		if (send_exact(sock, &rep, sizeof(rep)) != 0)
			_exit(0);
	}
}

int
kp_spawner_start(struct kp_spawner *s, const struct kp_parser_cfg *cfg,
    const char *pdir_path, bool confine, char *err, size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		/* Only the socket and stdio: nothing of the loader's (the
		 * profiles dir fd, apparmorfs, the watcher's socket). */
		if (dup2(sv[1], SPAWNER_FD) != SPAWNER_FD ||
		    syscall(SYS_close_range, SPAWNER_FD + 1, ~0U, 0) != 0)
			_exit(1);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
		    getppid() != parent)
			_exit(1);
		/* Handled signals are blocked in the loader; the parser
		 * must start with a clean mask (spawn.c resets it too). */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		spawner_main(SPAWNER_FD, cfg, pdir_path, confine);
	}
	close(sv[1]);
	s->pid = pid;
	s->sock = sv[0];
	s->cancel_fd = -1;
	return 0;
}

/* Wait until the reply can be read, or the loader must stop. */
static bool
reply_ready(const struct kp_spawner *s)
{
	struct pollfd pfd[2] = {
		{ .fd = s->sock, .events = POLLIN },
		{ .fd = s->cancel_fd, .events = POLLIN },
	};

	for (;;) {
		int n = poll(pfd, s->cancel_fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return true; /* let recv report the failure */
		if (pfd[0].revents != 0)
			return true;
		if (pfd[1].revents != 0)
			return false;
	}
}

enum kp_parser_outcome
kp_spawner_replace(struct kp_spawner *s, const char *name, const char *key,
    struct kp_diag *diag, double *elapsed)
{
	struct spawner_request req;
	struct spawner_reply rep;

	memset(&req, 0, sizeof(req));
	memset(diag, 0, sizeof(*diag));
	if (strlen(name) > SPAWNER_NAME_MAX || strlen(key) > KP_KEY_MAX_LEN) {
		diag->reason = KP_REASON_COMPILE_UNAVAILABLE;
		snprintf(diag->message, sizeof(diag->message), "name too long");
		return KP_PARSER_UNAVAILABLE;
	}
	req.op = SPAWNER_REPLACE;
	memcpy(req.name, name, strlen(name));
	memcpy(req.key, key, strlen(key));
	if (s->sock >= 0 && send_exact(s->sock, &req, sizeof(req)) == 0 &&
	    !reply_ready(s)) {
		diag->reason = KP_REASON_COMPILE_UNAVAILABLE;
		snprintf(diag->message, sizeof(diag->message),
		    "abandoned: the loader is stopping");
		return KP_PARSER_CANCELLED;
	}
	if (s->sock < 0 || recv_exact(s->sock, &rep, sizeof(rep)) != 1 ||
	    rep.outcome < KP_PARSER_OK || rep.outcome > KP_PARSER_UNAVAILABLE ||
	    !terminated(rep.diag.message, sizeof(rep.diag.message))) {
		diag->reason = KP_REASON_COMPILE_UNAVAILABLE;
		snprintf(diag->message, sizeof(diag->message),
		    "the parser spawner is not answering");
		return KP_PARSER_UNAVAILABLE;
	}
	*diag = rep.diag;
	if (elapsed != NULL)
		*elapsed = rep.elapsed;
	return (enum kp_parser_outcome)rep.outcome;
}

int
kp_spawner_version(struct kp_spawner *s, char *out, size_t outlen)
{
	struct spawner_request req;
	struct spawner_reply rep;

	memset(&req, 0, sizeof(req));
	req.op = SPAWNER_VERSION;
	if (s->sock < 0 || send_exact(s->sock, &req, sizeof(req)) != 0 ||
	    recv_exact(s->sock, &rep, sizeof(rep)) != 1 ||
	    rep.outcome != KP_PARSER_OK ||
	    !terminated(rep.diag.message, sizeof(rep.diag.message)) ||
	    strlen(rep.diag.message) >= outlen)
		return -1;
	memcpy(out, rep.diag.message, strlen(rep.diag.message) + 1);
	return 0;
}
