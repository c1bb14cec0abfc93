/* SPDX-License-Identifier: Apache-2.0 */
/* Framing: every violation class on plain buffers and on a real
 * socketpair(AF_UNIX, SOCK_SEQPACKET). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/frame.h"

static uint8_t dgram[KP_FRAME_MAX + 64];

static void
put_prefix(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static enum kp_proto_status
parse(size_t len, struct kp_proto_error *err)
{
	const uint8_t *payload = (const uint8_t *)"x";
	size_t plen = 99;
	enum kp_proto_status st = kp_frame_parse(dgram, len, &payload, &plen,
	    err);
	if (st != KP_PROTO_OK) {
		cr_assert_null(payload);
		cr_assert_eq(plen, 0);
		cr_assert_eq(err->status, st);
	}
	return st;
}

static void
make_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
	    0);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *de;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

Test(frame_parse, valid_frame)
{
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;

	put_prefix(dgram, 3);
	memcpy(dgram + 4, "abc", 3);
	cr_assert_eq(kp_frame_parse(dgram, 7, &payload, &plen, &err),
	    KP_PROTO_OK);
	cr_assert_eq(payload, dgram + 4);
	cr_assert_eq(plen, 3);
}

Test(frame_parse, largest_frame_is_accepted)
{
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;

	put_prefix(dgram, KP_FRAME_PAYLOAD_MAX);
	cr_assert_eq(kp_frame_parse(dgram, KP_FRAME_MAX, &payload, &plen,
	    &err), KP_PROTO_OK);
	cr_assert_eq(plen, KP_FRAME_PAYLOAD_MAX);
}

Test(frame_parse, each_violation_is_distinct)
{
	struct kp_proto_error err;

	cr_assert_eq(parse(0, &err), KP_PROTO_DGRAM_EMPTY);
	cr_assert_eq(parse(1, &err), KP_PROTO_DGRAM_SHORT);
	cr_assert_eq(parse(3, &err), KP_PROTO_DGRAM_SHORT);

	put_prefix(dgram, 0);
	cr_assert_eq(parse(4, &err), KP_PROTO_FRAME_EMPTY);
	cr_assert_eq(parse(10, &err), KP_PROTO_FRAME_EMPTY);

	put_prefix(dgram, KP_FRAME_PAYLOAD_MAX + 1);
	cr_assert_eq(parse(KP_FRAME_MAX, &err), KP_PROTO_FRAME_TOO_LARGE);
	put_prefix(dgram, UINT32_MAX);
	cr_assert_eq(parse(10, &err), KP_PROTO_FRAME_TOO_LARGE);
	cr_assert_str_eq(err.detail,
	    "length prefix 4294967295 exceeds the 66560-byte maximum");

	put_prefix(dgram, 5);
	cr_assert_eq(parse(10, &err), KP_PROTO_FRAME_LENGTH_MISMATCH);
	cr_assert_str_eq(err.detail, "length prefix 5 but 6 payload bytes");
	put_prefix(dgram, 7);
	cr_assert_eq(parse(10, &err), KP_PROTO_FRAME_LENGTH_MISMATCH);

	put_prefix(dgram, KP_FRAME_PAYLOAD_MAX);
	cr_assert_eq(parse(KP_FRAME_MAX + 1, &err), KP_PROTO_DGRAM_TRUNCATED);
}

Test(frame_parse, all_frame_violations_are_violations)
{
	enum kp_proto_status v[] = {
		KP_PROTO_DGRAM_TRUNCATED, KP_PROTO_DGRAM_EMPTY,
		KP_PROTO_DGRAM_SHORT, KP_PROTO_FRAME_EMPTY,
		KP_PROTO_FRAME_TOO_LARGE, KP_PROTO_FRAME_LENGTH_MISMATCH,
		KP_PROTO_ANCILLARY,
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert(kp_proto_status_is_violation(v[i]), "%d", v[i]);
	cr_assert_not(kp_proto_status_is_violation(KP_PROTO_OK));
	cr_assert_not(kp_proto_status_is_violation(KP_PROTO_PEER_CLOSED));
	cr_assert_not(kp_proto_status_is_violation(KP_PROTO_AGAIN));
	cr_assert_not(kp_proto_status_is_violation(KP_PROTO_IO_ERROR));
	cr_assert_not(kp_proto_status_is_violation(KP_PROTO_NO_MEMORY));
	cr_assert(kp_proto_status_is_violation(KP_PROTO__COUNT));
}

Test(frame_io, send_then_receive)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(kp_frame_send_payload(sv[0], (const uint8_t *)"hello", 5,
	    &err), KP_PROTO_OK);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_OK);
	cr_assert_eq(plen, 5);
	cr_assert_eq(memcmp(payload, "hello", 5), 0);
	/* The prefix is big-endian. */
	cr_assert_eq(fb.bytes[0], 0);
	cr_assert_eq(fb.bytes[3], 5);
}

Test(frame_io, largest_payload_round_trips)
{
	static struct kp_frame_buf fb;
	static uint8_t big[KP_FRAME_PAYLOAD_MAX];
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	cr_assert_eq(kp_frame_send_payload(sv[0], big, sizeof(big), &err),
	    KP_PROTO_OK, "%s", err.detail);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_OK);
	cr_assert_eq(plen, sizeof(big));
	cr_assert_eq(memcmp(payload, big, sizeof(big)), 0);
}

Test(frame_io, send_refuses_empty_and_oversize)
{
	static uint8_t big[KP_FRAME_PAYLOAD_MAX + 1];
	struct kp_proto_error err;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(kp_frame_send_payload(sv[0], big, 0, &err),
	    KP_PROTO_FRAME_EMPTY);
	cr_assert_eq(kp_frame_send_payload(sv[0], big, sizeof(big), &err),
	    KP_PROTO_FRAME_TOO_LARGE);
	/* Nothing was sent. */
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	char c;
	cr_assert_eq(recv(sv[1], &c, 1, 0), -1);
	cr_assert_eq(errno, EAGAIN);
}

