/* SPDX-License-Identifier: Apache-2.0 */
#include "proto/message.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/validator.h"
#include "proto/wire.h"

_Static_assert((int)KP_MSG_HELLO == KAPPARMOR__ENVELOPE__BODY_HELLO &&
    (int)KP_MSG_APPLY == KAPPARMOR__ENVELOPE__BODY_APPLY &&
    (int)KP_MSG_REMOVE == KAPPARMOR__ENVELOPE__BODY_REMOVE &&
    (int)KP_MSG_SYNC_BEGIN == KAPPARMOR__ENVELOPE__BODY_SYNC_BEGIN &&
    (int)KP_MSG_SYNC_KEYS == KAPPARMOR__ENVELOPE__BODY_SYNC_KEYS &&
    (int)KP_MSG_SYNC_END == KAPPARMOR__ENVELOPE__BODY_SYNC_END &&
    (int)KP_MSG_RESULT == KAPPARMOR__ENVELOPE__BODY_RESULT &&
    (int)KP_MSG_HEARTBEAT == KAPPARMOR__ENVELOPE__BODY_HEARTBEAT &&
    (int)KP_MSG_HEARTBEAT_ACK == KAPPARMOR__ENVELOPE__BODY_HEARTBEAT_ACK &&
    (int)KP_MSG_LOG == KAPPARMOR__ENVELOPE__BODY_LOG,
    "kp_msg_type must equal the Envelope's oneof field numbers");

static const char *const type_names[KP_MSG__COUNT] = {
	[KP_MSG_NONE] = "none",
	[KP_MSG_HELLO] = "hello",
	[KP_MSG_APPLY] = "apply",
	[KP_MSG_REMOVE] = "remove",
	[KP_MSG_SYNC_BEGIN] = "sync_begin",
	[KP_MSG_SYNC_KEYS] = "sync_keys",
	[KP_MSG_SYNC_END] = "sync_end",
	[KP_MSG_RESULT] = "result",
	[KP_MSG_HEARTBEAT] = "heartbeat",
	[KP_MSG_HEARTBEAT_ACK] = "heartbeat_ack",
	[KP_MSG_LOG] = "log",
};

const char *
kp_msg_type_name(enum kp_msg_type type)
{
	if ((unsigned)type >= (unsigned)KP_MSG__COUNT)
		return "unknown";
	return type_names[type];
}

enum kp_msg_type
kp_msg_type_of(const Kapparmor__Envelope *env)
{
	if (env == NULL)
		return KP_MSG_NONE;
	unsigned c = (unsigned)env->body_case;
	if (c >= (unsigned)KP_MSG__COUNT)
		return KP_MSG_NONE;
	return (enum kp_msg_type)c;
}

/* Names of enum values for logs and metrics: the .proto's names in lower
 * case (tests/proto/test_message.c checks that they stay in step). */
static const char *const role_names[] = {
	[KAPPARMOR__HELLO__ROLE__WATCHER] = "watcher",
	[KAPPARMOR__HELLO__ROLE__LOADER] = "loader",
};

static const char *const op_names[] = {
	[KAPPARMOR__RESULT__OP__APPLY] = "apply",
	[KAPPARMOR__RESULT__OP__REMOVE] = "remove",
	[KAPPARMOR__RESULT__OP__SYNC] = "sync",
};

static const char *const result_status_names[] = {
	[KAPPARMOR__RESULT__STATUS__LOADED] = "loaded",
	[KAPPARMOR__RESULT__STATUS__UNCHANGED] = "unchanged",
	[KAPPARMOR__RESULT__STATUS__REJECTED] = "rejected",
	[KAPPARMOR__RESULT__STATUS__PARSER_FAILED] = "parser_failed",
	[KAPPARMOR__RESULT__STATUS__PARSER_TIMEOUT] = "parser_timeout",
	[KAPPARMOR__RESULT__STATUS__REMOVED] = "removed",
	[KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE] =
	    "removal_deferred_in_use",
	[KAPPARMOR__RESULT__STATUS__WRITE_FAILED] = "write_failed",
	[KAPPARMOR__RESULT__STATUS__NOT_MANAGED] = "not_managed",
	[KAPPARMOR__RESULT__STATUS__REMOVE_FAILED] = "remove_failed",
	[KAPPARMOR__RESULT__STATUS__UNAVAILABLE] = "unavailable",
	[KAPPARMOR__RESULT__STATUS__BACKOFF] = "backoff",
	[KAPPARMOR__RESULT__STATUS__SYNCED] = "synced",
};

