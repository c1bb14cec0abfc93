/* SPDX-License-Identifier: Apache-2.0 */
/* The committed fuzz seeds are what their names say: each one, read as one
 * received datagram, gives exactly this status.  Keeps the corpus honest
 * when the protocol changes (regenerate with gen_frame_seeds). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/message.h"

static const struct {
	const char *name;
	enum kp_proto_status status;
	enum kp_msg_type type;
} expected[] = {
	{ "hello-watcher", KP_PROTO_OK, KP_MSG_HELLO },
	{ "hello-loader", KP_PROTO_OK, KP_MSG_HELLO },
	{ "apply", KP_PROTO_OK, KP_MSG_APPLY },
	{ "apply-sha256", KP_PROTO_OK, KP_MSG_APPLY },
	{ "apply-empty", KP_PROTO_OK, KP_MSG_APPLY },
	{ "apply-max", KP_PROTO_OK, KP_MSG_APPLY },
	{ "remove", KP_PROTO_OK, KP_MSG_REMOVE },
	{ "sync-begin", KP_PROTO_OK, KP_MSG_SYNC_BEGIN },
	{ "sync-keys", KP_PROTO_OK, KP_MSG_SYNC_KEYS },
	{ "sync-keys-max", KP_PROTO_OK, KP_MSG_SYNC_KEYS },
	{ "sync-end", KP_PROTO_OK, KP_MSG_SYNC_END },
	{ "heartbeat", KP_PROTO_OK, KP_MSG_HEARTBEAT },
	{ "heartbeat-ack", KP_PROTO_OK, KP_MSG_HEARTBEAT_ACK },
	{ "log", KP_PROTO_OK, KP_MSG_LOG },
	{ "result-apply", KP_PROTO_OK, KP_MSG_RESULT },
	{ "result-remove", KP_PROTO_OK, KP_MSG_RESULT },
	{ "result-sync", KP_PROTO_OK, KP_MSG_RESULT },
	{ "bad-dgram-short", KP_PROTO_DGRAM_SHORT, KP_MSG_NONE },
	{ "bad-frame-empty", KP_PROTO_FRAME_EMPTY, KP_MSG_NONE },
	{ "bad-frame-truncated", KP_PROTO_FRAME_LENGTH_MISMATCH, KP_MSG_NONE },
	{ "bad-frame-too-large", KP_PROTO_FRAME_TOO_LARGE, KP_MSG_NONE },
	{ "bad-dgram-oversize", KP_PROTO_DGRAM_TRUNCATED, KP_MSG_NONE },
	{ "bad-garbage", KP_PROTO_WIRE_MALFORMED, KP_MSG_NONE },
	{ "bad-two-bodies", KP_PROTO_MULTIPLE_BODIES, KP_MSG_NONE },
	{ "bad-unknown-field", KP_PROTO_UNKNOWN_FIELD, KP_MSG_NONE },
	{ "bad-duplicate-key", KP_PROTO_DUPLICATE_FIELD, KP_MSG_NONE },
	{ "bad-nul-in-key", KP_PROTO_BAD_TEXT, KP_MSG_NONE },
	{ "bad-int-range", KP_PROTO_INT_RANGE, KP_MSG_NONE },
	{ "bad-key-not-ours", KP_PROTO_BAD_KEY, KP_MSG_NONE },
	{ "bad-key-dotdot", KP_PROTO_BAD_KEY, KP_MSG_NONE },
	{ "bad-enum-role", KP_PROTO_BAD_ENUM, KP_MSG_NONE },
	{ "bad-too-many-keys", KP_PROTO_TOO_MANY_VALUES, KP_MSG_NONE },
	{ "bad-content-too-large", KP_PROTO_FIELD_TOO_LARGE, KP_MSG_NONE },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static uint8_t buf[KP_FRAME_MAX + 1024];

static size_t
read_seed(const char *dir, const char *name)
{
	char path[4096];

	int r = snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert(r > 0 && (size_t)r < sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	ssize_t n = read(fd, buf, sizeof(buf));
	cr_assert_geq(n, 0);
	close(fd);
	return (size_t)n;
}

Test(seeds, each_seed_gives_its_status)
{
	const char *src = getenv("KP_SRCDIR");
	char dir[4096];
	struct kp_msg m;
	struct kp_proto_error err;

	cr_assert_not_null(src, "KP_SRCDIR is not set");
	int r = snprintf(dir, sizeof(dir), "%s/fuzz/corpus/fuzz_frame", src);
	cr_assert(r > 0 && (size_t)r < sizeof(dir));
	cr_assert_eq(kp_msg_init(&m), 0);
	for (size_t i = 0; i < NEXPECTED; i++) {
		const uint8_t *payload;
		size_t len, n = read_seed(dir, expected[i].name);
		enum kp_proto_status st = kp_frame_parse(buf, n, &payload,
		    &len, &err);
		m.type = KP_MSG_NONE;
		if (st == KP_PROTO_OK)
			st = kp_msg_decode(&m, payload, len, &err);
		cr_assert_eq(st, expected[i].status, "%s: %s (%s)",
		    expected[i].name, kp_proto_status_name(st), err.detail);
		cr_assert_eq(m.type, expected[i].type, "%s", expected[i].name);
	}
	kp_msg_fini(&m);
}

Test(seeds, every_seed_is_listed)
{
	const char *src = getenv("KP_SRCDIR");
	char dir[4096];
	size_t count = 0;

	cr_assert_not_null(src);
	int r = snprintf(dir, sizeof(dir), "%s/fuzz/corpus/fuzz_frame", src);
	cr_assert(r > 0 && (size_t)r < sizeof(dir));
	DIR *d = opendir(dir);
	cr_assert_not_null(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		bool found = false;
		for (size_t i = 0; i < NEXPECTED && !found; i++)
			found = strcmp(de->d_name, expected[i].name) == 0;
		/* Inputs libFuzzer adds are named by their SHA-1. */
		if (!found)
			cr_assert_eq(strlen(de->d_name), 40, "%s", de->d_name);
		else
			count++;
	}
	closedir(d);
	cr_assert_eq(count, NEXPECTED);
}