Test(frame_io, oversize_datagram_is_truncated_violation)
{
	static struct kp_frame_buf fb;
	static uint8_t big[KP_FRAME_MAX + 100];
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	/* A well-formed prefix for the whole datagram: only its size is
	 * wrong. */
	put_prefix(big, sizeof(big) - 4);
	cr_assert_eq(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_DGRAM_TRUNCATED);
	cr_assert_str_eq(err.detail, "datagram of 66664 bytes exceeds the "
	    "66564-byte frame maximum");
}

Test(frame_io, one_byte_over_is_truncated_violation)
{
	static struct kp_frame_buf fb;
	static uint8_t big[KP_FRAME_MAX + 1];
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	put_prefix(big, KP_FRAME_PAYLOAD_MAX);
	cr_assert_eq(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_DGRAM_TRUNCATED);
}

Test(frame_io, raw_violations_on_the_socket)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	uint8_t b[16];
	int sv[2];

	make_pair(sv);
	memset(b, 'x', sizeof(b));
	cr_assert_eq(send(sv[0], b, 3, 0), 3);
	put_prefix(b, 0);
	cr_assert_eq(send(sv[0], b, 4, 0), 4);
	put_prefix(b, 11);
	cr_assert_eq(send(sv[0], b, 16, 0), 16);
	put_prefix(b, KP_FRAME_PAYLOAD_MAX + 1);
	cr_assert_eq(send(sv[0], b, 16, 0), 16);

	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_DGRAM_SHORT);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_FRAME_EMPTY);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_FRAME_LENGTH_MISMATCH);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_FRAME_TOO_LARGE);
}

Test(frame_io, eof_is_peer_closed)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(close(sv[0]), 0);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_PEER_CLOSED);
	cr_assert_str_eq(kp_proto_status_name(err.status), "peer-closed");
}

/* On SOCK_SEQPACKET an empty datagram reads exactly like end of file; both
 * end the session.  Pinned so that a change of that rule is deliberate. */
Test(frame_io, empty_datagram_reads_as_peer_closed)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(send(sv[0], "", 0, 0), 0);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_PEER_CLOSED);
}

Test(frame_io, nonblocking_empty_socket_is_again)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_AGAIN);
}

Test(frame_io, full_nonblocking_socket_is_again)
{
	static uint8_t big[KP_FRAME_PAYLOAD_MAX];
	struct kp_proto_error err;
	enum kp_proto_status st;
	int sv[2], sent = 0;

	make_pair(sv);
	cr_assert_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	while ((st = kp_frame_send_payload(sv[0], big, sizeof(big), &err)) ==
	    KP_PROTO_OK)
		cr_assert_lt(++sent, 10000);
	cr_assert_eq(st, KP_PROTO_AGAIN, "%s", err.detail);
}

Test(frame_io, send_to_closed_peer_is_peer_closed)
{
	struct kp_proto_error err;
	int sv[2];

	make_pair(sv);
	cr_assert_eq(close(sv[1]), 0);
	/* MSG_NOSIGNAL: no SIGPIPE kills the test. */
	cr_assert_eq(kp_frame_send_payload(sv[0], (const uint8_t *)"x", 1,
	    &err), KP_PROTO_PEER_CLOSED);
}

Test(frame_io, bad_fd_is_io_error)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;

	cr_assert_eq(kp_frame_recv(-1, &fb, &payload, &plen, &err),
	    KP_PROTO_IO_ERROR);
	cr_assert_eq(errno, EBADF);
	cr_assert_eq(kp_frame_send_payload(-1, (const uint8_t *)"x", 1, &err),
	    KP_PROTO_IO_ERROR);
	cr_assert_eq(errno, EBADF);
}

static void
send_with_fd(int sock, const void *data, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	memset(u.buf, 0, sizeof(u.buf));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	cr_assert_eq(sendmsg(sock, &mh, 0), (ssize_t)len);
}

Test(frame_io, passed_descriptor_is_violation_and_never_installed)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	uint8_t b[5];
	int sv[2];

	make_pair(sv);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	/* A frame that is otherwise valid. */
	put_prefix(b, 1);
	b[4] = 'x';
	send_with_fd(sv[0], b, sizeof(b), fd);
	cr_assert_eq(close(fd), 0);

	int before = count_fds();
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_ANCILLARY);
	cr_assert_eq(count_fds(), before);
	cr_assert_null(payload);
}

Test(frame_io, descriptor_on_empty_datagram_is_violation_not_eof)
{
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	int sv[2];

	make_pair(sv);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	send_with_fd(sv[0], "", 0, fd);
	cr_assert_eq(close(fd), 0);
	int before = count_fds();
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_ANCILLARY);
	cr_assert_eq(count_fds(), before);
}

Test(frame_io, credentials_are_ancillary_when_passcred_is_set)
{
	/* Nothing in the daemon sets SO_PASSCRED; if it ever did, the
	 * credentials the kernel attaches would be refused too. */
	static struct kp_frame_buf fb;
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t plen;
	uint8_t b[5];
	int sv[2], on = 1;

	make_pair(sv);
	cr_assert_eq(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)), 0);
	put_prefix(b, 1);
	b[4] = 'x';
	cr_assert_eq(send(sv[0], b, sizeof(b), 0), 5);
	cr_assert_eq(kp_frame_recv(sv[1], &fb, &payload, &plen, &err),
	    KP_PROTO_ANCILLARY);
}