static const char *const log_level_names[] = {
	[KAPPARMOR__LOG__LEVEL__DEBUG] = "debug",
	[KAPPARMOR__LOG__LEVEL__INFO] = "info",
	[KAPPARMOR__LOG__LEVEL__WARN] = "warn",
	[KAPPARMOR__LOG__LEVEL__ERROR] = "error",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
table_name(const char *const *table, size_t n, int value)
{
	if (value < 0 || (size_t)value >= n || table[value] == NULL)
		return "unknown";
	return table[value];
}

const char *
kp_msg_role_name(Kapparmor__Hello__Role role)
{
	return table_name(role_names, NELEM(role_names), (int)role);
}

const char *
kp_msg_op_name(Kapparmor__Result__Op op)
{
	return table_name(op_names, NELEM(op_names), (int)op);
}

const char *
kp_msg_result_status_name(Kapparmor__Result__Status status)
{
	return table_name(result_status_names, NELEM(result_status_names),
	    (int)status);
}

const char *
kp_msg_log_level_name(Kapparmor__Log__Level level)
{
	return table_name(log_level_names, NELEM(log_level_names), (int)level);
}

/* ---- receiver state ---- */

int
kp_msg_init_budget(struct kp_msg *m, size_t arena_bytes)
{
	m->type = KP_MSG_NONE;
	m->env = NULL;
	m->frame = malloc(sizeof(*m->frame));
	if (m->frame == NULL)
		return -1;
	if (kp_arena_init(&m->arena, arena_bytes) != 0) {
		int saved = errno;
		free(m->frame);
		m->frame = NULL;
		errno = saved;
		return -1;
	}
	return 0;
}

int
kp_msg_init(struct kp_msg *m)
{
	return kp_msg_init_budget(m, (size_t)KP_MSG_ARENA_BYTES);
}

void
kp_msg_fini(struct kp_msg *m)
{
	m->type = KP_MSG_NONE;
	m->env = NULL;
	kp_arena_fini(&m->arena);
	free(m->frame);
	m->frame = NULL;
}

/* ---- the rules of each message ---- */

static bool
is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* A text field: present when required, at most max bytes, no control
 * characters (a newline would forge a log line).  Bytes >= 0x80 are
 * allowed; logs escape them. */
static enum kp_proto_status
check_text(const char *msg, const char *field, const char *s, bool required,
    size_t max, struct kp_proto_error *err)
{
	char q[KP_PROTO_QUOTE_BUF];

	if (s == NULL) {
		if (!required)
			return KP_PROTO_OK;
		return kp_proto_fail(err, KP_PROTO_MISSING_FIELD,
		    "%s.%s: required field missing", msg, field);
	}
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return kp_proto_fail(err, KP_PROTO_FIELD_TOO_LARGE,
		    "%s.%s: longer than %zu bytes", msg, field, max);
	for (size_t i = 0; i < n; i++) {
		if (is_control((unsigned char)s[i]))
			return kp_proto_fail(err, KP_PROTO_BAD_TEXT,
			    "%s.%s: control character in \"%s\"", msg, field,
			    kp_proto_quote(q, s, n));
	}
	return KP_PROTO_OK;
}

/* A short identifier: 1..max bytes of [a-z0-9] and the one separator. */
static enum kp_proto_status
check_ident(const char *msg, const char *field, const char *s, char sep,
    size_t max, struct kp_proto_error *err)
{
	char q[KP_PROTO_QUOTE_BUF];

	if (s == NULL)
		return kp_proto_fail(err, KP_PROTO_MISSING_FIELD,
		    "%s.%s: required field missing", msg, field);
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return kp_proto_fail(err, KP_PROTO_FIELD_TOO_LARGE,
		    "%s.%s: longer than %zu bytes", msg, field, max);
	bool ok = n > 0;
	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];
		ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == sep;
	}
	if (!ok)
		return kp_proto_fail(err, KP_PROTO_BAD_TEXT,
		    "%s.%s: \"%s\" is not [a-z0-9%c]+", msg, field,
		    kp_proto_quote(q, s, n), sep);
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_key(const char *msg, const char *field, const char *key,
    struct kp_proto_error *err)
{
	char q[KP_PROTO_QUOTE_BUF];

