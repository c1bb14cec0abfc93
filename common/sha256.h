/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 of a byte string as lowercase hex.  A thin wrapper over nettle so
 * that no caller depends on the library's types; we never implement the hash
 * ourselves.
 */
#ifndef KP_SHA256_H
#define KP_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#define KP_SHA256_HEX_LEN 64 /* without the terminating NUL */

/* out receives 64 lowercase hex digits and a NUL.  data may be NULL when
 * len is 0. */
void kp_sha256_hex(const void *data, size_t len,
    char out[KP_SHA256_HEX_LEN + 1]);

/* True when s is exactly 64 lowercase hex digits followed by NUL (the form
 * kp_sha256_hex produces; upper case is refused so that one digest has one
 * spelling). */
bool kp_sha256_hex_is_valid(const char *s);

#endif /* KP_SHA256_H */
