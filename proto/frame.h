/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Framing on the watcher <-> loader socketpair (AF_UNIX, SOCK_SEQPACKET).
 *
 * One frame is one datagram: a 4-byte big-endian payload length, then the
 * payload (a packed kapparmor.Envelope).  The length is redundant with the
 * datagram's size on purpose: a frame whose prefix and size disagree is
 * evidence of a bug or a hostile peer, and is refused.
 *
 * The receive buffer is fixed (KP_FRAME_RECV_BUF bytes), never sized from
 * anything the peer sends, and no ancillary data is accepted: this channel
 * never carries file descriptors.
 */
#ifndef KP_PROTO_FRAME_H
#define KP_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto_limits.h"
#include "proto/status.h"

struct kp_frame_buf {
	uint8_t bytes[KP_FRAME_RECV_BUF];
};

/*
 * Check one received datagram of len bytes (its real size: larger than
 * KP_FRAME_MAX means it was truncated on receive).  On KP_PROTO_OK,
 * *payload and *payload_len point into dgram.  Every failure is a distinct
 * violation: DGRAM_TRUNCATED, DGRAM_EMPTY, DGRAM_SHORT, FRAME_EMPTY,
 * FRAME_TOO_LARGE, FRAME_LENGTH_MISMATCH.  No I/O: the fuzz target and the
 * tests call it on plain buffers.
 */
enum kp_proto_status kp_frame_parse(const uint8_t *dgram, size_t len,
    const uint8_t **payload, size_t *payload_len, struct kp_proto_error *err);

/*
 * Receive one datagram from fd into buf and parse it.  Returns
 * PEER_CLOSED on end of file (on SOCK_SEQPACKET a zero-length datagram
 * reads exactly like the peer closing, and both end the session), AGAIN
 * when a non-blocking socket has nothing queued, IO_ERROR with errno set,
 * ANCILLARY when the peer attached any control message (file descriptors
 * are never installed in this process: no control buffer is offered, so
 * the kernel discards them and reports MSG_CTRUNC), DGRAM_TRUNCATED when the
 * datagram is larger than KP_FRAME_MAX, or kp_frame_parse()'s result.
 * EINTR is retried.
 */
enum kp_proto_status kp_frame_recv(int fd, struct kp_frame_buf *buf,
    const uint8_t **payload, size_t *payload_len, struct kp_proto_error *err);

/*
 * Send payload (1..KP_FRAME_PAYLOAD_MAX bytes) as one frame: a single
 * sendmsg() with MSG_NOSIGNAL, EINTR retried.  Returns OK, AGAIN (a
 * non-blocking socket is full; nothing was sent), PEER_CLOSED (EPIPE or
 * ECONNRESET), IO_ERROR (errno set), FRAME_EMPTY or FRAME_TOO_LARGE (nothing
 * sent).  The payload is not inspected: kp_msg_send() checks the message.
 */
enum kp_proto_status kp_frame_send_payload(int fd, const uint8_t *payload,
    size_t len, struct kp_proto_error *err);

#endif /* KP_PROTO_FRAME_H */