	if (key == NULL)
		return kp_proto_fail(err, KP_PROTO_MISSING_FIELD,
		    "%s.%s: required field missing", msg, field);
	/* Strings reaching here have no embedded NUL (the wire scan refuses
	 * them), so strlen is the length that was sent. */
	size_t n = strnlen(key, KP_KEY_MAX_LEN + 1);
	if (!kp_key_is_valid(key, n))
		return kp_proto_fail(err, KP_PROTO_BAD_KEY,
		    "%s.%s: \"%s\" is not a valid key", msg, field,
		    kp_proto_quote(q, key, strlen(key)));
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_enum(const char *msg, const char *field,
    const ProtobufCEnumDescriptor *desc, int value,
    struct kp_proto_error *err)
{
	if (protobuf_c_enum_descriptor_get_value(desc, value) == NULL)
		return kp_proto_fail(err, KP_PROTO_BAD_ENUM,
		    "%s.%s: %d is not a %s", msg, field, value,
		    desc->short_name);
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_generation(const char *msg, uint64_t generation,
    struct kp_proto_error *err)
{
	if (generation == 0)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "%s.generation: must not be 0", msg);
	return KP_PROTO_OK;
}

#define TRY(expr) do { \
		enum kp_proto_status try_st_ = (expr); \
		if (try_st_ != KP_PROTO_OK) \
			return try_st_; \
	} while (0)

static enum kp_proto_status
check_hello(const Kapparmor__Hello *m, struct kp_proto_error *err)
{
	if (m->protocol_version == 0)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "Hello.protocol_version: must not be 0");
	TRY(check_enum("Hello", "role", &kapparmor__hello__role__descriptor,
	    (int)m->role, err));
	return check_text("Hello", "software_version", m->software_version,
	    false, KP_PROTO_SOFTWARE_VERSION_MAX, err);
}

static enum kp_proto_status
check_apply(const Kapparmor__Apply *m, struct kp_proto_error *err)
{
	TRY(check_key("Apply", "key", m->key, err));
	if (m->content.len > (size_t)KP_PROFILE_MAX_BYTES)
		return kp_proto_fail(err, KP_PROTO_FIELD_TOO_LARGE,
		    "Apply.content: %zu bytes exceeds %d", m->content.len,
		    KP_PROFILE_MAX_BYTES);
	if (m->content.len > 0 && m->content.data == NULL)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "Apply.content: no data");
	if (m->has_sha256 && (m->sha256.len != KP_PROTO_SHA256_LEN ||
	    m->sha256.data == NULL))
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "Apply.sha256: %zu bytes, not %d", m->sha256.len,
		    KP_PROTO_SHA256_LEN);
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_remove(const Kapparmor__Remove *m, struct kp_proto_error *err)
{
	return check_key("Remove", "key", m->key, err);
}

static enum kp_proto_status
check_sync_begin(const Kapparmor__SyncBegin *m, struct kp_proto_error *err)
{
	return check_generation("SyncBegin", m->generation, err);
}

