/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator with a fixed budget, handed to protobuf-c while it
 * unpacks one message.  An allocation beyond the budget fails, so unpack
 * fails, so a message can never make the receiver allocate more than the
 * budget however it is crafted.  Freeing is a no-op; the whole arena is
 * reset before the next message.  Its memory is allocated once.
 */
#ifndef KP_PROTO_ARENA_H
#define KP_PROTO_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct kp_arena {
	unsigned char *base;
	size_t cap;
	size_t used;
	bool exhausted;            /* an allocation was refused since reset */
	ProtobufCAllocator allocator;
};

/* Allocate cap bytes.  Returns 0, or -1 with errno set. */
int kp_arena_init(struct kp_arena *a, size_t cap);
void kp_arena_fini(struct kp_arena *a);
void kp_arena_reset(struct kp_arena *a);

/* Aligned like malloc; NULL (and a->exhausted set) past the budget. */
void *kp_arena_alloc(struct kp_arena *a, size_t size);

#endif /* KP_PROTO_ARENA_H */
