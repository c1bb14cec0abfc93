/* SPDX-License-Identifier: Apache-2.0 */
/* Messages: a round trip of every type over a real socketpair, and every
 * rule of kp_msg_check() with its exact status. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/message.h"
#include "tests/proto/pb_writer.h"

static struct kp_msg m;
static struct pbw w, inner;
static struct kp_proto_error err;
static int sv[2];

static void
setup(void)
{
	cr_assert_eq(kp_msg_init(&m), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
	    0);
	w.len = 0;
	inner.len = 0;
	memset(&err, 0, sizeof(err));
}

static void
teardown(void)
{
	kp_msg_fini(&m);
	close(sv[0]);
	close(sv[1]);
}

TestSuite(roundtrip, .init = setup, .fini = teardown);
TestSuite(rules, .init = setup, .fini = teardown);
TestSuite(sending, .init = setup, .fini = teardown);
TestSuite(names, .init = setup, .fini = teardown);

static void
recv_ok(enum kp_msg_type type)
{
	enum kp_proto_status st = kp_msg_recv(sv[1], &m, &err);
	cr_assert_eq(st, KP_PROTO_OK, "%s: %s", kp_proto_status_name(st),
	    err.detail);
	cr_assert_eq(m.type, type, "got %s", kp_msg_type_name(m.type));
	cr_assert_not_null(m.env);
}

static void
assert_nothing_queued(void)
{
	char c;

	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(recv(sv[1], &c, 1, 0), -1);
	cr_assert_eq(errno, EAGAIN);
}

/* Decode a hand-encoded body as Envelope field `body`. */
static enum kp_proto_status
decode_body(uint32_t body)
{
	w.len = 0;
	pbw_envelope(&w, body, &inner);
	enum kp_proto_status st = kp_msg_decode(&m, w.buf, w.len, &err);
	if (st != KP_PROTO_OK) {
		cr_assert_null(m.env);
		cr_assert(kp_proto_status_is_violation(st));
	}
	return st;
}

/* ---- round trips ---- */

Test(roundtrip, hello)
{
	cr_assert_eq(kp_msg_send_hello(sv[0], KAPPARMOR__HELLO__ROLE__WATCHER,
	    &err), KP_PROTO_OK);
	recv_ok(KP_MSG_HELLO);
	cr_assert_eq(m.env->hello->protocol_version, KP_PROTOCOL_VERSION);
	cr_assert_eq(m.env->hello->role, KAPPARMOR__HELLO__ROLE__WATCHER);
	cr_assert_str_eq(m.env->hello->software_version, KP_VERSION);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_OK);
}