static enum kp_proto_status
check_sync_keys(const Kapparmor__SyncKeys *m, struct kp_proto_error *err)
{
	TRY(check_generation("SyncKeys", m->generation, err));
	if (m->n_keys == 0)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "SyncKeys.keys: empty chunk");
	if (m->n_keys > KP_PROTO_SYNC_CHUNK_KEYS)
		return kp_proto_fail(err, KP_PROTO_TOO_MANY_VALUES,
		    "SyncKeys.keys: %zu keys exceeds %d", m->n_keys,
		    KP_PROTO_SYNC_CHUNK_KEYS);
	if (m->keys == NULL)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "SyncKeys.keys: no array");
	for (size_t i = 0; i < m->n_keys; i++)
		TRY(check_key("SyncKeys", "keys", m->keys[i], err));
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_sync_end(const Kapparmor__SyncEnd *m, struct kp_proto_error *err)
{
	TRY(check_generation("SyncEnd", m->generation, err));
	if (m->total_keys > KP_PROTO_SYNC_TOTAL_KEYS)
		return kp_proto_fail(err, KP_PROTO_TOO_MANY_VALUES,
		    "SyncEnd.total_keys: %" PRIu32 " exceeds %d",
		    m->total_keys, KP_PROTO_SYNC_TOTAL_KEYS);
	return KP_PROTO_OK;
}

static enum kp_proto_status
check_result(const Kapparmor__Result *m, struct kp_proto_error *err)
{
	TRY(check_enum("Result", "op", &kapparmor__result__op__descriptor,
	    (int)m->op, err));
	TRY(check_enum("Result", "status",
	    &kapparmor__result__status__descriptor, (int)m->status, err));
	if (m->op == KAPPARMOR__RESULT__OP__SYNC) {
		if (m->key != NULL)
			return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
			    "Result.key: not allowed with op sync");
		if (!m->has_generation)
			return kp_proto_fail(err, KP_PROTO_MISSING_FIELD,
			    "Result.generation: required with op sync");
		TRY(check_generation("Result", m->generation, err));
	} else {
		TRY(check_key("Result", "key", m->key, err));
		if (m->has_generation)
			return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
			    "Result.generation: only allowed with op sync");
	}
	if (m->reason != NULL)
		TRY(check_ident("Result", "reason", m->reason, '-',
		    KP_PROTO_REASON_MAX, err));
	if (m->has_duration_ms && m->op != KAPPARMOR__RESULT__OP__APPLY)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "Result.duration_ms: only allowed with op apply");
	if (m->has_duration_ms && m->duration_ms > KP_PROTO_DURATION_MAX_MS)
		return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
		    "Result.duration_ms: above %u", KP_PROTO_DURATION_MAX_MS);
	if (m->parser_version != NULL) {
		if (m->op != KAPPARMOR__RESULT__OP__SYNC)
			return kp_proto_fail(err, KP_PROTO_BAD_VALUE,
			    "Result.parser_version: only allowed with op sync");
		TRY(check_text("Result", "parser_version", m->parser_version,
		    false, KP_PROTO_PARSER_VERSION_MAX, err));
	}
	return check_text("Result", "message", m->message, false,
	    KP_PROTO_TEXT_MAX, err);
}

static enum kp_proto_status
check_log(const Kapparmor__Log *m, struct kp_proto_error *err)
{
	TRY(check_enum("Log", "level", &kapparmor__log__level__descriptor,
	    (int)m->level, err));
	TRY(check_ident("Log", "event", m->event, '_', KP_PROTO_EVENT_MAX,
	    err));
	TRY(check_text("Log", "key", m->key, false, KP_PROTO_LOG_KEY_MAX,
	    err));
	return check_text("Log", "msg", m->msg, true, KP_PROTO_TEXT_MAX, err);
}

