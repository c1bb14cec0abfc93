/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Limits of the watcher <-> loader protocol.  Every field of every message
 * has a bound here; kp_msg_decode() enforces them all, and the frame size is
 * derived from them so that no datagram is ever sized by the peer.
 */
#ifndef KP_PROTO_LIMITS_H
#define KP_PROTO_LIMITS_H

#include "common/limits.h"

/* Bumped whenever a message or field is added: unknown fields are a
 * protocol violation, so both ends must speak exactly the same version. */
#define KP_PROTOCOL_VERSION            2

/* Keys in one SyncKeys message, and in one whole sync (SyncEnd.total_keys).
 * 256 keys of KP_KEY_MAX_LEN encode to about 18 KiB: well under a frame. */
#define KP_PROTO_SYNC_CHUNK_KEYS       256
#define KP_PROTO_SYNC_TOTAL_KEYS       KP_KEYS_MAX

/* Free text: Result.message and Log.msg.  The loader truncates parser
 * output to this before sending. */
#define KP_PROTO_TEXT_MAX              512
/* Result.reason: a stable reason code from common/reason.h. */
#define KP_PROTO_REASON_MAX            64
/* Log.event: a short stable identifier. */
#define KP_PROTO_EVENT_MAX             64
/* Log.key: may be an invalid key being reported, so bounded like a file
 * name rather than by the key rule. */
#define KP_PROTO_LOG_KEY_MAX           255
/* Hello.software_version. */
#define KP_PROTO_SOFTWARE_VERSION_MAX  64
/* Result.duration_ms: the loader kills the parser after at most 600 s. */
#define KP_PROTO_DURATION_MAX_MS       (3600u * 1000u)
/* Result.parser_version. */
#define KP_PROTO_PARSER_VERSION_MAX    64
/* Apply.sha256. */
#define KP_PROTO_SHA256_LEN            32

/*
 * Framing.  A frame is a 4-byte big-endian payload length followed by one
 * packed Envelope, in exactly one SOCK_SEQPACKET datagram.
 *
 * The largest legal Envelope is an Apply with KP_PROFILE_MAX_BYTES of
 * content, a KP_KEY_MAX_LEN key and a sha256: 114 bytes of tags, lengths,
 * key and digest besides the content.  The next largest is a full SyncKeys
 * chunk (about 18.5 KiB).  KP_FRAME_OVERHEAD_MAX leaves a wide margin over
 * the 114 bytes; tests/proto/test_limits.c packs the largest legal message
 * of every type and checks that it fits.
 */
#define KP_FRAME_PREFIX_LEN            4
#define KP_FRAME_OVERHEAD_MAX          1024
#define KP_FRAME_PAYLOAD_MAX           (KP_PROFILE_MAX_BYTES + KP_FRAME_OVERHEAD_MAX)
#define KP_FRAME_MAX                   (KP_FRAME_PREFIX_LEN + KP_FRAME_PAYLOAD_MAX)
/* One more byte than the largest frame, so that even without MSG_TRUNC an
 * oversize datagram is visible as a read that filled the buffer. */
#define KP_FRAME_RECV_BUF              (KP_FRAME_MAX + 1)

/* Budget of the per-message allocator used while unpacking: protobuf-c
 * copies every string and bytes field, plus a few small structs, so twice
 * the frame is ample for any legal message and bounds any other. */
#define KP_MSG_ARENA_BYTES             (2 * KP_FRAME_MAX)

/* Nesting of messages on the wire: Envelope -> body. */
#define KP_WIRE_DEPTH_MAX              2
/* Fields of one message descriptor the wire scanner can track. */
#define KP_WIRE_FIELDS_MAX             16

/* One line describing a failure, for the log. */
#define KP_PROTO_DETAIL_MAX            160
/* Bytes of an offending token quoted in a detail line. */
#define KP_PROTO_QUOTE_MAX             40

#endif /* KP_PROTO_LIMITS_H */
