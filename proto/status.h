/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outcomes of sending, receiving and decoding protocol messages.
 *
 * Everything from KP_PROTO_DGRAM_TRUNCATED on is a protocol violation: the
 * peer sent something this protocol never produces.  The loader treats each
 * one as fatal (log, close the socket, exit non-zero); the string form names
 * the class in that log line and is stable.
 */
#ifndef KP_PROTO_STATUS_H
#define KP_PROTO_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/proto_limits.h"

#define KP_PROTO_STATUSES(X)                                               \
	X(OK,                    "ok")                                     \
	/* not violations */                                               \
	X(PEER_CLOSED,           "peer-closed")                            \
	X(AGAIN,                 "again")                                  \
	X(IO_ERROR,              "io-error")                               \
	X(NO_MEMORY,             "no-memory")                              \
	/* violations: the datagram and its length prefix */               \
	X(DGRAM_TRUNCATED,       "datagram-truncated")                     \
	X(DGRAM_EMPTY,           "datagram-empty")                         \
	X(DGRAM_SHORT,           "datagram-short")                         \
	X(FRAME_EMPTY,           "frame-empty")                            \
	X(FRAME_TOO_LARGE,       "frame-too-large")                        \
	X(FRAME_LENGTH_MISMATCH, "frame-length-mismatch")                  \
	X(ANCILLARY,             "ancillary-data")                         \
	/* violations: the protobuf encoding */                            \
	X(WIRE_MALFORMED,        "wire-malformed")                         \
	X(WIRE_TYPE,             "wire-type")                              \
	X(UNKNOWN_FIELD,         "unknown-field")                          \
	X(DUPLICATE_FIELD,       "duplicate-field")                        \
	X(MULTIPLE_BODIES,       "multiple-bodies")                        \
	X(MISSING_FIELD,         "missing-field")                          \
	X(INT_RANGE,             "int-range")                              \
	X(ALLOC_BUDGET,          "alloc-budget")                           \
	X(UNPACK_FAILED,         "unpack-failed")                          \
	/* violations: the rules of each message */                        \
	X(NO_BODY,               "no-body")                                \
	X(BAD_KEY,               "bad-key")                                \
	X(FIELD_TOO_LARGE,       "field-too-large")                        \
	X(BAD_ENUM,              "bad-enum")                               \
	X(BAD_TEXT,              "bad-text")                               \
	X(BAD_VALUE,             "bad-value")                              \
	X(TOO_MANY_VALUES,       "too-many-values")                        \
	X(VERSION_MISMATCH,      "version-mismatch")                       \
	X(ROLE_MISMATCH,         "role-mismatch")

enum kp_proto_status {
#define KP_PROTO_STATUS_ENUM(name, str) KP_PROTO_##name,
	KP_PROTO_STATUSES(KP_PROTO_STATUS_ENUM)
#undef KP_PROTO_STATUS_ENUM
	KP_PROTO__COUNT
};

#define KP_PROTO_FIRST_VIOLATION KP_PROTO_DGRAM_TRUNCATED

/* What went wrong, in one line: the status and a detail that names the
 * message and field and quotes at most KP_PROTO_QUOTE_MAX bytes of the
 * offending value (escaped).  errno is kept for KP_PROTO_IO_ERROR. */
struct kp_proto_error {
	enum kp_proto_status status;
	char detail[KP_PROTO_DETAIL_MAX];
};

/* The stable string form ("frame-too-large"); "unknown" when out of range. */
const char *kp_proto_status_name(enum kp_proto_status status);

/* True for every status that means the peer broke the protocol. */
bool kp_proto_status_is_violation(enum kp_proto_status status);

/* Record status and a formatted detail in err (which may be NULL) and
 * return status, so that callers can write `return kp_proto_fail(...)`. */
enum kp_proto_status kp_proto_fail(struct kp_proto_error *err,
    enum kp_proto_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write at most KP_PROTO_QUOTE_MAX bytes of s (len bytes) into dst as a
 * printable ASCII token: other bytes become \xHH, and "..." marks a cut.
 * dst must hold at least KP_PROTO_QUOTE_BUF bytes. */
#define KP_PROTO_QUOTE_BUF (4 * KP_PROTO_QUOTE_MAX + 4)
const char *kp_proto_quote(char *dst, const void *s, size_t len);

#endif /* KP_PROTO_STATUS_H */