Test(roundtrip, apply_with_digest)
{
	static const uint8_t content[] = "profile custom.a {\n}\n\0tail";
	uint8_t digest[KP_PROTO_SHA256_LEN];

	for (size_t i = 0; i < sizeof(digest); i++)
		digest[i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(kp_msg_send_apply(sv[0], "custom.a", content,
	    sizeof(content), digest, &err), KP_PROTO_OK, "%s", err.detail);
	recv_ok(KP_MSG_APPLY);
	const Kapparmor__Apply *a = m.env->apply;
	cr_assert_str_eq(a->key, "custom.a");
	cr_assert_eq(a->content.len, sizeof(content));
	cr_assert_eq(memcmp(a->content.data, content, sizeof(content)), 0);
	cr_assert(a->has_sha256);
	cr_assert_eq(a->sha256.len, KP_PROTO_SHA256_LEN);
	cr_assert_eq(memcmp(a->sha256.data, digest, sizeof(digest)), 0);
}

Test(roundtrip, apply_without_digest_and_empty_content)
{
	/* Empty content is the validator's business (reason "empty"), not
	 * a protocol violation. */
	cr_assert_eq(kp_msg_send_apply(sv[0], "custom.a", NULL, 0, NULL, &err),
	    KP_PROTO_OK, "%s", err.detail);
	recv_ok(KP_MSG_APPLY);
	cr_assert_not(m.env->apply->has_sha256);
	cr_assert_eq(m.env->apply->content.len, 0);
}

Test(roundtrip, remove)
{
	cr_assert_eq(kp_msg_send_remove(sv[0], "custom.old-one", &err),
	    KP_PROTO_OK);
	recv_ok(KP_MSG_REMOVE);
	cr_assert_str_eq(m.env->remove->key, "custom.old-one");
}

Test(roundtrip, sync_in_chunks)
{
	enum { N = 2 * KP_PROTO_SYNC_CHUNK_KEYS + 3 };
	static char names[N][32];
	static const char *keys[N];

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "custom.k%04d", i);
		keys[i] = names[i];
	}
	/* Sent from a child: the whole sync does not fit the socket buffer
	 * of a blocking pair read by the same thread. */
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(kp_msg_send_sync(sv[0], 7, keys, N, NULL) == KP_PROTO_OK
		    ? 0 : 1);

	recv_ok(KP_MSG_SYNC_BEGIN);
	cr_assert_eq(m.env->sync_begin->generation, 7);
	size_t seen = 0, chunks = 0;
	for (;;) {
		cr_assert_eq(kp_msg_recv(sv[1], &m, &err), KP_PROTO_OK);
		if (m.type == KP_MSG_SYNC_END)
			break;
		cr_assert_eq(m.type, KP_MSG_SYNC_KEYS);
		cr_assert_eq(m.env->sync_keys->generation, 7);
		for (size_t i = 0; i < m.env->sync_keys->n_keys; i++)
			cr_assert_str_eq(m.env->sync_keys->keys[i],
			    keys[seen + i]);
		seen += m.env->sync_keys->n_keys;
		chunks++;
	}
	cr_assert_eq(chunks, 3);
	cr_assert_eq(seen, N);
	cr_assert_eq(m.env->sync_end->generation, 7);
	cr_assert_eq(m.env->sync_end->total_keys, N);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

Test(roundtrip, empty_sync_has_no_chunk)
{
	cr_assert_eq(kp_msg_send_sync(sv[0], 1, NULL, 0, &err), KP_PROTO_OK);
	recv_ok(KP_MSG_SYNC_BEGIN);
	recv_ok(KP_MSG_SYNC_END);
	cr_assert_eq(m.env->sync_end->total_keys, 0);
}

Test(roundtrip, result_apply)
{
	struct kp_msg_result r = {
		.op = KAPPARMOR__RESULT__OP__APPLY,
		.key = "custom.a",
		.status = KAPPARMOR__RESULT__STATUS__PARSER_FAILED,
		.reason = "compile-failed",
		.message = "line 3:\tsyntax error\nat \x1b[31m",
	};
	cr_assert_eq(kp_msg_send_result(sv[0], &r, &err), KP_PROTO_OK,
	    "%s", err.detail);
	recv_ok(KP_MSG_RESULT);
	const Kapparmor__Result *res = m.env->result;
	cr_assert_eq(res->op, KAPPARMOR__RESULT__OP__APPLY);
	cr_assert_str_eq(res->key, "custom.a");
	cr_assert_eq(res->status, KAPPARMOR__RESULT__STATUS__PARSER_FAILED);
	cr_assert_str_eq(res->reason, "compile-failed");
	/* Control characters were replaced before sending. */
	cr_assert_str_eq(res->message, "line 3: syntax error at  [31m");
	cr_assert_not(res->has_generation);
}

Test(roundtrip, result_sync)
{
	struct kp_msg_result r = {
		.op = KAPPARMOR__RESULT__OP__SYNC,
		.status = KAPPARMOR__RESULT__STATUS__SYNCED,
		.generation = 42,
	};
	cr_assert_eq(kp_msg_send_result(sv[0], &r, &err), KP_PROTO_OK,
	    "%s", err.detail);
	recv_ok(KP_MSG_RESULT);
	cr_assert_null(m.env->result->key);
	cr_assert(m.env->result->has_generation);
	cr_assert_eq(m.env->result->generation, 42);
	cr_assert_null(m.env->result->reason);
	cr_assert_null(m.env->result->message);
}

