/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal JSON string escaping for our own output (logs, --json, /status). */
#ifndef KP_JSON_H
#define KP_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Write s (len bytes) as a quoted JSON string.  Bytes outside printable
 * ASCII are written as \u00XX, so the output is always valid ASCII JSON. */
void kp_json_write_string(FILE *f, const char *s, size_t len);
void kp_json_write_cstr(FILE *f, const char *s);

#endif /* KP_JSON_H */
