/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receiving side of every hostile_watcher scenario: this test plays a
 * loader that only decodes (no state machine, no files) and checks that
 * each hostile datagram gives exactly the expected status.  The loader's
 * own compromised-watcher tests run the real loader against the same
 * program.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/message.h"

static struct kp_msg m;
static struct kp_proto_error err;
static int sock = -1;
static pid_t child = -1;

static void
start(const char *scenario)
{
	const char *exe = getenv("KP_HOSTILE_WATCHER");
	int sv[2];

	cr_assert_not_null(exe, "KP_HOSTILE_WATCHER is not set");
	cr_assert_eq(kp_msg_init(&m), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
	    0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		if (dup2(sv[1], 3) != 3)
			_exit(127);
		int null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) != 1)
			_exit(127);
		execl(exe, "kapparmor-watcher", "--fd", "3", "--scenario",
		    scenario, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	sock = sv[0];
}

static void
finish(void)
{
	int status;

	close(sock);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status), "status %d", status);
	cr_assert_eq(WEXITSTATUS(status), 0);
	kp_msg_fini(&m);
}

static enum kp_proto_status
next(void)
{
	return kp_msg_recv(sock, &m, &err);
}

/* The watcher's Hello, checked, and ours. */
static void
handshake(void)
{
	cr_assert_eq(next(), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(m.type, KP_MSG_HELLO);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_OK);
	cr_assert_eq(kp_msg_send_hello(sock, KAPPARMOR__HELLO__ROLE__LOADER,
	    &err), KP_PROTO_OK);
}

static void
expect_violation(const char *scenario, enum kp_proto_status want)
{
	start(scenario);
	handshake();
	enum kp_proto_status st = next();
	cr_assert_eq(st, want, "%s: got %s: %s", scenario,
	    kp_proto_status_name(st), err.detail);
	finish();
}

Test(hostile, oversize)
{
	expect_violation("oversize", KP_PROTO_DGRAM_TRUNCATED);
}

Test(hostile, truncated)
{
	expect_violation("truncated", KP_PROTO_FRAME_LENGTH_MISMATCH);
}

Test(hostile, zero_prefix)
{
	expect_violation("zero-prefix", KP_PROTO_FRAME_EMPTY);
}

Test(hostile, unknown_type)
{
	expect_violation("unknown-type", KP_PROTO_UNKNOWN_FIELD);
}

Test(hostile, two_bodies)
{
	expect_violation("two-bodies", KP_PROTO_MULTIPLE_BODIES);
}

Test(hostile, key_slash)
{
	expect_violation("key-slash", KP_PROTO_BAD_KEY);
}

Test(hostile, key_dotdot)
{
	expect_violation("key-dotdot", KP_PROTO_BAD_KEY);
}

Test(hostile, remove_system_profile)
{
	expect_violation("remove-system", KP_PROTO_BAD_KEY);
}

Test(hostile, fd_pass)
{
	expect_violation("fd-pass", KP_PROTO_ANCILLARY);
}

Test(hostile, apply_before_hello_decodes_as_apply)
{
	/* Legal bytes in the wrong state: only the loader's table can
	 * refuse it, so the first message must be checked by type. */
	start("apply-before-hello");
	cr_assert_eq(next(), KP_PROTO_OK);
	cr_assert_eq(m.type, KP_MSG_APPLY);
	finish();
}

Test(hostile, wrong_version_and_role)
{
	start("wrong-version");
	cr_assert_eq(next(), KP_PROTO_OK);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_VERSION_MISMATCH);
	finish();
	start("wrong-role");
	cr_assert_eq(next(), KP_PROTO_OK);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_ROLE_MISMATCH);
	finish();
}

Test(hostile, hostile_content_is_legal_protocol)
{
	/* Refusing these is the validator's job (a Result), not the
	 * protocol's. */
	static const char *const keys[] = { "custom.x", "custom.y",
	    "custom.z" };

	start("shadow");
	handshake();
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(next(), KP_PROTO_OK, "%s", err.detail);
		cr_assert_eq(m.type, KP_MSG_APPLY);
		cr_assert_str_eq(m.env->apply->key, keys[i]);
	}
	finish();
}

Test(hostile, remove_of_unmanaged_key_is_legal_protocol)
{
	start("remove-unmanaged");
	handshake();
	cr_assert_eq(next(), KP_PROTO_OK);
	cr_assert_eq(m.type, KP_MSG_REMOVE);
	cr_assert_str_eq(m.env->remove->key, "custom.never-loaded");
	finish();
}

Test(hostile, burst_of_applies_in_constant_memory, .timeout = 60)
{
	struct kp_msg_result r = {
		.op = KAPPARMOR__RESULT__OP__APPLY,
		.key = "custom.burst",
		.status = KAPPARMOR__RESULT__STATUS__UNCHANGED,
	};
	size_t used = 0;

	start("burst");
	handshake();
	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(next(), KP_PROTO_OK, "%d: %s", i, err.detail);
		cr_assert_eq(m.type, KP_MSG_APPLY);
		if (i == 0)
			used = m.arena.used;
		cr_assert_eq(m.arena.used, used);
		cr_assert_eq(kp_msg_send_result(sock, &r, &err), KP_PROTO_OK);
	}
	cr_assert_eq(next(), KP_PROTO_PEER_CLOSED);
	finish();
}
