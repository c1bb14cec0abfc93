/* SPDX-License-Identifier: Apache-2.0 */
#include "proto/status.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static const char *const status_names[KP_PROTO__COUNT] = {
#define KP_PROTO_STATUS_STRING(name, str) [KP_PROTO_##name] = (str),
	KP_PROTO_STATUSES(KP_PROTO_STATUS_STRING)
#undef KP_PROTO_STATUS_STRING
};

const char *
kp_proto_status_name(enum kp_proto_status status)
{
	if ((unsigned)status >= (unsigned)KP_PROTO__COUNT)
		return "unknown";
	return status_names[status];
}

bool
kp_proto_status_is_violation(enum kp_proto_status status)
{
	/* Out-of-range values count as violations: fail closed. */
	return (unsigned)status >= (unsigned)KP_PROTO_FIRST_VIOLATION;
}

enum kp_proto_status
kp_proto_fail(struct kp_proto_error *err, enum kp_proto_status status,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	va_start(ap, fmt);
	if (vsnprintf(err->detail, sizeof(err->detail), fmt, ap) < 0)
		err->detail[0] = '\0';
	va_end(ap);
	return status;
}

const char *
kp_proto_quote(char *dst, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	size_t n = len < KP_PROTO_QUOTE_MAX ? len : KP_PROTO_QUOTE_MAX;
	char *o = dst;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	if (n < len) {
		*o++ = '.';
		*o++ = '.';
		*o++ = '.';
	}
	*o = '\0';
	return dst;
}
