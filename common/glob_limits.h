/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Glob complexity limits (rule 2).  Provisional values: to be replaced by
 * the ones measured against apparmor_parser, see docs/validator-limits.md.
 */
#ifndef KP_GLOB_LIMITS_H
#define KP_GLOB_LIMITS_H

#define KP_GLOB_MAX_WILDCARDS        8    /* '*' and '?' in one path */
#define KP_GLOB_MAX_DOUBLESTAR       2    /* '**' in one path */
#define KP_GLOB_MAX_ALT_DEPTH        2    /* nesting of {a,{b,c}} */
#define KP_GLOB_MAX_ALT_WIDTH        16   /* alternatives in one {...} */
#define KP_GLOB_MAX_CHARCLASS        4    /* [...] classes in one path */
#define KP_GLOB_MAX_PROFILE_WILDCARDS 2048 /* summed over the profile */

#endif /* KP_GLOB_LIMITS_H */