Test(roundtrip, heartbeat_and_ack)
{
	cr_assert_eq(kp_msg_send_heartbeat(sv[0], UINT64_MAX, &err),
	    KP_PROTO_OK);
	cr_assert_eq(kp_msg_send_heartbeat_ack(sv[0], 0, &err), KP_PROTO_OK);
	recv_ok(KP_MSG_HEARTBEAT);
	cr_assert_eq(m.env->heartbeat->seq, UINT64_MAX);
	recv_ok(KP_MSG_HEARTBEAT_ACK);
	cr_assert_eq(m.env->heartbeat_ack->seq, 0);
}

Test(roundtrip, log)
{
	cr_assert_eq(kp_msg_send_log(sv[0], KAPPARMOR__LOG__LEVEL__WARN,
	    "key_rejected", "bad/key\n", "key-format: \"bad/key\"\n", &err),
	    KP_PROTO_OK, "%s", err.detail);
	recv_ok(KP_MSG_LOG);
	const Kapparmor__Log *l = m.env->log;
	cr_assert_eq(l->level, KAPPARMOR__LOG__LEVEL__WARN);
	cr_assert_str_eq(l->event, "key_rejected");
	cr_assert_str_eq(l->key, "bad/key ");
	cr_assert_str_eq(l->msg, "key-format: \"bad/key\" ");
}

Test(roundtrip, log_without_key)
{
	cr_assert_eq(kp_msg_send_log(sv[0], KAPPARMOR__LOG__LEVEL__INFO,
	    "started", NULL, "watching /app/profiles", &err), KP_PROTO_OK);
	recv_ok(KP_MSG_LOG);
	cr_assert_null(m.env->log->key);
}

Test(roundtrip, many_messages_reuse_the_same_memory)
{
	/* The arena is reset per message: 10 000 Applies use the memory of
	 * one. */
	static uint8_t content[4096];
	size_t first_used = 0;

	memset(content, 'x', sizeof(content));
	for (int i = 0; i < 10000; i++) {
		cr_assert_eq(kp_msg_send_apply(sv[0], "custom.a", content,
		    sizeof(content), NULL, &err), KP_PROTO_OK);
		recv_ok(KP_MSG_APPLY);
		if (i == 0)
			first_used = m.arena.used;
		cr_assert_eq(m.arena.used, first_used);
	}
	cr_assert_lt(first_used, sizeof(content) + 512);
}

/* ---- the rules, on the wire ---- */

static const char *const bad_keys[] = {
	"custom.a/b", "../x", "docker-default", "custom.", "custom..x", "",
	"custom.a b", "custom.a\n", "Custom.a", "custom.a\xc3\xa9",
	/* 71 bytes: one over KP_KEY_MAX_LEN */
	"custom.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static const char max_key[] =
    "custom.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

Test(rules, key_of_max_length_is_valid)
{
	cr_assert_eq(strlen(max_key), KP_KEY_MAX_LEN);
	cr_assert_eq(strlen(bad_keys[10]), KP_KEY_MAX_LEN + 1);
	pbw_str(&inner, 1, max_key);
	cr_assert_eq(decode_body(3), KP_PROTO_OK, "%s", err.detail);
}

Test(rules, bad_key_in_apply)
{
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		inner.len = 0;
		pbw_str(&inner, 1, bad_keys[i]);
		pbw_len(&inner, 2, "x", 1);
		cr_assert_eq(decode_body(2), KP_PROTO_BAD_KEY, "%s: %s",
		    bad_keys[i], kp_proto_status_name(err.status));
	}
	inner.len = 0;
	pbw_str(&inner, 1, "../x");
	pbw_len(&inner, 2, "x", 1);
	cr_assert_eq(decode_body(2), KP_PROTO_BAD_KEY);
	cr_assert_str_eq(err.detail, "Apply.key: \"../x\" is not a valid key");
}

