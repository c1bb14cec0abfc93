/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A compromised watcher, for the loader's tests (issue 5): started by the
 * loader in place of kapparmor-watcher (its --watcher option), it sends one
 * hostile scenario on the socket and then reports, one line each on stdout,
 * every message the loader sends back, and "eof" when the loader closes.
 *
 *   hostile_watcher [--fd N] --scenario NAME    (other arguments ignored)
 *
 * or, since the loader chooses the arguments and the environment (empty),
 * through a symlink named hostile-NAME.  The loader also sets argv[0] to
 * "kapparmor-watcher", so the name is taken from argv[0] or else from the
 * path execve(2) was given (AT_EXECFN).  Run without a scenario to list
 * them.  Exit status: 0 when
 * the loader closed the channel or the scenario ended, 2 on bad usage, 3 on
 * a local error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/message.h"
#include "tests/proto/pb_writer.h"

#define BURST_APPLIES 10000

static int sock = 3;
static struct kp_msg msg;
static struct pbw w, inner;

static void
fail(const char *what)
{
	fprintf(stderr, "hostile_watcher: %s: %s\n", what, strerror(errno));
	exit(3);
}

static void
put_prefix(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
send_raw(const void *buf, size_t len)
{
	if (send(sock, buf, len, MSG_NOSIGNAL) != (ssize_t)len &&
	    errno != EPIPE && errno != ECONNRESET)
		fail("send");
}

/* inner as Envelope member `body`, framed correctly. */
static void
send_body(uint32_t body)
{
	struct kp_proto_error err;

	w.len = 0;
	pbw_envelope(&w, body, &inner);
	inner.len = 0;
	if (kp_frame_send_payload(sock, w.buf, w.len, &err) ==
	    KP_PROTO_IO_ERROR)
		fail("send");
}

static void
send_apply_raw(const char *key, const char *content)
{
	pbw_str(&inner, 1, key);
	pbw_str(&inner, 2, content);
	send_body(KP_MSG_APPLY);
}

static void
report(const struct kp_msg *m)
{
	const Kapparmor__Envelope *e = m->env;

	switch (m->type) {
	case KP_MSG_RESULT:
		printf("result %s %s %s %s\n", kp_msg_op_name(e->result->op),
		    e->result->key != NULL ? e->result->key : "-",
		    kp_msg_result_status_name(e->result->status),
		    e->result->reason != NULL ? e->result->reason : "-");
		break;
	case KP_MSG_HELLO:
	case KP_MSG_APPLY:
	case KP_MSG_REMOVE:
	case KP_MSG_SYNC_BEGIN:
	case KP_MSG_SYNC_KEYS:
	case KP_MSG_SYNC_END:
	case KP_MSG_HEARTBEAT:
	case KP_MSG_HEARTBEAT_ACK:
	case KP_MSG_LOG:
	case KP_MSG_NONE:
	case KP_MSG__COUNT:
		printf("%s\n", kp_msg_type_name(m->type));
		break;
	}
	fflush(stdout);
}

/* Read one message; false at EOF or on anything else. */
static bool
receive_one(void)
{
	struct kp_proto_error err;
	enum kp_proto_status st = kp_msg_recv(sock, &msg, &err);

	if (st == KP_PROTO_OK) {
		report(&msg);
		return true;
	}
	if (st == KP_PROTO_PEER_CLOSED)
		printf("eof\n");
	else
		printf("error %s: %s\n", kp_proto_status_name(st), err.detail);
	fflush(stdout);
	return false;
}

static void
drain_until_eof(void)
{
	while (receive_one())
		;
}

static void
hello(void)
{
	struct kp_proto_error err;

	if (kp_msg_send_hello(sock, KAPPARMOR__HELLO__ROLE__WATCHER, &err) !=
	    KP_PROTO_OK)
		fail("hello");
}

/* 10 000 Applies as fast as the socket takes them, reading Results in
 * between so that neither side blocks on a full buffer. */
static void
burst(void)
{
	static const char content[] = "profile custom.burst {\n}\n";
	struct kp_proto_error err;
	unsigned sent = 0, results = 0;

	hello();
	if (fcntl(sock, F_SETFL, O_NONBLOCK) != 0)
		fail("fcntl");
	while (sent < BURST_APPLIES || results < BURST_APPLIES) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		if (sent < BURST_APPLIES)
			p.events |= POLLOUT;
		if (poll(&p, 1, 30000) <= 0)
			break;
		if ((p.revents & POLLIN) != 0) {
			enum kp_proto_status st = kp_msg_recv(sock, &msg, &err);
			if (st == KP_PROTO_OK && msg.type == KP_MSG_RESULT)
				results++;
			else if (st != KP_PROTO_OK && st != KP_PROTO_AGAIN)
				break;
		}
		if ((p.revents & POLLOUT) != 0 && sent < BURST_APPLIES) {
			enum kp_proto_status st = kp_msg_send_apply(sock,
			    "custom.burst", (const uint8_t *)content,
			    strlen(content), NULL, &err);
			if (st == KP_PROTO_OK)
				sent++;
			else if (st != KP_PROTO_AGAIN)
				break;
		}
		if ((p.revents & (POLLHUP | POLLERR)) != 0 &&
		    (p.revents & POLLIN) == 0)
			break;
	}
	printf("burst sent %u results %u\n", sent, results);
	fflush(stdout);
}

