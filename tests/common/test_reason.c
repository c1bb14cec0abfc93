/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/reason.h"

Test(reason, codes_are_stable)
{
	cr_assert_str_eq(kp_reason_code(KP_REASON_NONE), "ok");
	cr_assert_str_eq(kp_reason_code(KP_REASON_KEY_FORMAT), "key-format");
	cr_assert_str_eq(kp_reason_code(KP_REASON_INCLUDE), "include-not-allowed");
	cr_assert_str_eq(kp_reason_code(KP_REASON_TOO_MANY_KEYS), "too-many-keys");
}

Test(reason, out_of_range_is_unknown)
{
	cr_assert_str_eq(kp_reason_code(KP_REASON__COUNT), "unknown");
	cr_assert_str_eq(kp_reason_code((enum kp_reason)-1), "unknown");
}

Test(reason, every_code_is_unique_lowercase_kebab)
{
	for (int i = 0; i < KP_REASON__COUNT; i++) {
		const char *a = kp_reason_code((enum kp_reason)i);
		cr_assert(strlen(a) > 1);
		for (const char *p = a; *p; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || *p == '-', "%s", a);
		for (int j = i + 1; j < KP_REASON__COUNT; j++)
			cr_assert_str_neq(a, kp_reason_code((enum kp_reason)j));
	}
}
