/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Messages of the watcher <-> loader protocol (proto/kapparmor.proto):
 * their types and names, decoding with every rule checked, and sending.
 *
 * Receiving is kp_msg_recv(): one datagram, framing checked
 * (proto/frame.h), then kp_msg_decode(): a strict scan of the encoding
 * (proto/wire.h), protobuf-c's unpack into a fixed-budget arena
 * (proto/arena.h), then kp_msg_check(), the rules of each message.  Any
 * status for which kp_proto_status_is_violation() is true means the peer
 * broke the protocol.  Which message is allowed in which state is the
 * receiver's business (the loader's dispatch table keyed by kp_msg_type);
 * the one state-free rule, the Hello version, is kp_msg_check_hello().
 *
 * Nothing here allocates per message: a struct kp_msg owns its receive
 * buffer and arena, allocated once by kp_msg_init().
 */
#ifndef KP_PROTO_MESSAGE_H
#define KP_PROTO_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/arena.h"
#include "proto/frame.h"
#include "proto/kapparmor.pb-c.h"
#include "proto/proto_limits.h"
#include "proto/status.h"

/* The message type: the number of the Envelope's oneof member, so that a
 * dispatch table can be indexed by it directly. */
enum kp_msg_type {
	KP_MSG_NONE = 0,
	KP_MSG_HELLO = 1,
	KP_MSG_APPLY = 2,
	KP_MSG_REMOVE = 3,
	KP_MSG_SYNC_BEGIN = 4,
	KP_MSG_SYNC_KEYS = 5,
	KP_MSG_SYNC_END = 6,
	KP_MSG_RESULT = 7,
	KP_MSG_HEARTBEAT = 8,
	KP_MSG_HEARTBEAT_ACK = 9,
	KP_MSG_LOG = 10,
	KP_MSG__COUNT
};

/* "hello", "apply", "sync_keys"...; "unknown" out of range, "none" for
 * KP_MSG_NONE. */
const char *kp_msg_type_name(enum kp_msg_type type);
/* KP_MSG_NONE for NULL, no body, or a case this build does not know. */
enum kp_msg_type kp_msg_type_of(const Kapparmor__Envelope *env);

/* Lower-case names of enum values for logs and metrics ("loaded",
 * "removal_deferred_in_use"); "unknown" for a value not in the .proto. */
const char *kp_msg_role_name(Kapparmor__Hello__Role role);
const char *kp_msg_op_name(Kapparmor__Result__Op op);
const char *kp_msg_result_status_name(Kapparmor__Result__Status status);
const char *kp_msg_log_level_name(Kapparmor__Log__Level level);

/* One receiver's state: the last decoded message and its memory. */
struct kp_msg {
	enum kp_msg_type type;      /* of env; KP_MSG_NONE until decoded */
	Kapparmor__Envelope *env;   /* valid until the next decode or fini */
	struct kp_frame_buf *frame; /* receive buffer, KP_FRAME_RECV_BUF */
	struct kp_arena arena;      /* KP_MSG_ARENA_BYTES unless set */
};

/* Allocate the buffer and arena.  Returns 0, or -1 with errno set. */
int kp_msg_init(struct kp_msg *m);
/* The same with another arena budget (tests of the budget). */
int kp_msg_init_budget(struct kp_msg *m, size_t arena_bytes);
void kp_msg_fini(struct kp_msg *m);

/*
 * Decode payload (the bytes after the length prefix) into m: scan, unpack,
 * check.  On KP_PROTO_OK m->env and m->type are set; on any other status
 * m->env is NULL and err says why.  The previous message in m is released.
 */
enum kp_proto_status kp_msg_decode(struct kp_msg *m, const uint8_t *payload,
    size_t len, struct kp_proto_error *err);

/* kp_frame_recv() into m->frame, then kp_msg_decode(). */
enum kp_proto_status kp_msg_recv(int fd, struct kp_msg *m,
    struct kp_proto_error *err);

