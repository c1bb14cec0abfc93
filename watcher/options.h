/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The watcher's command line.  The loader starts it with an empty
 * environment and passes every setting as a flag; nothing is read from the
 * environment here.
 */
#ifndef KP_WATCHER_OPTIONS_H
#define KP_WATCHER_OPTIONS_H

#include <stdbool.h>

#include "common/log.h"
#include "common/validator.h"

struct kp_watcher_opts {
	int fd;                     /* the socket to the loader */
	const char *configmap_dir;
	unsigned poll_time;         /* seconds between full resyncs */
	enum kp_log_level log_level;
	enum kp_log_format log_format;
	enum kp_policy policy;
	bool once;
	const char *listen;
};

/* Returns 0, or -1 after printing a usage error to stderr. */
int kp_watcher_opts_parse(int argc, char **argv, struct kp_watcher_opts *o);

#endif /* KP_WATCHER_OPTIONS_H */
