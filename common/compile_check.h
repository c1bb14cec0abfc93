/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule 7: compile an already-accepted profile with the real apparmor_parser
 * without loading it (-Q -K -j0 --kernel-features FILE), through spawn.h.
 */
#ifndef KP_COMPILE_CHECK_H
#define KP_COMPILE_CHECK_H

#include <stddef.h>

#include "common/spawn.h"
#include "common/validator.h"

#define KP_DEFAULT_PARSER   "/sbin/apparmor_parser"
#define KP_DEFAULT_FEATURES "/usr/share/apparmor-features/features"

struct kp_compile_opts {
	const char *parser;   /* NULL: KP_DEFAULT_PARSER */
	const char *features; /* NULL: KP_DEFAULT_FEATURES */
	struct kp_spawn_limits limits;
};

void kp_compile_opts_default(struct kp_compile_opts *opts);

/* Returns KP_REASON_NONE when the parser compiled the text, else one of
 * COMPILE_FAILED / COMPILE_TIMEOUT / COMPILE_CRASHED / COMPILE_UNAVAILABLE,
 * with *diag holding a sanitised first line of the parser's output. */
enum kp_reason kp_compile_check(const char *key, const unsigned char *data,
    size_t len, const struct kp_compile_opts *opts, struct kp_diag *diag);

#endif /* KP_COMPILE_CHECK_H */
