/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's apparmor_parser runs: load (replace) one profile file into
 * the kernel with a fixed argv, through the same spawn-with-limits code as
 * kapparmor-check's compile step.
 */
#ifndef KP_LOADER_PARSER_RUN_H
#define KP_LOADER_PARSER_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/validator.h"

struct kp_parser_cfg {
	const char *parser;      /* absolute path */
	const char *apparmorfs;  /* passed as --subdomainfs when not default */
	const char *features;    /* --kernel-features FILE, or NULL */
	unsigned timeout_s;
};

enum kp_parser_outcome {
	KP_PARSER_OK = 0,
	KP_PARSER_FAILED,        /* non-zero exit: the profile did not load */
	KP_PARSER_TIMEOUT,       /* killed after timeout_s */
	KP_PARSER_CRASHED,       /* killed by a signal (rlimit, crash) */
	KP_PARSER_UNAVAILABLE,   /* could not be started */
	KP_PARSER_CANCELLED,     /* we are stopping: the run was abandoned */
};

/* Replace the profile(s) in path (inside the profiles directory) in the
 * kernel.  key names the profile in messages; diag receives the parser's
 * explanation (its path replaced by the key).  elapsed may be NULL. */
enum kp_parser_outcome kp_parser_replace(const struct kp_parser_cfg *cfg,
    const char *path, const char *key, struct kp_diag *diag,
    double *elapsed);

/* "3.0.8" from `apparmor_parser --version`, or -1. */
int kp_parser_version(const char *parser, char *out, size_t outlen);

#endif /* KP_LOADER_PARSER_RUN_H */
