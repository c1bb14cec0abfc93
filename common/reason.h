/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stable reason codes for every way a ConfigMap key can be refused.
 *
 * The string form of each code is an interface: it appears in logs, in
 * kapparmor-check's output and JSON, in the protocol's Result messages and
 * as a Prometheus label.  Never rename or reuse one; add new codes at the end
 * of their group.
 */
#ifndef KP_REASON_H
#define KP_REASON_H

#define KP_REASONS(X)                                                      \
	X(NONE,                 "ok")                                      \
	/* rule 1: the key */                                              \
	X(KEY_FORMAT,           "key-format")                              \
	/* rule 2: bytes, sizes and complexity */                          \
	X(TOO_LARGE,            "too-large")                               \
	X(BAD_BYTE,             "bad-byte")                                \
	X(LINE_TOO_LONG,        "line-too-long")                           \
	X(TOO_MANY_RULES,       "too-many-rules")                          \
	X(GLOB_COMPLEXITY,      "glob-complexity")                         \
	X(EMPTY,                "empty")                                   \
	/* rule 3: structure */                                            \
	X(NO_PROFILE,           "no-profile")                              \
	X(PREAMBLE,             "preamble-statement")                      \
	X(ABI,                  "abi-not-allowed")                         \
	X(TUNABLE,              "tunable-not-allowed")                     \
	X(HEADER,               "bad-header")                              \
	X(NAME_MISMATCH,        "name-mismatch")                           \
	X(EXTRA_PROFILE,        "extra-profile")                           \
	X(FLAG,                 "flag-not-allowed")                        \
	X(COMPLAIN,             "complain-mode")                           \
	X(UNBALANCED,           "unbalanced")                              \
	X(TRAILING,             "trailing-content")                        \
	/* rule 4: includes */                                             \
	X(INCLUDE,              "include-not-allowed")                     \
	/* rule 5: forbidden constructs */                                 \
	X(VARIABLE_DEF,         "variable-definition")                     \
	X(ALIAS,                "alias")                                   \
	X(CONDITIONAL,          "conditional")                             \
	X(HAT,                  "hat")                                     \
	X(CHILD_PROFILE,        "child-profile")                           \
	X(ARROW,                "transition-target")                       \
	X(BACKSLASH,            "backslash")                               \
	X(QUOTE,                "unterminated-quote")                      \
	X(UNKNOWN_VARIABLE,     "unknown-variable")                        \
	X(UNKNOWN_RULE,         "unknown-rule")                            \
	X(SYNTAX,               "syntax")                                  \
	/* rule 6: policy tier (baseline) */                               \
	X(POLICY_MOUNT,         "policy-mount")                            \
	X(POLICY_PIVOT_ROOT,    "policy-pivot-root")                       \
	X(POLICY_CHANGE_PROFILE, "policy-change-profile")                  \
	X(POLICY_USERNS,        "policy-userns")                           \
	X(POLICY_ALL,           "policy-all-rule")                         \
	X(POLICY_EXEC,          "policy-exec-transition")                  \
	X(POLICY_UNCONFINED,    "policy-unconfined")                       \
	/* rule 6 warnings: accepted, but worth an auditor's look */       \
	X(WARN_CAPABILITY_ALL,  "warn-capability-all")                     \
	X(WARN_CAPABILITY,      "warn-dangerous-capability")               \
	X(WARN_FILE_ALL,        "warn-file-all")                           \
	X(WARN_UMOUNT,          "warn-umount")                             \
	X(WARN_PTRACE,          "warn-ptrace")                             \
	X(WARN_WRITE_ROOT,      "warn-write-root")                         \
	/* rule 7: compile check */                                        \
	X(COMPILE_FAILED,       "compile-failed")                          \
	X(COMPILE_TIMEOUT,      "compile-timeout")                         \
	X(COMPILE_CRASHED,      "compile-crashed")                         \
	X(COMPILE_UNAVAILABLE,  "compile-unavailable")                     \
	/* reading a ConfigMap directory or manifest */                    \
	X(NOT_REGULAR_FILE,     "not-regular-file")                        \
	X(SYMLINK_ESCAPE,       "symlink-escape")                          \
	X(READ_ERROR,           "read-error")                              \
	X(BINARY_DATA,          "binary-data")                             \
	X(DUPLICATE_KEY,        "duplicate-key")                           \
	X(TOO_MANY_KEYS,        "too-many-keys")

enum kp_reason {
#define KP_REASON_ENUM(name, str) KP_REASON_##name,
	KP_REASONS(KP_REASON_ENUM)
#undef KP_REASON_ENUM
	KP_REASON__COUNT
};

/* The stable string form ("bad-byte"); "unknown" for out-of-range values. */
const char *kp_reason_code(enum kp_reason reason);

#endif /* KP_REASON_H */
