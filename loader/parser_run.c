/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/parser_run.h"

#include <stdio.h>
#include <string.h>

#include "common/parser_output.h"
#include "common/spawn.h"

/* `apparmor_parser --version` prints a few lines of copyright: small. */
#define VERSION_OUTPUT_CAP 1024
#define VERSION_TIMEOUT_MS 10000

static enum kp_parser_outcome
outcome_of(enum kp_reason reason)
{
	if (reason == KP_REASON_NONE)
		return KP_PARSER_OK;
	if (reason == KP_REASON_COMPILE_TIMEOUT)
		return KP_PARSER_TIMEOUT;
	if (reason == KP_REASON_COMPILE_CRASHED)
		return KP_PARSER_CRASHED;
	if (reason == KP_REASON_COMPILE_UNAVAILABLE)
		return KP_PARSER_UNAVAILABLE;
	return KP_PARSER_FAILED;
}

enum kp_parser_outcome
kp_parser_replace(const struct kp_parser_cfg *cfg, const char *path,
    const char *key, struct kp_diag *diag, double *elapsed)
{
	struct kp_spawn_limits limits;
	struct kp_spawn_result res;
	char *argv[12];
	size_t n = 0;

	/* Fixed argv: replace, never read or write a cache, compile in this
	 * one process (no workers to chase), nothing from the environment. */
	argv[n++] = (char *)cfg->parser;
	argv[n++] = "--replace";
	argv[n++] = "--skip-cache";
	argv[n++] = "--jobs=0";
	if (cfg->apparmorfs != NULL) {
		argv[n++] = "--subdomainfs";
		argv[n++] = (char *)cfg->apparmorfs;
	}
	if (cfg->features != NULL) {
		argv[n++] = "--kernel-features";
		argv[n++] = (char *)cfg->features;
	}
	argv[n++] = (char *)path;
	argv[n] = NULL;

	kp_spawn_limits_default(&limits);
	limits.timeout_ms = cfg->timeout_s * 1000u;
	limits.cpu_seconds = cfg->timeout_s;

	memset(diag, 0, sizeof(*diag));
	if (kp_spawn_run(cfg->parser, argv, &limits, &res) != 0) {
		diag->reason = KP_REASON_COMPILE_UNAVAILABLE;
		snprintf(diag->message, sizeof(diag->message),
		    "cannot run %s", cfg->parser);
		return KP_PARSER_UNAVAILABLE;
	}
	const struct kp_parser_names nm = {
		.path = path,
		.key = key,
		.dir = NULL,
		.dir_label = NULL,
	};
	enum kp_reason reason = kp_parser_explain(&res, cfg->parser,
	    limits.timeout_ms, &nm, diag);
	if (elapsed != NULL)
		*elapsed = res.elapsed_seconds;
	kp_spawn_result_free(&res);
	return outcome_of(reason);
}

int
kp_parser_version(const char *parser, char *out, size_t outlen)
{
	static const char marker[] = "AppArmor parser version ";
	struct kp_spawn_limits limits;
	struct kp_spawn_result res;
	char *argv[] = { (char *)parser, "--version", NULL };
	int rc = -1;

	kp_spawn_limits_default(&limits);
	limits.timeout_ms = VERSION_TIMEOUT_MS;
	limits.output_cap = VERSION_OUTPUT_CAP;
	if (kp_spawn_run(parser, argv, &limits, &res) != 0)
		return -1;
	if (res.outcome == KP_SPAWN_EXITED && res.exit_code == 0) {
		const char *v = strstr(res.output, marker);
		if (v != NULL) {
			v += sizeof(marker) - 1;
			size_t len = strspn(v, "0123456789.+~_-abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			if (len > 0 && len < outlen && len <= 32) {
				memcpy(out, v, len);
				out[len] = '\0';
				rc = 0;
			}
		}
	}
	kp_spawn_result_free(&res);
	return rc;
}
