/* SPDX-License-Identifier: Apache-2.0 */
#include "proto/arena.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_ALIGN alignof(max_align_t)

static void *
arena_pbc_alloc(void *data, size_t size)
{
	return kp_arena_alloc(data, size);
}

static void
arena_pbc_free(void *data, void *ptr)
{
	/* Released all at once by kp_arena_reset(). */
	(void)data;
	(void)ptr;
}

int
kp_arena_init(struct kp_arena *a, size_t cap)
{
	a->base = NULL;
	a->cap = 0;
	a->used = 0;
	a->exhausted = false;
	a->allocator.alloc = arena_pbc_alloc;
	a->allocator.free = arena_pbc_free;
	a->allocator.allocator_data = a;
	if (cap == 0) {
		errno = EINVAL;
		return -1;
	}
	/* aligned_alloc needs a multiple of the alignment. */
	size_t rounded = (cap + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (rounded < cap) {
		errno = EOVERFLOW;
		return -1;
	}
	a->base = aligned_alloc(ARENA_ALIGN, rounded);
	if (a->base == NULL)
		return -1;
	a->cap = cap;
	return 0;
}

void
kp_arena_fini(struct kp_arena *a)
{
	free(a->base);
	a->base = NULL;
	a->cap = 0;
	a->used = 0;
}

void
kp_arena_reset(struct kp_arena *a)
{
	a->used = 0;
	a->exhausted = false;
}

void *
kp_arena_alloc(struct kp_arena *a, size_t size)
{
	/* a->used is always a multiple of ARENA_ALIGN. */
	size_t need = size == 0 ? ARENA_ALIGN : size;

	if (need > SIZE_MAX - (ARENA_ALIGN - 1) || a->base == NULL) {
		a->exhausted = true;
		return NULL;
	}
	need = (need + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need > a->cap - a->used) {
		a->exhausted = true;
		return NULL;
	}
	void *p = a->base + a->used;
	a->used += need;
	return p;
}
