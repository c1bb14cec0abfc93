/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsing of numbers from flags and environment variables. */
#ifndef KP_NUMPARSE_H
#define KP_NUMPARSE_H

/* A decimal whole number in [min, max]: digits only (no sign, no spaces,
 * nothing after).  Returns 0 with *out set, or -1. */
int kp_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

#endif /* KP_NUMPARSE_H */
