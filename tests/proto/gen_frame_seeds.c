/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpus of fuzz/fuzz_frame.c: one file per datagram.
 * Valid frames come from the real senders (kp_msg_send_*) through a
 * socketpair, so they are exactly what the watcher and loader put on the
 * wire; broken ones are built by hand.  Run after a protocol change:
 *
 *   build/tests/proto/gen_frame_seeds fuzz/corpus/fuzz_frame
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/message.h"
#include "tests/proto/pb_writer.h"

static int dirfd_out = -1;
static int sv[2];
static unsigned written;

static void
die(const char *what)
{
	fprintf(stderr, "gen_frame_seeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_seed(const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd_out, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		die(name);
	if (write(fd, buf, len) != (ssize_t)len)
		die(name);
	if (close(fd) != 0)
		die(name);
	written++;
}

/* Take the datagram the real sender just queued and save it. */
static void
save_sent(const char *name, enum kp_proto_status st)
{
	static uint8_t buf[KP_FRAME_RECV_BUF];

	if (st != KP_PROTO_OK) {
		fprintf(stderr, "gen_frame_seeds: %s: %s\n", name,
		    kp_proto_status_name(st));
		exit(1);
	}
	ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
	if (n <= 0)
		die(name);
	write_seed(name, buf, (size_t)n);
}

/* Frame a hand-built payload with a correct prefix. */
static void
save_framed(const char *name, const struct pbw *payload)
{
	static uint8_t buf[sizeof(payload->buf) + 4];
	uint32_t n = (uint32_t)payload->len;

	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	memcpy(buf + 4, payload->buf, payload->len);
	write_seed(name, buf, payload->len + 4);
}

static struct pbw w, inner;

static void
body(uint32_t field)
{
	w.len = 0;
	pbw_envelope(&w, field, &inner);
	inner.len = 0;
}

static void
valid_seeds(void)
{
	static uint8_t content[KP_PROFILE_MAX_BYTES];
	static const char profile[] =
	    "abi <abi/3.0>,\n#include <tunables/global>\n"
	    "profile custom.web flags=(attach_disconnected) {\n"
	    "  #include <abstractions/base>\n  /srv/** r,\n}\n";
	static const char *keys[] = { "custom.a", "custom.b-2", "custom.c_3" };
	uint8_t digest[KP_PROTO_SHA256_LEN];
	char key[KP_KEY_MAX_LEN + 1];

	memset(digest, 0x5a, sizeof(digest));
	memset(key, 'k', KP_KEY_MAX_LEN);
	memcpy(key, KP_KEY_PREFIX, strlen(KP_KEY_PREFIX));
	key[KP_KEY_MAX_LEN] = '\0';
	memset(content, 'p', sizeof(content));

	save_sent("hello-watcher", kp_msg_send_hello(sv[0],
	    KAPPARMOR__HELLO__ROLE__WATCHER, NULL));
	save_sent("hello-loader", kp_msg_send_hello(sv[0],
	    KAPPARMOR__HELLO__ROLE__LOADER, NULL));
	save_sent("apply", kp_msg_send_apply(sv[0], "custom.web",
	    (const uint8_t *)profile, strlen(profile), NULL, NULL));
	save_sent("apply-sha256", kp_msg_send_apply(sv[0], "custom.web",
	    (const uint8_t *)profile, strlen(profile), digest, NULL));
	save_sent("apply-empty", kp_msg_send_apply(sv[0], "custom.e", NULL, 0,
	    NULL, NULL));
	save_sent("apply-max", kp_msg_send_apply(sv[0], key, content,
	    sizeof(content), digest, NULL));
	save_sent("remove", kp_msg_send_remove(sv[0], "custom.old", NULL));
	save_sent("sync-begin", kp_msg_send_sync_begin(sv[0], 1, NULL));
	save_sent("sync-keys", kp_msg_send_sync_keys(sv[0], 1, keys, 3, NULL));
	save_sent("sync-end", kp_msg_send_sync_end(sv[0], 1, 3, NULL));
	save_sent("heartbeat", kp_msg_send_heartbeat(sv[0], 12345, NULL));
	save_sent("heartbeat-ack", kp_msg_send_heartbeat_ack(sv[0], 12345,
	    NULL));
	save_sent("log", kp_msg_send_log(sv[0], KAPPARMOR__LOG__LEVEL__WARN,
	    "key_rejected", "custom.bad/key", "key-format", NULL));

	struct kp_msg_result r = {
		.op = KAPPARMOR__RESULT__OP__APPLY,
		.key = "custom.web",
		.status = KAPPARMOR__RESULT__STATUS__REJECTED,
		.reason = "include-not-allowed",
		.message = "line 2: include <tunables/global>",
	};
	save_sent("result-apply", kp_msg_send_result(sv[0], &r, NULL));
	r.op = KAPPARMOR__RESULT__OP__REMOVE;
	r.status = KAPPARMOR__RESULT__STATUS__REMOVAL_DEFERRED_IN_USE;
	r.reason = NULL;
	r.message = "in use by 2 tasks";
	save_sent("result-remove", kp_msg_send_result(sv[0], &r, NULL));
	r.op = KAPPARMOR__RESULT__OP__SYNC;
	r.key = NULL;
	r.status = KAPPARMOR__RESULT__STATUS__SYNCED;
	r.message = NULL;
	r.generation = 9;
	save_sent("result-sync", kp_msg_send_result(sv[0], &r, NULL));

	/* A full chunk of the longest keys. */
	static const char *many[KP_PROTO_SYNC_CHUNK_KEYS];
	for (size_t i = 0; i < KP_PROTO_SYNC_CHUNK_KEYS; i++)
		many[i] = key;
	save_sent("sync-keys-max", kp_msg_send_sync_keys(sv[0], 2, many,
	    KP_PROTO_SYNC_CHUNK_KEYS, NULL));
}

static void
broken_seeds(void)
{
	static uint8_t big[KP_FRAME_MAX + 1];
	uint8_t b[16];

	/* Framing. */
	write_seed("bad-dgram-short", "\0\0", 2);
	write_seed("bad-frame-empty", "\0\0\0\0", 4);
	memcpy(b, "\0\0\0\x09" "\x1a\x0a\x0a\x08" "cust", 12);
	write_seed("bad-frame-truncated", b, 12);
	memcpy(b, "\xff\xff\xff\xff" "\x1a\x02\x0a\x00", 8);
	write_seed("bad-frame-too-large", b, 8);
	big[1] = 0x01;
	big[2] = 0x04;
	big[3] = 0x01;
	write_seed("bad-dgram-oversize", big, sizeof(big));
	write_seed("bad-garbage", "\0\0\0\x06" "\xde\xad\xbe\xef\xff\x00", 10);

	/* Encoding. */
	pbw_str(&inner, 1, "custom.a");
	body(3);
	pbw_str(&inner, 1, "custom.b");
	pbw_len(&inner, 2, "x", 1);
	pbw_envelope(&w, 2, &inner);
	inner.len = 0;
	save_framed("bad-two-bodies", &w);

	pbw_str(&inner, 1, "custom.a");
	body(3);
	pbw_uint(&w, 11, 1);
	save_framed("bad-unknown-field", &w);

	pbw_str(&inner, 1, "custom.a");
	pbw_str(&inner, 1, "custom.b");
	body(3);
	save_framed("bad-duplicate-key", &w);

	pbw_len(&inner, 1, "custom.a\0/../x", 14);
	body(3);
	save_framed("bad-nul-in-key", &w);

	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, (1ULL << 32) + 1);
	body(6);
	save_framed("bad-int-range", &w);

	/* Rules. */
	pbw_str(&inner, 1, "docker-default");
	body(3);
	save_framed("bad-key-not-ours", &w);

	pbw_str(&inner, 1, "../x");
	pbw_len(&inner, 2, "profile x {}", 12);
	body(2);
	save_framed("bad-key-dotdot", &w);

	pbw_uint(&inner, 1, 1);
	pbw_uint(&inner, 2, 3);
	body(1);
	save_framed("bad-enum-role", &w);

	pbw_uint(&inner, 1, 1);
	for (int i = 0; i <= KP_PROTO_SYNC_CHUNK_KEYS; i++)
		pbw_str(&inner, 2, "custom.a");
	body(5);
	save_framed("bad-too-many-keys", &w);

	static uint8_t over[KP_PROFILE_MAX_BYTES + 1];
	memset(over, 'p', sizeof(over));
	pbw_str(&inner, 1, "custom.a");
	pbw_len(&inner, 2, over, sizeof(over));
	body(2);
	save_framed("bad-content-too-large", &w);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dirfd_out = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_out < 0)
		die(argv[1]);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair");
	valid_seeds();
	broken_seeds();
	printf("gen_frame_seeds: wrote %u seeds\n", written);
	return 0;
}
