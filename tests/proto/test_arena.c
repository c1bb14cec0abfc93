/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stdint.h>

#include "proto/arena.h"

Test(arena, refuses_beyond_budget)
{
	struct kp_arena a;

	cr_assert_eq(kp_arena_init(&a, 256), 0);
	void *p = kp_arena_alloc(&a, 200);
	cr_assert_not_null(p);
	cr_assert_not(a.exhausted);
	cr_assert_null(kp_arena_alloc(&a, 100));
	cr_assert(a.exhausted);
	/* What is left is still usable. */
	cr_assert_not_null(kp_arena_alloc(&a, 16));
	cr_assert_null(kp_arena_alloc(&a, SIZE_MAX));
	cr_assert_null(kp_arena_alloc(&a, SIZE_MAX - 8));
	kp_arena_reset(&a);
	cr_assert_not(a.exhausted);
	cr_assert_eq(a.used, 0);
	cr_assert_not_null(kp_arena_alloc(&a, 256));
	cr_assert_null(kp_arena_alloc(&a, 1));
	kp_arena_fini(&a);
}

Test(arena, allocations_are_aligned_and_distinct)
{
	struct kp_arena a;

	cr_assert_eq(kp_arena_init(&a, 1024), 0);
	uintptr_t prev = 0;
	for (int i = 0; i < 8; i++) {
		uintptr_t p = (uintptr_t)kp_arena_alloc(&a, (size_t)i);
		cr_assert_neq(p, 0);
		cr_assert_eq(p % alignof(max_align_t), 0);
		cr_assert_gt(p, prev);
		prev = p;
	}
	kp_arena_fini(&a);
}

Test(arena, is_a_protobuf_c_allocator)
{
	struct kp_arena a;

	cr_assert_eq(kp_arena_init(&a, 64), 0);
	void *p = a.allocator.alloc(a.allocator.allocator_data, 32);
	cr_assert_not_null(p);
	a.allocator.free(a.allocator.allocator_data, p);
	cr_assert_eq(a.used, 32);
	cr_assert_null(a.allocator.alloc(a.allocator.allocator_data, 64));
	cr_assert(a.exhausted);
	kp_arena_fini(&a);
}

Test(arena, zero_budget_is_refused)
{
	struct kp_arena a;

	cr_assert_eq(kp_arena_init(&a, 0), -1);
	cr_assert_null(kp_arena_alloc(&a, 1));
}