Test(rules, bad_key_in_remove)
{
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		inner.len = 0;
		pbw_str(&inner, 1, bad_keys[i]);
		cr_assert_eq(decode_body(3), KP_PROTO_BAD_KEY, "%s",
		    bad_keys[i]);
	}
}

Test(rules, bad_key_detail_is_escaped_and_cut)
{
	static char long_key[300];

	memset(long_key, 'a', sizeof(long_key) - 1);
	memcpy(long_key, "\n\x1b", 2);
	pbw_str(&inner, 1, long_key);
	cr_assert_eq(decode_body(3), KP_PROTO_BAD_KEY);
	cr_assert_str_eq(err.detail, "Remove.key: \"\\x0a\\x1baaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaa...\" is not a valid key");
}

Test(rules, bad_key_in_sync_keys_and_result)
{
	pbw_uint(&inner, 1, 3);
	pbw_str(&inner, 2, "custom.a");
	pbw_str(&inner, 2, "docker-default");
	cr_assert_eq(decode_body(5), KP_PROTO_BAD_KEY);

	inner.len = 0;
	pbw_uint(&inner, 1, KAPPARMOR__RESULT__OP__REMOVE);
	pbw_str(&inner, 2, "custom.a/b");
	pbw_uint(&inner, 3, KAPPARMOR__RESULT__STATUS__REMOVED);
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_KEY);
}

Test(rules, content_limit)
{
	static uint8_t content[KP_PROFILE_MAX_BYTES + 1];

	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, content, KP_PROFILE_MAX_BYTES);
	cr_assert_eq(decode_body(2), KP_PROTO_OK, "%s", err.detail);

	inner.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, content, KP_PROFILE_MAX_BYTES + 1);
	cr_assert_eq(decode_body(2), KP_PROTO_FIELD_TOO_LARGE);
	cr_assert_str_eq(err.detail, "Apply.content: 65537 bytes exceeds 65536");
}

Test(rules, digest_must_be_32_bytes)
{
	static const uint8_t d[33];

	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "x", 1);
	pbw_len(&inner, 3, d, 31);
	cr_assert_eq(decode_body(2), KP_PROTO_BAD_VALUE);
	inner.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "x", 1);
	pbw_len(&inner, 3, d, 33);
	cr_assert_eq(decode_body(2), KP_PROTO_BAD_VALUE);
	inner.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "x", 1);
	pbw_len(&inner, 3, d, 0);
	cr_assert_eq(decode_body(2), KP_PROTO_BAD_VALUE);
	inner.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, "x", 1);
	pbw_len(&inner, 3, d, 32);
	cr_assert_eq(decode_body(2), KP_PROTO_OK);
}

Test(rules, enums_out_of_the_proto)
{
	/* Hello.role 3 */
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, 3);
	cr_assert_eq(decode_body(1), KP_PROTO_BAD_ENUM);
	cr_assert_str_eq(err.detail, "Hello.role: 3 is not a Role");

	/* Result.op 0, Result.status 0 and 14 */
	static const uint64_t bad[][2] = { { 0, 1 }, { 1, 0 }, { 1, 14 },
	    { 4, 1 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		inner.len = 0;
		pbw_uint(&inner, 1, bad[i][0]);
		pbw_str(&inner, 2, "custom.a");
		pbw_uint(&inner, 3, bad[i][1]);
		cr_assert_eq(decode_body(7), KP_PROTO_BAD_ENUM, "%zu", i);
	}

	/* Log.level 0 and 5 */
	for (uint64_t level = 0; level <= 5; level += 5) {
		inner.len = 0;
		pbw_uint(&inner, 1, level);
		pbw_str(&inner, 2, "ev");
		pbw_str(&inner, 4, "m");
		cr_assert_eq(decode_body(10), KP_PROTO_BAD_ENUM);
	}
}

Test(rules, generation_zero)
{
	pbw_uint(&inner, 1, 0);
	cr_assert_eq(decode_body(4), KP_PROTO_BAD_VALUE);
	pbw_str(&inner, 2, "custom.a");
	cr_assert_eq(decode_body(5), KP_PROTO_BAD_VALUE);
	inner.len = 0;
	pbw_uint(&inner, 1, 0);
	pbw_uint(&inner, 2, 0);
	cr_assert_eq(decode_body(6), KP_PROTO_BAD_VALUE);
	cr_assert_str_eq(err.detail, "SyncEnd.generation: must not be 0");
}