static void
run(const char *name)
{
	static uint8_t big[KP_FRAME_MAX + 100];
	uint8_t b[16];

	if (strcmp(name, "oversize") == 0) {
		hello();
		put_prefix(big, sizeof(big) - 4);
		send_raw(big, sizeof(big));
	} else if (strcmp(name, "truncated") == 0) {
		hello();
		put_prefix(b, 100);
		memcpy(b + 4, "\x1a\x0a\x0a\x08", 4);
		send_raw(b, 8);
	} else if (strcmp(name, "zero-prefix") == 0) {
		hello();
		put_prefix(b, 0);
		send_raw(b, 4);
	} else if (strcmp(name, "unknown-type") == 0) {
		hello();
		pbw_str(&inner, 1, "custom.a");
		send_body(42);
	} else if (strcmp(name, "two-bodies") == 0) {
		hello();
		pbw_str(&inner, 1, "custom.a");
		w.len = 0;
		pbw_envelope(&w, KP_MSG_REMOVE, &inner);
		inner.len = 0;
		pbw_str(&inner, 1, "custom.b");
		pbw_str(&inner, 2, "profile custom.b {\n}\n");
		pbw_envelope(&w, KP_MSG_APPLY, &inner);
		inner.len = 0;
		struct kp_proto_error err;
		(void)kp_frame_send_payload(sock, w.buf, w.len, &err);
	} else if (strcmp(name, "apply-before-hello") == 0) {
		struct kp_proto_error err;
		static const char c[] = "profile custom.a {\n}\n";
		(void)kp_msg_send_apply(sock, "custom.a", (const uint8_t *)c,
		    strlen(c), NULL, &err);
	} else if (strcmp(name, "wrong-version") == 0) {
		pbw_uint(&inner, 1, KP_PROTOCOL_VERSION + 1);
		pbw_uint(&inner, 2, KAPPARMOR__HELLO__ROLE__WATCHER);
		send_body(KP_MSG_HELLO);
	} else if (strcmp(name, "wrong-role") == 0) {
		pbw_uint(&inner, 1, KP_PROTOCOL_VERSION);
		pbw_uint(&inner, 2, KAPPARMOR__HELLO__ROLE__LOADER);
		send_body(KP_MSG_HELLO);
	} else if (strcmp(name, "key-slash") == 0) {
		hello();
		send_apply_raw("custom.a/b", "profile custom.a/b {\n}\n");
	} else if (strcmp(name, "key-dotdot") == 0) {
		hello();
		send_apply_raw("../../etc/apparmor.d/x", "profile x {\n}\n");
	} else if (strcmp(name, "remove-system") == 0) {
		/* Not a key at all: a protocol violation. */
		hello();
		pbw_str(&inner, 1, "docker-default");
		send_body(KP_MSG_REMOVE);
	} else if (strcmp(name, "remove-unmanaged") == 0) {
		/* A valid key the loader never loaded: a Result. */
		struct kp_proto_error err;
		hello();
		(void)kp_msg_send_remove(sock, "custom.never-loaded", &err);
	} else if (strcmp(name, "shadow") == 0) {
		/* Valid messages whose content the validator must reject. */
		hello();
		send_apply_raw("custom.x",
		    "#include \"/etc/shadow\"\nprofile custom.x {\n}\n");
		send_apply_raw("custom.y",
		    "profile custom.y {\n  /etc/shadow r,\n}\n"
		    "profile docker-default {\n}\n");
		send_apply_raw("custom.z", "profile docker-default {\n}\n");
	} else if (strcmp(name, "fd-pass") == 0) {
		hello();
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("/dev/null");
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		memset(&u, 0, sizeof(u));
		put_prefix(b, 1);
		b[4] = 0;
		struct iovec iov = { .iov_base = b, .iov_len = 5 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
			fail("sendmsg");
	} else if (strcmp(name, "burst") == 0) {
		burst();
		return;
	} else if (strcmp(name, "burst-stay") == 0) {
		/* The same, then stay until the loader closes: the loader's
		 * memory can be read after the burst while it still runs. */
		burst();
		if (fcntl(sock, F_SETFL, 0) != 0)
			fail("fcntl");
	} else {
		fprintf(stderr, "hostile_watcher: unknown scenario %s\n", name);
		exit(2);
	}
	drain_until_eof();
}

/* "NAME" of a path whose last component is "hostile-NAME", else NULL. */
static const char *
scenario_from_name(const char *path)
{
	if (path == NULL)
		return NULL;
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	return strncmp(base, "hostile-", 8) == 0 && base[8] != '\0' ?
	    base + 8 : NULL;
}

static const char *const scenarios =
    "oversize truncated zero-prefix unknown-type two-bodies "
    "apply-before-hello wrong-version wrong-role key-slash key-dotdot "
    "remove-system remove-unmanaged shadow fd-pass burst burst-stay";

int
main(int argc, char **argv)
{
	const char *scenario = scenario_from_name(argv[0]);

	if (scenario == NULL)
		scenario = scenario_from_name((const char *)getauxval(AT_EXECFN));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc)
			sock = atoi(argv[++i]);
		else if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc)
			scenario = argv[++i];
	}
	if (scenario == NULL) {
		fprintf(stderr, "usage: %s [--fd N] --scenario NAME\n"
		    "scenarios: %s\n", argv[0], scenarios);
		return 2;
	}
	if (kp_msg_init(&msg) != 0)
		fail("kp_msg_init");
	run(scenario);
	kp_msg_fini(&msg);
	return 0;
}
