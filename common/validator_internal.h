/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared state of one kp_validate() call, split across validator_*.c:
 *   validator.c          API, key and byte checks (rules 1 and 2)
 *   validator_profile.c  preamble, header, body, trailer, includes (3, 4)
 *   validator_rules.c    the rules a body may hold (5, 6)
 *   validator_glob.c     paths, variables and glob complexity (2, 5)
 * Every check returns false after recording the first error; nothing
 * continues past it.
 */
#ifndef KP_VALIDATOR_INTERNAL_H
#define KP_VALIDATOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/lexer.h"
#include "common/validator.h"

/* Longest piece of a token quoted in a message; longer ones end in "...". */
#define KP_QUOTE_MAX 48

#define KP_TOKEN_FMT "'%.*s%s'"
#define KP_TOKEN_ARG(p, n)                                             \
	(int)((n) > KP_QUOTE_MAX ? KP_QUOTE_MAX : (n)), (const char *)(p), \
	    ((n) > KP_QUOTE_MAX ? "..." : "")

struct kp_vstate {
	struct kp_lexer lx;
	const char *key;
	size_t key_len;
	enum kp_policy policy;
	struct kp_verdict *out;
	uint64_t vars;          /* variables the included tunables define */
	bool have_abi;
	size_t rules;
	size_t includes; /* of abstractions */
	struct {
		size_t wildcards; /* '*', '?', '**', counted classes */
		size_t classes;   /* every [...] */
		size_t ambiguity;
		size_t floating;  /* bytes after the first '**' */
	} glob; /* summed over the profile's patterns */
};

/* Record the error (only the first one counts) and return false. */
bool kp_fail(struct kp_vstate *v, enum kp_reason reason, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void kp_warn(struct kp_vstate *v, enum kp_reason reason, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A rule-6 finding: an error under baseline, a warning under permissive. */
bool kp_policy_violation(struct kp_vstate *v, enum kp_reason reason,
    unsigned line, const char *what);

/* The next token is not what the grammar allows here.  Picks the most
 * specific reason: an unterminated quote, '->', or a syntax error. */
bool kp_fail_unexpected(struct kp_vstate *v, const char *expected);
/* Skip whitespace and comments inside a rule (INITIAL state); an include
 * directive or a comment at the end of the text is an error there. */
bool kp_skip_in_rule(struct kp_vstate *v);

bool kp_parse_profile(struct kp_vstate *v);
bool kp_parse_rule(struct kp_vstate *v);

/* File paths: '/...' or '@{VAR}...', quoted or not. */
bool kp_check_path(struct kp_vstate *v, const struct kp_token *tok,
    bool quoted);
/* Values of dbus/mount conditionals and peer labels: no variables, no
 * leading '/' requirement; globs still count. */
bool kp_check_value(struct kp_vstate *v, const struct kp_token *tok,
    const char *what);

#endif /* KP_VALIDATOR_INTERNAL_H */