Test(rules, empty_chunk)
{
	pbw_uint(&inner, 1, 1);
	cr_assert_eq(decode_body(5), KP_PROTO_BAD_VALUE);
	cr_assert_str_eq(err.detail, "SyncKeys.keys: empty chunk");
}

Test(rules, sync_total)
{
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, KP_PROTO_SYNC_TOTAL_KEYS);
	cr_assert_eq(decode_body(6), KP_PROTO_OK);
	inner.len = 0;
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, KP_PROTO_SYNC_TOTAL_KEYS + 1);
	cr_assert_eq(decode_body(6), KP_PROTO_TOO_MANY_VALUES);
}

Test(rules, hello_version_and_role)
{
	pbw_uint(&inner, 1, 0);
	pbw_uint(&inner, 2, 1);
	cr_assert_eq(decode_body(1), KP_PROTO_BAD_VALUE);

	/* The next version decodes (so that it can be logged) and then fails
	 * the Hello check, which the loader treats as fatal. */
	inner.len = 0;
	pbw_uint(&inner, 1, KP_PROTOCOL_VERSION + 1);
	pbw_uint(&inner, 2, KAPPARMOR__HELLO__ROLE__WATCHER);
	cr_assert_eq(decode_body(1), KP_PROTO_OK);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_VERSION_MISMATCH);
	cr_assert(kp_proto_status_is_violation(err.status));
	cr_assert_str_eq(err.detail, "peer speaks protocol version 3, this is 2");

	inner.len = 0;
	pbw_uint(&inner, 1, KP_PROTOCOL_VERSION);
	pbw_uint(&inner, 2, KAPPARMOR__HELLO__ROLE__LOADER);
	cr_assert_eq(decode_body(1), KP_PROTO_OK);
	cr_assert_eq(kp_msg_check_hello(m.env->hello,
	    KAPPARMOR__HELLO__ROLE__WATCHER, &err), KP_PROTO_ROLE_MISMATCH);
	cr_assert_str_eq(err.detail,
	    "peer says it is the loader, expected the watcher");
}

Test(rules, hello_software_version)
{
	static char v[KP_PROTO_SOFTWARE_VERSION_MAX + 2];

	memset(v, '1', KP_PROTO_SOFTWARE_VERSION_MAX);
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, 1);
	pbw_str(&inner, 3, v);
	cr_assert_eq(decode_body(1), KP_PROTO_OK);
	v[KP_PROTO_SOFTWARE_VERSION_MAX] = '1';
	inner.len = 0;
	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, 1);
	pbw_str(&inner, 3, v);
	cr_assert_eq(decode_body(1), KP_PROTO_FIELD_TOO_LARGE);
}

static void
result_body(uint64_t op, const char *key, uint64_t status)
{
	inner.len = 0;
	pbw_uint(&inner, 1, op);
	if (key != NULL)
		pbw_str(&inner, 2, key);
	pbw_uint(&inner, 3, status);
}

Test(rules, result_key_and_generation_follow_the_op)
{
	result_body(KAPPARMOR__RESULT__OP__APPLY, NULL,
	    KAPPARMOR__RESULT__STATUS__LOADED);
	cr_assert_eq(decode_body(7), KP_PROTO_MISSING_FIELD);
	cr_assert_str_eq(err.detail, "Result.key: required field missing");

	result_body(KAPPARMOR__RESULT__OP__APPLY, "custom.a",
	    KAPPARMOR__RESULT__STATUS__LOADED);
	pbw_uint(&inner, 6, 3);
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_VALUE);

	result_body(KAPPARMOR__RESULT__OP__SYNC, "custom.a",
	    KAPPARMOR__RESULT__STATUS__SYNCED);
	pbw_uint(&inner, 6, 3);
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_VALUE);

	result_body(KAPPARMOR__RESULT__OP__SYNC, NULL,
	    KAPPARMOR__RESULT__STATUS__SYNCED);
	cr_assert_eq(decode_body(7), KP_PROTO_MISSING_FIELD);
	pbw_uint(&inner, 6, 0);
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_VALUE);

	result_body(KAPPARMOR__RESULT__OP__SYNC, NULL,
	    KAPPARMOR__RESULT__STATUS__SYNCED);
	pbw_uint(&inner, 6, 3);
	cr_assert_eq(decode_body(7), KP_PROTO_OK);
}