enum kp_proto_status
kp_msg_check(const Kapparmor__Envelope *env, struct kp_proto_error *err)
{
	const void *body = NULL;

	if (env == NULL)
		return kp_proto_fail(err, KP_PROTO_NO_BODY, "no message");
	enum kp_msg_type type = kp_msg_type_of(env);
	switch (type) {
	case KP_MSG_HELLO:
		body = env->hello;
		break;
	case KP_MSG_APPLY:
		body = env->apply;
		break;
	case KP_MSG_REMOVE:
		body = env->remove;
		break;
	case KP_MSG_SYNC_BEGIN:
		body = env->sync_begin;
		break;
	case KP_MSG_SYNC_KEYS:
		body = env->sync_keys;
		break;
	case KP_MSG_SYNC_END:
		body = env->sync_end;
		break;
	case KP_MSG_RESULT:
		body = env->result;
		break;
	case KP_MSG_HEARTBEAT:
		body = env->heartbeat;
		break;
	case KP_MSG_HEARTBEAT_ACK:
		body = env->heartbeat_ack;
		break;
	case KP_MSG_LOG:
		body = env->log;
		break;
	case KP_MSG_NONE:
	case KP_MSG__COUNT:
		break;
	}
	if (body == NULL)
		return kp_proto_fail(err, KP_PROTO_NO_BODY,
		    "Envelope: no message body (case %d)",
		    (int)env->body_case);
	if (env->base.n_unknown_fields != 0)
		return kp_proto_fail(err, KP_PROTO_UNKNOWN_FIELD,
		    "Envelope: %u unknown fields", env->base.n_unknown_fields);

	switch (type) {
	case KP_MSG_HELLO:
		return check_hello(env->hello, err);
	case KP_MSG_APPLY:
		return check_apply(env->apply, err);
	case KP_MSG_REMOVE:
		return check_remove(env->remove, err);
	case KP_MSG_SYNC_BEGIN:
		return check_sync_begin(env->sync_begin, err);
	case KP_MSG_SYNC_KEYS:
		return check_sync_keys(env->sync_keys, err);
	case KP_MSG_SYNC_END:
		return check_sync_end(env->sync_end, err);
	case KP_MSG_RESULT:
		return check_result(env->result, err);
	case KP_MSG_HEARTBEAT:
	case KP_MSG_HEARTBEAT_ACK:
		/* Any sequence number: the sender chooses. */
		return KP_PROTO_OK;
	case KP_MSG_LOG:
		return check_log(env->log, err);
	case KP_MSG_NONE:
	case KP_MSG__COUNT:
		break;
	}
	return kp_proto_fail(err, KP_PROTO_NO_BODY, "Envelope: no body");
}

enum kp_proto_status
kp_msg_check_hello(const Kapparmor__Hello *hello,
    Kapparmor__Hello__Role expected_role, struct kp_proto_error *err)
{
	if (hello->protocol_version != KP_PROTOCOL_VERSION)
		return kp_proto_fail(err, KP_PROTO_VERSION_MISMATCH,
		    "peer speaks protocol version %" PRIu32 ", this is %d",
		    hello->protocol_version, KP_PROTOCOL_VERSION);
	if (hello->role != expected_role)
		return kp_proto_fail(err, KP_PROTO_ROLE_MISMATCH,
		    "peer says it is the %s, expected the %s",
		    kp_msg_role_name(hello->role),
		    kp_msg_role_name(expected_role));
	return KP_PROTO_OK;
}

/* ---- decoding ---- */

enum kp_proto_status
kp_msg_decode(struct kp_msg *m, const uint8_t *payload, size_t len,
    struct kp_proto_error *err)
{
	m->env = NULL;
	m->type = KP_MSG_NONE;
	kp_arena_reset(&m->arena);

	if (len == 0)
		return kp_proto_fail(err, KP_PROTO_FRAME_EMPTY,
		    "empty payload");
	if (len > KP_FRAME_PAYLOAD_MAX)
		return kp_proto_fail(err, KP_PROTO_FRAME_TOO_LARGE,
		    "payload of %zu bytes exceeds %d", len,
		    KP_FRAME_PAYLOAD_MAX);
	TRY(kp_wire_scan(&kapparmor__envelope__descriptor, payload, len,
	    err));

	Kapparmor__Envelope *env = kapparmor__envelope__unpack(
	    &m->arena.allocator, len, payload);
	if (env == NULL) {
		if (m->arena.exhausted)
			return kp_proto_fail(err, KP_PROTO_ALLOC_BUDGET,
			    "decoding needs more than the %zu-byte budget",
			    m->arena.cap);
		return kp_proto_fail(err, KP_PROTO_UNPACK_FAILED,
		    "protobuf-c could not unpack the message");
	}
	TRY(kp_msg_check(env, err));
	m->env = env;
	m->type = kp_msg_type_of(env);
	return KP_PROTO_OK;
}