/*
 * The rules of each message, on a decoded or a locally built Envelope:
 * exactly one known body; every required field present; keys by
 * kp_key_is_valid(); content at most KP_PROFILE_MAX_BYTES; sha256 exactly
 * 32 bytes; enums within the .proto; generations non-zero; 1 to
 * KP_PROTO_SYNC_CHUNK_KEYS keys per SyncKeys and at most
 * KP_PROTO_SYNC_TOTAL_KEYS in SyncEnd; Result.key exactly for ops APPLY and
 * REMOVE and Result.generation exactly for SYNC; text within its limit and
 * free of control characters; Log.event [a-z0-9_]+; Result.reason
 * [a-z0-9-]+.  Duplicate keys across one sync can only be seen by the
 * receiver, which must refuse them.
 */
enum kp_proto_status kp_msg_check(const Kapparmor__Envelope *env,
    struct kp_proto_error *err);

/* The peer's Hello: VERSION_MISMATCH unless protocol_version is
 * KP_PROTOCOL_VERSION, ROLE_MISMATCH unless role is expected_role.  Both are
 * fatal: there is no negotiation. */
enum kp_proto_status kp_msg_check_hello(const Kapparmor__Hello *hello,
    Kapparmor__Hello__Role expected_role, struct kp_proto_error *err);

/*
 * Send env as one frame after kp_msg_check(): a message that breaks the
 * rules is never sent (its check status is returned: a bug of the sender).
 * Otherwise as kp_frame_send_payload(), plus NO_MEMORY.
 */
enum kp_proto_status kp_msg_send(int fd, const Kapparmor__Envelope *env,
    struct kp_proto_error *err);

/* Builders over kp_msg_send() for each message. */
enum kp_proto_status kp_msg_send_hello(int fd, Kapparmor__Hello__Role role,
    struct kp_proto_error *err);
/* sha256 is NULL or KP_PROTO_SHA256_LEN bytes. */
enum kp_proto_status kp_msg_send_apply(int fd, const char *key,
    const uint8_t *content, size_t len, const uint8_t *sha256,
    struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_remove(int fd, const char *key,
    struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_sync_begin(int fd, uint64_t generation,
    struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_sync_keys(int fd, uint64_t generation,
    const char *const *keys, size_t nkeys, struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_sync_end(int fd, uint64_t generation,
    uint32_t total_keys, struct kp_proto_error *err);
/* A whole sync: SyncBegin, the keys in chunks of KP_PROTO_SYNC_CHUNK_KEYS,
 * SyncEnd.  For a blocking socket (AGAIN midway leaves a partial sync). */
enum kp_proto_status kp_msg_send_sync(int fd, uint64_t generation,
    const char *const *keys, size_t nkeys, struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_heartbeat(int fd, uint64_t seq,
    struct kp_proto_error *err);
enum kp_proto_status kp_msg_send_heartbeat_ack(int fd, uint64_t seq,
    struct kp_proto_error *err);

/* A Result.  key is NULL for op SYNC; generation is used only for SYNC.
 * reason and message may be NULL.  message is cleaned like
 * kp_msg_text_copy() first, so parser output can be passed as it is.
 * duration_ms (when has_duration) is sent only with APPLY, parser_version
 * (may be NULL, cleaned like message) only with SYNC. */
struct kp_msg_result {
	Kapparmor__Result__Op op;
	const char *key;
	Kapparmor__Result__Status status;
	const char *reason;
	const char *message;
	uint64_t generation;
	bool has_duration;
	uint32_t duration_ms;
	const char *parser_version;
};
enum kp_proto_status kp_msg_send_result(int fd,
    const struct kp_msg_result *result, struct kp_proto_error *err);

/* A Log line.  key may be NULL; key and msg are cleaned like
 * kp_msg_text_copy() first. */
enum kp_proto_status kp_msg_send_log(int fd, Kapparmor__Log__Level level,
    const char *event, const char *key, const char *msg,
    struct kp_proto_error *err);

/* Copy src into dst (dst_size bytes, at least 1) so that it is a legal
 * text field: control characters become spaces, and it is cut to
 * dst_size - 1 bytes.  Returns dst. */
char *kp_msg_text_copy(char *dst, size_t dst_size, const char *src);

#endif /* KP_PROTO_MESSAGE_H */
