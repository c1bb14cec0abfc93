/* SPDX-License-Identifier: Apache-2.0 */
#include "common/sha256.h"

#include <nettle/sha2.h>

void
kp_sha256_hex(const void *data, size_t len, char out[KP_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	unsigned char digest[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	if (len > 0)
		sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest); i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 0x0f];
	}
	out[KP_SHA256_HEX_LEN] = '\0';
}

bool
kp_sha256_hex_is_valid(const char *s)
{
	size_t i;

	for (i = 0; i < KP_SHA256_HEX_LEN; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[i] == '\0';
}
