/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's configuration: command-line flags, each with an environment
 * variable as the original Kapparmor had.  A flag wins over its variable.
 * Every value is checked; an invalid one is a start-up error (exit 2),
 * never a silent default.
 */
#ifndef KP_LOADER_CONFIG_H
#define KP_LOADER_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/log.h"
#include "common/validator.h"

#define KP_POLL_TIME_MIN       1
#define KP_POLL_TIME_MAX       86400
#define KP_POLL_TIME_DEFAULT   30
#define KP_PARSER_TIMEOUT_MIN  1
#define KP_PARSER_TIMEOUT_MAX  600
#define KP_PARSER_TIMEOUT_DEFAULT 30
/* A uid of our own: 65534 (nobody) is shared by other host processes, which
 * could signal the watcher when the pod shares the host PID namespace. */
#define KP_WATCHER_UID_DEFAULT 61374

struct kp_config {
	const char *configmap_dir;
	const char *profiles_dir;
	unsigned poll_time;
	enum kp_log_level log_level;
	enum kp_log_format log_format;
	const char *parser;
	const char *apparmorfs;
	const char *features;       /* kernel features file for the parser */
	const char *proc;
	enum kp_policy policy;
	bool in_use_protection;
	uid_t watcher_uid;
	gid_t watcher_gid;
	unsigned parser_timeout;
	bool once;
	const char *watcher_path;
	const char *listen;         /* watcher HTTP endpoint, "off" disables */
};

/* Fill *cfg from argv and the environment.  On a usage error, writes one
 * line to *err and returns -1 (the caller exits 2).  Returns 1 when --help
 * or --version was printed (exit 0). */
int kp_config_parse(int argc, char **argv, char **envp, struct kp_config *cfg,
    char *err, size_t errlen);

void kp_config_usage(const char *argv0);

#endif /* KP_LOADER_CONFIG_H */