Test(rules, result_reason_and_message)
{
	static char text[KP_PROTO_TEXT_MAX + 2];

	result_body(1, "custom.a", 3);
	pbw_str(&inner, 4, "name-mismatch");
	cr_assert_eq(decode_body(7), KP_PROTO_OK);

	result_body(1, "custom.a", 3);
	pbw_str(&inner, 4, "Name_Mismatch");
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_TEXT);
	result_body(1, "custom.a", 3);
	pbw_str(&inner, 4, "");
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_TEXT);

	result_body(1, "custom.a", 3);
	pbw_str(&inner, 5, "two\nlines");
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_TEXT);
	cr_assert_str_eq(err.detail,
	    "Result.message: control character in \"two\\x0alines\"");
	result_body(1, "custom.a", 3);
	pbw_str(&inner, 5, "del\x7f");
	cr_assert_eq(decode_body(7), KP_PROTO_BAD_TEXT);

	memset(text, 'x', KP_PROTO_TEXT_MAX);
	result_body(1, "custom.a", 3);
	pbw_str(&inner, 5, text);
	cr_assert_eq(decode_body(7), KP_PROTO_OK);
	text[KP_PROTO_TEXT_MAX] = 'x';
	result_body(1, "custom.a", 3);
	pbw_str(&inner, 5, text);
	cr_assert_eq(decode_body(7), KP_PROTO_FIELD_TOO_LARGE);
}

Test(rules, log_fields)
{
	static char key[KP_PROTO_LOG_KEY_MAX + 2];

	pbw_uint(&inner, 1, 2);
	pbw_str(&inner, 2, "Bad-Event");
	pbw_str(&inner, 4, "m");
	cr_assert_eq(decode_body(10), KP_PROTO_BAD_TEXT);

	inner.len = 0;
	pbw_uint(&inner, 1, 2);
	pbw_str(&inner, 2, "ev");
	pbw_str(&inner, 4, "esc\x1b[2J");
	cr_assert_eq(decode_body(10), KP_PROTO_BAD_TEXT);

	inner.len = 0;
	pbw_uint(&inner, 1, 2);
	pbw_str(&inner, 2, "ev");
	cr_assert_eq(decode_body(10), KP_PROTO_MISSING_FIELD);

	/* An invalid key may be reported; only its length is bounded. */
	memset(key, 'k', KP_PROTO_LOG_KEY_MAX);
	memcpy(key, "foo/../", 7);
	inner.len = 0;
	pbw_uint(&inner, 1, 2);
	pbw_str(&inner, 2, "key_rejected");
	pbw_str(&inner, 3, key);
	pbw_str(&inner, 4, "m");
	cr_assert_eq(decode_body(10), KP_PROTO_OK);
	key[KP_PROTO_LOG_KEY_MAX] = 'k';
	inner.len = 0;
	pbw_uint(&inner, 1, 2);
	pbw_str(&inner, 2, "key_rejected");
	pbw_str(&inner, 3, key);
	pbw_str(&inner, 4, "m");
	cr_assert_eq(decode_body(10), KP_PROTO_FIELD_TOO_LARGE);
}

Test(rules, failed_decode_forgets_the_previous_message)
{
	pbw_str(&inner, 1, "custom.a");
	cr_assert_eq(decode_body(3), KP_PROTO_OK);
	inner.len = 0;
	pbw_str(&inner, 1, "../x");
	cr_assert_eq(decode_body(3), KP_PROTO_BAD_KEY);
	cr_assert_null(m.env);
	cr_assert_eq(m.type, KP_MSG_NONE);
}