enum kp_proto_status
kp_msg_recv(int fd, struct kp_msg *m, struct kp_proto_error *err)
{
	const uint8_t *payload;
	size_t len;

	m->env = NULL;
	m->type = KP_MSG_NONE;
	TRY(kp_frame_recv(fd, m->frame, &payload, &len, err));
	return kp_msg_decode(m, payload, len, err);
}

/* ---- sending ---- */

enum kp_proto_status
kp_msg_send(int fd, const Kapparmor__Envelope *env,
    struct kp_proto_error *err)
{
	TRY(kp_msg_check(env, err));

	size_t len = protobuf_c_message_get_packed_size(&env->base);
	if (len == 0)
		return kp_proto_fail(err, KP_PROTO_FRAME_EMPTY,
		    "message packs to nothing");
	if (len > KP_FRAME_PAYLOAD_MAX)
		return kp_proto_fail(err, KP_PROTO_FRAME_TOO_LARGE,
		    "message packs to %zu bytes, over %d", len,
		    KP_FRAME_PAYLOAD_MAX);
	uint8_t *buf = malloc(len);
	if (buf == NULL)
		return kp_proto_fail(err, KP_PROTO_NO_MEMORY,
		    "no memory for a %zu-byte message", len);
	size_t packed = protobuf_c_message_pack(&env->base, buf);
	enum kp_proto_status st;
	if (packed != len)
		st = kp_proto_fail(err, KP_PROTO_IO_ERROR,
		    "packed %zu bytes, expected %zu", packed, len);
	else
		st = kp_frame_send_payload(fd, buf, len, err);
	int saved = errno;
	free(buf);
	errno = saved;
	return st;
}

