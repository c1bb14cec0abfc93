/* SPDX-License-Identifier: Apache-2.0 */
#include "watcher/options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "loader/config.h"
#include "common/numparse.h"

int
kp_watcher_opts_parse(int argc, char **argv, struct kp_watcher_opts *o)
{
	static const struct option longopts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "configmap-dir", required_argument, NULL, 'c' },
		{ "poll-time", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'F' },
		{ "policy", required_argument, NULL, 'P' },
		{ "once", no_argument, NULL, 'o' },
		{ "listen", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;

	o->fd = -1;
	o->configmap_dir = NULL;
	o->poll_time = KP_POLL_TIME_DEFAULT;
	o->log_level = KP_LOG_INFO;
	o->log_format = KP_LOG_TEXT;
	o->policy = KP_POLICY_BASELINE;
	o->once = false;
	o->listen = "off";

	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "", longopts, NULL);
		const char *bad = NULL;

		if (c == -1)
			break;
		switch (c) {
		case 'f':
			if (kp_parse_uint(optarg, 3, 1023, &n) != 0)
				bad = "--fd";
			else
				o->fd = (int)n;
			break;
		case 'c':
			if (optarg[0] != '/')
				bad = "--configmap-dir";
			else
				o->configmap_dir = optarg;
			break;
		case 'p':
			if (kp_parse_uint(optarg, KP_POLL_TIME_MIN, KP_POLL_TIME_MAX,
			    &n) != 0)
				bad = "--poll-time";
			else
				o->poll_time = (unsigned)n;
			break;
		case 'l':
			if (!kp_log_level_parse(optarg, &o->log_level))
				bad = "--log-level";
			break;
		case 'F':
			if (!kp_log_format_parse(optarg, &o->log_format))
				bad = "--log-format";
			break;
		case 'P':
			if (!kp_policy_parse(optarg, &o->policy))
				bad = "--policy";
			break;
		case 'o':
			o->once = true;
			break;
		case 'L':
			o->listen = optarg;
			break;
		default:
			bad = "an unknown option";
			break;
		}
		if (bad != NULL) {
			fprintf(stderr, "kapparmor-watcher: invalid %s\n", bad);
			return -1;
		}
	}
	if (optind != argc || o->fd < 0 || o->configmap_dir == NULL) {
		fprintf(stderr, "kapparmor-watcher: usage: kapparmor-watcher "
		    "--fd N --configmap-dir DIR [options] (started by "
		    "kapparmor-loader)\n");
		return -1;
	}
	return 0;
}
