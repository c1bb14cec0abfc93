/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule 7: compile an already-accepted profile with the real apparmor_parser
 * without loading it (-Q -K -j0 --kernel-features FILE), through spawn.h.
 *
 * The text is written to a private copy (a mkdtemp directory, 0700, below
 * $TMPDIR or /tmp; one file named like the key, 0600, O_EXCL|O_NOFOLLOW),
 * compiled, and both are removed whatever happened.  The parser never
 * writes a cache and never touches the kernel, so the check works on a node
 * or a laptop without AppArmor.
 */
#ifndef KP_COMPILE_CHECK_H
#define KP_COMPILE_CHECK_H

#include <stddef.h>

#include "common/spawn.h"
#include "common/validator.h"

#define KP_DEFAULT_PARSER   "/sbin/apparmor_parser"
#define KP_DEFAULT_FEATURES "/usr/share/apparmor-features/features"

/* The checker's limits differ from the loader's (spawn.h defaults): an
 * accepted profile compiles in about a second at most (rule 2), and an
 * offline check should give up sooner than the daemon. */
#define KP_COMPILE_DEFAULT_TIMEOUT_MS  10000u
#define KP_COMPILE_DEFAULT_CPU_SECONDS 10

struct kp_compile_opts {
	const char *parser;   /* absolute; NULL: KP_DEFAULT_PARSER */
	const char *features; /* NULL: KP_DEFAULT_FEATURES */
	struct kp_spawn_limits limits;
};

/* Default parser and features, spawn.h's default limits with the timeout
 * and CPU limit above (512 MiB, 4 KiB output, oom_score_adj 1000). */
void kp_compile_opts_default(struct kp_compile_opts *opts);

/* Returns KP_REASON_NONE when the parser compiled the text (diag->message
 * empty), else, with *diag filled:
 *   COMPILE_FAILED       non-zero exit: the parser's first line that
 *                        mentions an error (else its first non-blank line),
 *                        printable ASCII only, the private path replaced by
 *                        the key (named once), cut to KP_MESSAGE_MAX_LEN
 *                        with "..."; diag->line is the line it names in our
 *                        text, 0 when the error is in an included file
 *   COMPILE_CRASHED      killed by a signal (e.g. SIGSEGV, SIGXCPU)
 *   COMPILE_TIMEOUT      killed after opts->limits.timeout_ms
 *   COMPILE_UNAVAILABLE  parser or features file missing or not runnable,
 *                        or the private copy could not be written
 *   KEY_FORMAT           key could not be a file name (callers validate
 *                        keys first; this only guards the path)
 * opts may be NULL for the defaults. */
enum kp_reason kp_compile_check(const char *key, const unsigned char *data,
    size_t len, const struct kp_compile_opts *opts, struct kp_diag *diag);

#endif /* KP_COMPILE_CHECK_H */