enum kp_proto_status
kp_msg_send_hello(int fd, Kapparmor__Hello__Role role,
    struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Hello hello = KAPPARMOR__HELLO__INIT;

	hello.protocol_version = KP_PROTOCOL_VERSION;
	hello.role = role;
	hello.software_version = (char *)KP_VERSION;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_HELLO;
	env.hello = &hello;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_apply(int fd, const char *key, const uint8_t *content,
    size_t len, const uint8_t *sha256, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Apply apply = KAPPARMOR__APPLY__INIT;

	/* protobuf-c's structs are not const-correct; nothing is written. */
	apply.key = (char *)key;
	apply.content.data = (uint8_t *)content;
	apply.content.len = len;
	if (sha256 != NULL) {
		apply.has_sha256 = 1;
		apply.sha256.data = (uint8_t *)sha256;
		apply.sha256.len = KP_PROTO_SHA256_LEN;
	}
	env.body_case = KAPPARMOR__ENVELOPE__BODY_APPLY;
	env.apply = &apply;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_remove(int fd, const char *key, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Remove remove = KAPPARMOR__REMOVE__INIT;

	remove.key = (char *)key;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_REMOVE;
	env.remove = &remove;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_sync_begin(int fd, uint64_t generation,
    struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__SyncBegin begin = KAPPARMOR__SYNC_BEGIN__INIT;

	begin.generation = generation;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_SYNC_BEGIN;
	env.sync_begin = &begin;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_sync_keys(int fd, uint64_t generation, const char *const *keys,
    size_t nkeys, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__SyncKeys chunk = KAPPARMOR__SYNC_KEYS__INIT;

	chunk.generation = generation;
	chunk.n_keys = nkeys;
	chunk.keys = (char **)keys;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_SYNC_KEYS;
	env.sync_keys = &chunk;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_sync_end(int fd, uint64_t generation, uint32_t total_keys,
    struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__SyncEnd end = KAPPARMOR__SYNC_END__INIT;

	end.generation = generation;
	end.total_keys = total_keys;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_SYNC_END;
	env.sync_end = &end;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_sync(int fd, uint64_t generation, const char *const *keys,
    size_t nkeys, struct kp_proto_error *err)
{
	/* Checked before the first frame so that a refused sync sends
	 * nothing at all. */
	if (nkeys > KP_PROTO_SYNC_TOTAL_KEYS)
		return kp_proto_fail(err, KP_PROTO_TOO_MANY_VALUES,
		    "sync of %zu keys exceeds %d", nkeys,
		    KP_PROTO_SYNC_TOTAL_KEYS);
	TRY(kp_msg_send_sync_begin(fd, generation, err));
	for (size_t off = 0; off < nkeys; off += KP_PROTO_SYNC_CHUNK_KEYS) {
		size_t n = nkeys - off;
		if (n > KP_PROTO_SYNC_CHUNK_KEYS)
			n = KP_PROTO_SYNC_CHUNK_KEYS;
		TRY(kp_msg_send_sync_keys(fd, generation, keys + off, n, err));
	}
	return kp_msg_send_sync_end(fd, generation, (uint32_t)nkeys, err);
}

enum kp_proto_status
kp_msg_send_heartbeat(int fd, uint64_t seq, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Heartbeat hb = KAPPARMOR__HEARTBEAT__INIT;

	hb.seq = seq;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_heartbeat_ack(int fd, uint64_t seq, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__HeartbeatAck ack = KAPPARMOR__HEARTBEAT_ACK__INIT;

	ack.seq = seq;
	env.body_case = KAPPARMOR__ENVELOPE__BODY_HEARTBEAT_ACK;
	env.heartbeat_ack = &ack;
	return kp_msg_send(fd, &env, err);
}

char *
kp_msg_text_copy(char *dst, size_t dst_size, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < dst_size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (char)(is_control(c) ? ' ' : c);
	}
	dst[i] = '\0';
	return dst;
}

enum kp_proto_status
kp_msg_send_result(int fd, const struct kp_msg_result *r,
    struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Result res = KAPPARMOR__RESULT__INIT;
	char message[KP_PROTO_TEXT_MAX + 1] = "";  /* see kp_msg_send_log() */

	res.op = r->op;
	res.key = (char *)r->key;
	res.status = r->status;
	res.reason = (char *)r->reason;
	if (r->message != NULL)
		res.message = kp_msg_text_copy(message, sizeof(message),
		    r->message);
	char version[KP_PROTO_PARSER_VERSION_MAX + 1] = "";

	if (r->op == KAPPARMOR__RESULT__OP__SYNC) {
		res.has_generation = 1;
		res.generation = r->generation;
		if (r->parser_version != NULL)
			res.parser_version = kp_msg_text_copy(version,
			    sizeof(version), r->parser_version);
	}
	if (r->op == KAPPARMOR__RESULT__OP__APPLY && r->has_duration) {
		res.has_duration_ms = 1;
		res.duration_ms = r->duration_ms > KP_PROTO_DURATION_MAX_MS ?
		    KP_PROTO_DURATION_MAX_MS : r->duration_ms;
	}
	env.body_case = KAPPARMOR__ENVELOPE__BODY_RESULT;
	env.result = &res;
	return kp_msg_send(fd, &env, err);
}

enum kp_proto_status
kp_msg_send_log(int fd, Kapparmor__Log__Level level, const char *event,
    const char *key, const char *msg, struct kp_proto_error *err)
{
	Kapparmor__Envelope env = KAPPARMOR__ENVELOPE__INIT;
	Kapparmor__Log log = KAPPARMOR__LOG__INIT;
	/* zeroed: kp_msg_check()'s strnlen() stops at the copy's NUL, but the
	 * analyzer does not follow that and sees the bytes after it read */
	char keybuf[KP_PROTO_LOG_KEY_MAX + 1] = "";
	char msgbuf[KP_PROTO_TEXT_MAX + 1] = "";

	log.level = level;
	log.event = (char *)event;
	if (key != NULL)
		log.key = kp_msg_text_copy(keybuf, sizeof(keybuf), key);
	log.msg = kp_msg_text_copy(msgbuf, sizeof(msgbuf),
	    msg != NULL ? msg : "");
	env.body_case = KAPPARMOR__ENVELOPE__BODY_LOG;
	env.log = &log;
	return kp_msg_send(fd, &env, err);
}