Test(rules, arena_budget_bounds_decoding)
{
	static uint8_t content[2048];
	struct kp_msg small;

	cr_assert_eq(kp_msg_init_budget(&small, 1024), 0);
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, content, sizeof(content));
	pbw_envelope(&w, 2, &inner);
	cr_assert_eq(kp_msg_decode(&small, w.buf, w.len, &err),
	    KP_PROTO_ALLOC_BUDGET);
	cr_assert_str_eq(err.detail,
	    "decoding needs more than the 1024-byte budget");
	cr_assert_null(small.env);

	/* A message within the budget still decodes in the same arena. */
	inner.len = 0;
	w.len = 0;
	pbw_str(&inner, 1, "custom.a");
	pbw_envelope(&w, 3, &inner);
	cr_assert_eq(kp_msg_decode(&small, w.buf, w.len, &err), KP_PROTO_OK);
	cr_assert_leq(small.arena.used, 1024);
	kp_msg_fini(&small);
}

Test(rules, locally_built_envelopes)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Apply apply = KAPPARMOR__APPLY__INIT;

	cr_assert_eq(kp_msg_check(NULL, &err), KP_PROTO_NO_BODY);
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_NO_BODY);
	env.body_case = KAPPARMOR__ENVELOPE__BODY_APPLY;
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_NO_BODY);
	env.apply = &apply;
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_MISSING_FIELD);
	apply.key = "custom.a";
	apply.content.len = 3;
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_BAD_VALUE);
	apply.content.data = (uint8_t *)"abc";
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_OK);
	env.body_case = (Kapparmor__Envelope__BodyCase)11;
	cr_assert_eq(kp_msg_check(&env, &err), KP_PROTO_NO_BODY);
	cr_assert_eq(kp_msg_type_of(&env), KP_MSG_NONE);
}

/* ---- sending refuses what the receiver would refuse ---- */

Test(sending, invalid_messages_are_never_sent)
{
	static uint8_t content[KP_PROFILE_MAX_BYTES + 1];
	static const char *keys[] = { "custom.a", "docker-default" };

	cr_assert_eq(kp_msg_send_remove(sv[0], "docker-default", &err),
	    KP_PROTO_BAD_KEY);
	cr_assert_eq(kp_msg_send_apply(sv[0], "custom.a", content,
	    sizeof(content), NULL, &err), KP_PROTO_FIELD_TOO_LARGE);
	cr_assert_eq(kp_msg_send_sync_keys(sv[0], 1, keys, 2, &err),
	    KP_PROTO_BAD_KEY);
	cr_assert_eq(kp_msg_send_sync_begin(sv[0], 0, &err),
	    KP_PROTO_BAD_VALUE);
	cr_assert_eq(kp_msg_send_hello(sv[0], (Kapparmor__Hello__Role)9, &err),
	    KP_PROTO_BAD_ENUM);
	cr_assert_eq(kp_msg_send_log(sv[0], KAPPARMOR__LOG__LEVEL__INFO,
	    "Bad Event", NULL, "m", &err), KP_PROTO_BAD_TEXT);
	assert_nothing_queued();
}

Test(sending, oversize_sync_sends_nothing)
{
	static const char *keys[KP_PROTO_SYNC_TOTAL_KEYS + 1];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		keys[i] = "custom.a";
	cr_assert_eq(kp_msg_send_sync(sv[0], 1, keys,
	    KP_PROTO_SYNC_TOTAL_KEYS + 1, &err), KP_PROTO_TOO_MANY_VALUES);
	assert_nothing_queued();
}

Test(sending, long_text_is_cut_to_the_limit)
{
	static char text[2 * KP_PROTO_TEXT_MAX];
	struct kp_msg_result r = {
		.op = KAPPARMOR__RESULT__OP__APPLY,
		.key = "custom.a",
		.status = KAPPARMOR__RESULT__STATUS__PARSER_FAILED,
		.message = text,
	};

	memset(text, 'y', sizeof(text) - 1);
	cr_assert_eq(kp_msg_send_result(sv[0], &r, &err), KP_PROTO_OK);
	recv_ok(KP_MSG_RESULT);
	cr_assert_eq(strlen(m.env->result->message), KP_PROTO_TEXT_MAX);
}

