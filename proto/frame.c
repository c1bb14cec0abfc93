/* SPDX-License-Identifier: Apache-2.0 */
#include "proto/frame.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

_Static_assert(KP_FRAME_PAYLOAD_MAX < UINT32_MAX,
    "the payload length must fit the 4-byte prefix");
_Static_assert(sizeof(((struct kp_frame_buf *)0)->bytes) > KP_FRAME_MAX,
    "the receive buffer must hold one byte more than the largest frame");

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum kp_proto_status
kp_frame_parse(const uint8_t *dgram, size_t len, const uint8_t **payload,
    size_t *payload_len, struct kp_proto_error *err)
{
	*payload = NULL;
	*payload_len = 0;

	/* Order matters: each check below relies on the ones before it. */
	if (len > KP_FRAME_MAX)
		return kp_proto_fail(err, KP_PROTO_DGRAM_TRUNCATED,
		    "datagram of %zu bytes exceeds the %u-byte frame maximum",
		    len, (unsigned)KP_FRAME_MAX);
	if (len == 0)
		return kp_proto_fail(err, KP_PROTO_DGRAM_EMPTY,
		    "empty datagram");
	if (len < KP_FRAME_PREFIX_LEN)
		return kp_proto_fail(err, KP_PROTO_DGRAM_SHORT,
		    "datagram of %zu bytes is shorter than the length prefix",
		    len);

	uint32_t declared = get_be32(dgram);
	size_t actual = len - KP_FRAME_PREFIX_LEN;

	if (declared == 0)
		return kp_proto_fail(err, KP_PROTO_FRAME_EMPTY,
		    "length prefix is 0: no message");
	if (declared > KP_FRAME_PAYLOAD_MAX)
		return kp_proto_fail(err, KP_PROTO_FRAME_TOO_LARGE,
		    "length prefix %" PRIu32 " exceeds the %u-byte maximum",
		    declared, (unsigned)KP_FRAME_PAYLOAD_MAX);
	if ((size_t)declared != actual)
		return kp_proto_fail(err, KP_PROTO_FRAME_LENGTH_MISMATCH,
		    "length prefix %" PRIu32 " but %zu payload bytes",
		    declared, actual);

	*payload = dgram + KP_FRAME_PREFIX_LEN;
	*payload_len = actual;
	return KP_PROTO_OK;
}

enum kp_proto_status
kp_frame_recv(int fd, struct kp_frame_buf *buf, const uint8_t **payload,
    size_t *payload_len, struct kp_proto_error *err)
{
	struct iovec iov = {
		.iov_base = buf->bytes,
		.iov_len = sizeof(buf->bytes),
	};
	/* No control buffer: a passed descriptor is never installed here. */
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	*payload = NULL;
	*payload_len = 0;

	/* MSG_TRUNC makes Linux return the datagram's real size, so an
	 * oversize one is reported with its size rather than as a short read.
	 * MSG_CMSG_CLOEXEC is belt and braces should a control buffer ever be
	 * added. */
	do {
		n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);

	if (n < 0) {
		int saved = errno;
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return kp_proto_fail(err, KP_PROTO_AGAIN,
			    "no datagram queued");
		if (saved == ECONNRESET)
			return kp_proto_fail(err, KP_PROTO_PEER_CLOSED,
			    "connection reset by peer");
		kp_proto_fail(err, KP_PROTO_IO_ERROR, "recvmsg: %s",
		    strerror(saved));
		errno = saved;
		return KP_PROTO_IO_ERROR;
	}
	/* Checked before EOF: a zero-length datagram may carry descriptors. */
	if ((mh.msg_flags & MSG_CTRUNC) != 0 || mh.msg_controllen != 0)
		return kp_proto_fail(err, KP_PROTO_ANCILLARY,
		    "datagram carried ancillary data (descriptors are never "
		    "accepted)");
	if (n == 0)
		return kp_proto_fail(err, KP_PROTO_PEER_CLOSED,
		    "peer closed the connection");
	/* A truncated datagram (MSG_TRUNC in msg_flags) always has n larger
	 * than KP_FRAME_MAX here, being either its real size or, should
	 * MSG_TRUNC not report it, the whole buffer: kp_frame_parse()
	 * refuses it by size. */
	return kp_frame_parse(buf->bytes, (size_t)n, payload, payload_len,
	    err);
}

enum kp_proto_status
kp_frame_send_payload(int fd, const uint8_t *payload, size_t len,
    struct kp_proto_error *err)
{
	uint8_t prefix[KP_FRAME_PREFIX_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	if (len == 0)
		return kp_proto_fail(err, KP_PROTO_FRAME_EMPTY,
		    "refusing to send an empty payload");
	if (len > KP_FRAME_PAYLOAD_MAX)
		return kp_proto_fail(err, KP_PROTO_FRAME_TOO_LARGE,
		    "payload of %zu bytes exceeds the %u-byte maximum", len,
		    (unsigned)KP_FRAME_PAYLOAD_MAX);

	put_be32(prefix, (uint32_t)len);
	iov[0].iov_base = prefix;
	iov[0].iov_len = sizeof(prefix);
	iov[1].iov_base = (void *)payload;   /* iovec has no const; only read */
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;

	/* One sendmsg is one datagram: SOCK_SEQPACKET never splits it. */
	do {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);

	if (n < 0) {
		int saved = errno;
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return kp_proto_fail(err, KP_PROTO_AGAIN,
			    "socket buffer full");
		if (saved == EPIPE || saved == ECONNRESET)
			return kp_proto_fail(err, KP_PROTO_PEER_CLOSED,
			    "peer closed the connection");
		kp_proto_fail(err, KP_PROTO_IO_ERROR, "sendmsg: %s",
		    strerror(saved));
		errno = saved;
		return KP_PROTO_IO_ERROR;
	}
	if ((size_t)n != sizeof(prefix) + len) {
		kp_proto_fail(err, KP_PROTO_IO_ERROR,
		    "sendmsg sent %zd of %zu bytes", n, sizeof(prefix) + len);
		errno = EIO;
		return KP_PROTO_IO_ERROR;
	}
	return KP_PROTO_OK;
}
