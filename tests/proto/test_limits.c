/* SPDX-License-Identifier: Apache-2.0 */
/* KP_FRAME_MAX is derived, not guessed: the largest legal message of every
 * type is packed here and must fit, and one byte more of profile is
 * refused. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/message.h"

static struct kp_msg m;
static struct kp_proto_error err;
static uint8_t packed[KP_FRAME_PAYLOAD_MAX + 4096];
static uint8_t content[KP_PROFILE_MAX_BYTES + 1];
static char key[KP_KEY_MAX_LEN + 1];
static uint8_t digest[KP_PROTO_SHA256_LEN];

static void
setup(void)
{
	cr_assert_eq(kp_msg_init(&m), 0);
	memset(key, 'z', KP_KEY_MAX_LEN);
	memcpy(key, KP_KEY_PREFIX, strlen(KP_KEY_PREFIX));
	key[KP_KEY_MAX_LEN] = '\0';
	/* 0xff bytes: the longest varints are irrelevant for bytes, but
	 * content is opaque here anyway. */
	memset(content, 0xff, sizeof(content));
}

static void
teardown(void)
{
	kp_msg_fini(&m);
}

TestSuite(limits, .init = setup, .fini = teardown);

/* Pack env, check it fits a frame, decode it with the default arena. */
static size_t
pack_and_decode(const Kapparmor__Envelope *env, enum kp_proto_status want)
{
	size_t n = protobuf_c_message_get_packed_size(&env->base);
	cr_assert_leq(n, sizeof(packed));
	cr_assert_eq(protobuf_c_message_pack(&env->base, packed), n);
	cr_assert_leq(n, KP_FRAME_PAYLOAD_MAX, "%zu bytes", n);
	cr_assert_eq(kp_msg_decode(&m, packed, n, &err), want, "%s: %s",
	    kp_proto_status_name(err.status), err.detail);
	cr_assert_leq(m.arena.used, m.arena.cap);
	return n;
}

Test(limits, pinned_values)
{
	cr_assert_eq(KP_FRAME_PAYLOAD_MAX, 66560);
	cr_assert_eq(KP_FRAME_MAX, 66564);
	cr_assert_eq(KP_FRAME_RECV_BUF, 66565);
	cr_assert_eq(sizeof(struct kp_frame_buf), KP_FRAME_RECV_BUF);
	cr_assert_eq(KP_MSG_ARENA_BYTES, 133128);
	cr_assert_eq(strlen(key), KP_KEY_MAX_LEN);
}

Test(limits, largest_apply_fits_and_one_byte_more_is_refused)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Apply a = KAPPARMOR__APPLY__INIT;

	a.key = key;
	a.content.data = content;
	a.content.len = KP_PROFILE_MAX_BYTES;
	a.has_sha256 = 1;
	a.sha256.data = digest;
	a.sha256.len = sizeof(digest);
	env.body_case = KAPPARMOR__ENVELOPE__BODY_APPLY;
	env.apply = &a;
	size_t n = pack_and_decode(&env, KP_PROTO_OK);
	/* Tags, lengths, key and digest besides the content: the documented
	 * 114 bytes, well inside the overhead allowance. */
	cr_assert_eq(n - KP_PROFILE_MAX_BYTES, 114, "%zu",
	    n - KP_PROFILE_MAX_BYTES);
	cr_assert_leq(n - KP_PROFILE_MAX_BYTES, KP_FRAME_OVERHEAD_MAX);
	cr_assert_eq(m.env->apply->content.len, KP_PROFILE_MAX_BYTES);

	/* One more byte of content still fits the frame, so it is the rule
	 * of Apply that refuses it. */
	a.content.len = KP_PROFILE_MAX_BYTES + 1;
	pack_and_decode(&env, KP_PROTO_FIELD_TOO_LARGE);
}

Test(limits, largest_apply_over_a_socket)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	cr_assert_eq(kp_msg_send_apply(sv[0], key, content,
	    KP_PROFILE_MAX_BYTES, digest, &err), KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(kp_msg_recv(sv[1], &m, &err), KP_PROTO_OK, "%s",
	    err.detail);
	cr_assert_eq(m.env->apply->content.len, KP_PROFILE_MAX_BYTES);

	/* A hostile sender framing one byte more: refused on receipt. */
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Apply a = KAPPARMOR__APPLY__INIT;
	a.key = key;
	a.content.data = content;
	a.content.len = KP_PROFILE_MAX_BYTES + 1;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_APPLY;
	env.apply = &a;
	size_t n = protobuf_c_message_pack(&env.base, packed);
	cr_assert_eq(kp_frame_send_payload(sv[0], packed, n, &err),
	    KP_PROTO_OK);
	cr_assert_eq(kp_msg_recv(sv[1], &m, &err), KP_PROTO_FIELD_TOO_LARGE);
	close(sv[0]);
	close(sv[1]);
}

Test(limits, largest_sync_chunk_fits)
{
	static char *keys[KP_PROTO_SYNC_CHUNK_KEYS];
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__SyncKeys s = KAPPARMOR__SYNC_KEYS__INIT;

	for (size_t i = 0; i < KP_PROTO_SYNC_CHUNK_KEYS; i++)
		keys[i] = key;
	s.generation = UINT64_MAX;
	s.keys = keys;
	s.n_keys = KP_PROTO_SYNC_CHUNK_KEYS;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_SYNC_KEYS;
	env.sync_keys = &s;
	size_t n = pack_and_decode(&env, KP_PROTO_OK);
	cr_assert_lt(n, KP_FRAME_PAYLOAD_MAX / 3);
}

Test(limits, largest_result_log_and_hello_fit)
{
	static char text[KP_PROTO_TEXT_MAX + 1];
	static char reason[KP_PROTO_REASON_MAX + 1];
	static char event[KP_PROTO_EVENT_MAX + 1];
	static char logkey[KP_PROTO_LOG_KEY_MAX + 1];
	static char version[KP_PROTO_SOFTWARE_VERSION_MAX + 1];
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;

	memset(text, 0xe9, KP_PROTO_TEXT_MAX);
	memset(reason, 'r', KP_PROTO_REASON_MAX);
	memset(event, 'e', KP_PROTO_EVENT_MAX);
	memset(logkey, 'k', KP_PROTO_LOG_KEY_MAX);
	memset(version, 'v', KP_PROTO_SOFTWARE_VERSION_MAX);

	Kapparmor__Result r = KAPPARMOR__RESULT__INIT;
	r.op = KAPPARMOR__RESULT__OP__APPLY;
	r.key = key;
	r.status = KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE;
	r.reason = reason;
	r.message = text;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_RESULT;
	env.result = &r;
	cr_assert_leq(pack_and_decode(&env, KP_PROTO_OK), KP_FRAME_OVERHEAD_MAX);

	Kapparmor__Log l = KAPPARMOR__LOG__INIT;
	l.level = KAPPARMOR__LOG__LEVEL__ERROR;
	l.event = event;
	l.key = logkey;
	l.msg = text;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_LOG;
	env.log = &l;
	cr_assert_leq(pack_and_decode(&env, KP_PROTO_OK), KP_FRAME_OVERHEAD_MAX);

	Kapparmor__Hello h = KAPPARMOR__HELLO__INIT;
	h.protocol_version = UINT32_MAX;
	h.role = KAPPARMOR__HELLO__ROLE__LOADER;
	h.software_version = version;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	cr_assert_leq(pack_and_decode(&env, KP_PROTO_OK), KP_FRAME_OVERHEAD_MAX);
}
