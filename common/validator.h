/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The profile validator shared by kapparmor-watcher, kapparmor-loader and
 * kapparmor-check.  It decides, from the key and the exact bytes of its
 * value, whether the text is one AppArmor profile named exactly like the key
 * that uses only constructs we positively understand.  Anything else is
 * rejected: the validator fails closed and is stricter than apparmor_parser.
 *
 * It is pure: no I/O, no allocation that outlives the call, no global state
 * other than constant tables.  The optional compile check (rule 7) lives in
 * compile_check.h because it runs a process.
 */
#ifndef KP_VALIDATOR_H
#define KP_VALIDATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"
#include "common/reason.h"

enum kp_policy {
	KP_POLICY_BASELINE = 0,   /* default: rules 1-6 */
	KP_POLICY_PERMISSIVE = 1, /* rules 1-5 only */
};

/* One finding: a reason, the 1-based line (0 when not tied to a line), and a
 * one-line message that quotes at most the offending token. */
struct kp_diag {
	enum kp_reason reason;
	unsigned line;
	char message[KP_MESSAGE_MAX_LEN];
};

struct kp_verdict {
	bool accepted;
	struct kp_diag error; /* meaningful only when !accepted */
	struct kp_diag warnings[KP_WARNINGS_MAX];
	size_t nwarnings;
	size_t warnings_dropped; /* warnings beyond KP_WARNINGS_MAX */
};

struct kp_validator_opts {
	enum kp_policy policy;
};

/* Rule 1 alone: ^custom\.[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$ over exactly len
 * bytes (an embedded NUL is a mismatch). */
bool kp_key_is_valid(const char *key, size_t len);

/* Rules 1-6.  Always fills *out.  key is NUL-terminated; data is len raw bytes
 * and need not be terminated.  opts may be NULL for the defaults. */
void kp_validate(const char *key, const unsigned char *data, size_t len,
    const struct kp_validator_opts *opts, struct kp_verdict *out);

/* Parse "baseline" / "permissive" (case-insensitive).  Returns false on
 * anything else. */
bool kp_policy_parse(const char *s, enum kp_policy *out);
const char *kp_policy_name(enum kp_policy policy);

#endif /* KP_VALIDATOR_H */
