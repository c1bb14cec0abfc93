/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a finished apparmor_parser run means, in one line: the reason and
 * the parser's own explanation, cleaned for a log line or a Result.  Shared
 * by kapparmor-check's compile step and the loader's loads, so a parser
 * failure reads the same wherever it is reported.
 */
#ifndef KP_PARSER_OUTPUT_H
#define KP_PARSER_OUTPUT_H

#include "common/spawn.h"
#include "common/validator.h"

/* Longest file path the cleaner recognises in the parser's output. */
#define KP_PARSER_PATH_MAX 4096

/* The names to hide: the file the parser was given becomes the key, and
 * (when dir is not NULL) a mention of its directory becomes dir_label. */
struct kp_parser_names {
	const char *path;
	const char *key;
	const char *dir;
	const char *dir_label;
};

/* NONE for exit 0; COMPILE_FAILED with the first line that mentions an
 * error (else the first non-blank one) and its line number when it is in
 * the given file; COMPILE_CRASHED for a signal; COMPILE_TIMEOUT;
 * COMPILE_UNAVAILABLE when the parser could not be started. */
enum kp_reason kp_parser_explain(const struct kp_spawn_result *res,
    const char *parser, unsigned timeout_ms, const struct kp_parser_names *nm,
    struct kp_diag *diag);

#endif /* KP_PARSER_OUTPUT_H */