Test(sending, text_copy)
{
	char small[4];

	cr_assert_str_eq(kp_msg_text_copy(small, sizeof(small), "a\tbcdef"),
	    "a b");
	cr_assert_str_eq(kp_msg_text_copy(small, sizeof(small), NULL), "");
	cr_assert_str_eq(kp_msg_text_copy(small, 1, "abc"), "");
}

/* ---- names ---- */

static void
assert_names_follow_proto(const ProtobufCEnumDescriptor *desc,
    const char *(*name)(int))
{
	for (unsigned i = 0; i < desc->n_values; i++) {
		char lower[64];
		const char *pn = desc->values[i].name;
		size_t n = strlen(pn);
		cr_assert_lt(n, sizeof(lower));
		for (size_t j = 0; j <= n; j++)
			lower[j] = (char)(pn[j] >= 'A' && pn[j] <= 'Z' ?
			    pn[j] - 'A' + 'a' : pn[j]);
		cr_assert_str_eq(name(desc->values[i].value), lower);
	}
	cr_assert_str_eq(name(0), "unknown");
	cr_assert_str_eq(name(-1), "unknown");
	cr_assert_str_eq(name(1000), "unknown");
}

static const char *role_name(int v) {
	return kp_msg_role_name((Kapparmor__Hello__Role)v);
}
static const char *op_name(int v) {
	return kp_msg_op_name((Kapparmor__Result__Op)v);
}
static const char *status_name(int v) {
	return kp_msg_result_status_name((Kapparmor__Result__Status)v);
}
static const char *level_name(int v) {
	return kp_msg_log_level_name((Kapparmor__Log__Level)v);
}

Test(names, enum_names_follow_the_proto)
{
	assert_names_follow_proto(&kapparmor__hello__role__descriptor,
	    role_name);
	assert_names_follow_proto(&kapparmor__result__op__descriptor, op_name);
	assert_names_follow_proto(&kapparmor__result__status__descriptor,
	    status_name);
	assert_names_follow_proto(&kapparmor__log__level__descriptor,
	    level_name);
	cr_assert_str_eq(kp_msg_result_status_name(
	    KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE),
	    "removal_deferred_in_use");
}

Test(names, message_types_follow_the_envelope)
{
	const ProtobufCMessageDescriptor *d = &kapparmor__envelope__descriptor;

	cr_assert_eq(d->n_fields, KP_MSG__COUNT - 1);
	for (unsigned i = 0; i < d->n_fields; i++) {
		cr_assert_str_eq(kp_msg_type_name(
		    (enum kp_msg_type)d->fields[i].id), d->fields[i].name);
	}
	cr_assert_str_eq(kp_msg_type_name(KP_MSG_NONE), "none");
	cr_assert_str_eq(kp_msg_type_name(KP_MSG__COUNT), "unknown");
	cr_assert_eq(kp_msg_type_of(NULL), KP_MSG_NONE);
}

Test(names, status_names_are_unique_kebab)
{
	for (int i = 0; i < KP_PROTO__COUNT; i++) {
		const char *a = kp_proto_status_name((enum kp_proto_status)i);
		cr_assert(strlen(a) > 1);
		for (const char *p = a; *p; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || *p == '-', "%s",
			    a);
		for (int j = i + 1; j < KP_PROTO__COUNT; j++)
			cr_assert_str_neq(a,
			    kp_proto_status_name((enum kp_proto_status)j));
	}
	cr_assert_str_eq(kp_proto_status_name(KP_PROTO__COUNT), "unknown");
	cr_assert_str_eq(kp_proto_status_name(KP_PROTO_FRAME_LENGTH_MISMATCH),
	    "frame-length-mismatch");
}
