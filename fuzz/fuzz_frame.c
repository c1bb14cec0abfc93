/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One received datagram, as the loader sees it after recvmsg(): framing,
 * wire scan, unpack into the bounded arena, the rules of each message.  A
 * message that is accepted must re-encode to a frame that is accepted again
 * with the same type: the loader may act on any accepted message, so a
 * message it accepts but could not have been sent is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/frame.h"
#include "proto/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kp_msg first, second;
static uint8_t repacked[KP_FRAME_PAYLOAD_MAX];

static void
setup_once(void)
{
	static int done;

	if (done)
		return;
	if (kp_msg_init(&first) != 0 || kp_msg_init(&second) != 0)
		abort();
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_proto_error err;
	const uint8_t *payload;
	size_t len;

	setup_once();
	enum kp_proto_status st = kp_frame_parse(data, size, &payload, &len,
	    &err);
	if (st != KP_PROTO_OK) {
		if (!kp_proto_status_is_violation(st))
			abort();
		return 0;
	}
	st = kp_msg_decode(&first, payload, len, &err);
	if (st != KP_PROTO_OK) {
		if (!kp_proto_status_is_violation(st) || first.env != NULL)
			abort();
		return 0;
	}
	if (first.type == KP_MSG_HELLO)
		(void)kp_msg_check_hello(first.env->hello,
		    KAPPARMOR__HELLO__ROLE__WATCHER, &err);

	size_t n = protobuf_c_message_get_packed_size(&first.env->base);
	if (n == 0 || n > sizeof(repacked))
		abort();
	if (protobuf_c_message_pack(&first.env->base, repacked) != n)
		abort();
	st = kp_msg_decode(&second, repacked, n, &err);
	if (st != KP_PROTO_OK) {
		fprintf(stderr, "re-encoded message refused: %s: %s\n",
		    kp_proto_status_name(st), err.detail);
		abort();
	}
	if (second.type != first.type)
		abort();
	return 0;
}
