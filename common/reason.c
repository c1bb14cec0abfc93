/* SPDX-License-Identifier: Apache-2.0 */
#include "common/reason.h"

#include <stddef.h>

static const char *const reason_codes[KP_REASON__COUNT] = {
#define KP_REASON_STRING(name, str) [KP_REASON_##name] = (str),
	KP_REASONS(KP_REASON_STRING)
#undef KP_REASON_STRING
};

const char *
kp_reason_code(enum kp_reason reason)
{
	if ((unsigned)reason >= (unsigned)KP_REASON__COUNT)
		return "unknown";
	return reason_codes[reason];
}
