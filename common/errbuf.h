/* SPDX-License-Identifier: Apache-2.0 */
/* One-line error messages into a caller's buffer. */
#ifndef KP_ERRBUF_H
#define KP_ERRBUF_H

#include <stddef.h>

/* Format into err (errlen bytes, truncated); nothing when err is NULL or
 * errlen is 0, so callers may pass an optional buffer. */
void kp_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* KP_ERRBUF_H */
