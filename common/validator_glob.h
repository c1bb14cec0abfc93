/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the validator counts in one glob pattern, after variable expansion
 * (rule 2).  The counting rules are those of the reference counter in
 * scripts/measure-glob.py (--cost PATTERN) and docs/validator-limits.md;
 * tests/common/test_glob.c compares the two.
 */
#ifndef KP_VALIDATOR_GLOB_H
#define KP_VALIDATOR_GLOB_H

#include <stdbool.h>
#include <stddef.h>

struct kp_glob_stats {
	size_t wildcards;   /* single '*'-runs and '?' */
	size_t doublestar;  /* runs of two or more '*' */
	size_t classes;     /* [...] after the first '*' */
	size_t all_classes; /* every [...] */
	size_t alt_depth;   /* deepest {} nesting */
	size_t alt_width;   /* most alternatives in one {} */
	size_t ambiguity;   /* points of KP_GLOB_MAX_AMBIGUITY */
	size_t floating;    /* bytes after the first '**'-run */
	bool has_floating;
};

/* Counts over an expanded pattern whose classes and braces are balanced
 * and whose {} nesting is bounded (the validator checks both first). */
void kp_glob_count(const char *pattern, size_t len, struct kp_glob_stats *st);

#endif /* KP_VALIDATOR_GLOB_H */
