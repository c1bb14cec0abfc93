/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/compile_check.h"
#include "common/numparse.h"

enum opt_id {
	OPT_CONFIGMAP_DIR = 1000,
	OPT_PROFILES_DIR,
	OPT_POLL_TIME,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_PARSER,
	OPT_APPARMORFS,
	OPT_FEATURES,
	OPT_PROC,
	OPT_POLICY,
	OPT_IN_USE_PROTECTION,
	OPT_WATCHER_UID,
	OPT_WATCHER_GID,
	OPT_PARSER_TIMEOUT,
	OPT_ONCE,
	OPT_WATCHER,
	OPT_LISTEN,
	OPT_HELP,
	OPT_VERSION,
};

/* One row per setting: its flag, its environment variable (NULL: flag
 * only), and whether the flag takes a value. */
static const struct setting {
	enum opt_id id;
	const char *flag;
	const char *env;
	int has_arg;
} settings[] = {
	{ OPT_CONFIGMAP_DIR, "configmap-dir", "CONFIGMAP_PATH", required_argument },
	{ OPT_PROFILES_DIR, "profiles-dir", "PROFILES_DIR", required_argument },
	{ OPT_POLL_TIME, "poll-time", "POLL_TIME", required_argument },
	{ OPT_LOG_LEVEL, "log-level", "LOG_LEVEL", required_argument },
	{ OPT_LOG_FORMAT, "log-format", "LOG_FORMAT", required_argument },
	{ OPT_PARSER, "parser", "APPARMOR_PARSER", required_argument },
	{ OPT_APPARMORFS, "apparmorfs", "APPARMORFS", required_argument },
	{ OPT_FEATURES, "features", "APPARMOR_FEATURES", required_argument },
	{ OPT_PROC, "proc", NULL, required_argument },
	{ OPT_POLICY, "policy", "POLICY", required_argument },
	{ OPT_IN_USE_PROTECTION, "in-use-protection", "IN_USE_PROTECTION", optional_argument },
	{ OPT_WATCHER_UID, "watcher-uid", "WATCHER_UID", required_argument },
	{ OPT_WATCHER_GID, "watcher-gid", "WATCHER_GID", required_argument },
	{ OPT_PARSER_TIMEOUT, "parser-timeout", "PARSER_TIMEOUT", required_argument },
	{ OPT_ONCE, "once", NULL, no_argument },
	{ OPT_WATCHER, "watcher", NULL, required_argument },
	{ OPT_LISTEN, "listen", "LISTEN_ADDR", required_argument },
	{ OPT_HELP, "help", NULL, no_argument },
	{ OPT_VERSION, "version", NULL, no_argument },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
check_path(const char *s)
{
	return (s[0] == '/' && strlen(s) < PATH_MAX) ? 0 : -1;
}

static void
config_defaults(struct kp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->configmap_dir = "/app/profiles";
	cfg->profiles_dir = "/etc/apparmor.d/custom";
	cfg->poll_time = KP_POLL_TIME_DEFAULT;
	cfg->log_level = KP_LOG_INFO;
	cfg->log_format = KP_LOG_TEXT;
	cfg->parser = KP_DEFAULT_PARSER;
	cfg->apparmorfs = "/sys/kernel/security/apparmor";
	cfg->features = NULL;
	cfg->proc = "/proc";
	cfg->policy = KP_POLICY_BASELINE;
	cfg->in_use_protection = true;
	cfg->watcher_uid = KP_WATCHER_UID_DEFAULT;
	cfg->watcher_gid = (gid_t)-1; /* same as the uid unless set */
	cfg->parser_timeout = KP_PARSER_TIMEOUT_DEFAULT;
	cfg->once = false;
	cfg->watcher_path = NULL;     /* beside the loader, resolved by main */
	cfg->listen = "[::]:8080";
}

/* Apply one value.  source names where it came from, for the message. */
static int
apply(struct kp_config *cfg, enum opt_id id, const char *v, const char *source,
    char *err, size_t errlen)
{
	unsigned long n;
	const char *what = NULL;

	switch (id) {
	case OPT_CONFIGMAP_DIR:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->configmap_dir = v;
		break;
	case OPT_PROFILES_DIR:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->profiles_dir = v;
		break;
	case OPT_POLL_TIME:
		if (kp_parse_uint(v, KP_POLL_TIME_MIN, KP_POLL_TIME_MAX, &n) != 0)
			what = "a whole number of seconds from 1 to 86400";
		else
			cfg->poll_time = (unsigned)n;
		break;
	case OPT_LOG_LEVEL:
		if (!kp_log_level_parse(v, &cfg->log_level))
			what = "one of debug, info, warn, error";
		break;
	case OPT_LOG_FORMAT:
		if (!kp_log_format_parse(v, &cfg->log_format))
			what = "text or json";
		break;
	case OPT_PARSER:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->parser = v;
		break;
	case OPT_APPARMORFS:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->apparmorfs = v;
		break;
	case OPT_FEATURES:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->features = v;
		break;
	case OPT_PROC:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->proc = v;
		break;
	case OPT_POLICY:
		if (!kp_policy_parse(v, &cfg->policy))
			what = "baseline or permissive";
		break;
	case OPT_IN_USE_PROTECTION:
		if (v == NULL)
			cfg->in_use_protection = true;
		else if (parse_bool(v, &cfg->in_use_protection) != 0)
			what = "true or false";
		break;
	case OPT_WATCHER_UID:
		/* Never root, never the shared nobody. */
		if (kp_parse_uint(v, 1, 0x7fffffffUL, &n) != 0 || n == 65534)
			what = "a dedicated uid (1 to 2147483647, not 65534)";
		else
			cfg->watcher_uid = (uid_t)n;
		break;
	case OPT_WATCHER_GID:
		if (kp_parse_uint(v, 1, 0x7fffffffUL, &n) != 0 || n == 65534)
			what = "a dedicated gid (1 to 2147483647, not 65534)";
		else
			cfg->watcher_gid = (gid_t)n;
		break;
	case OPT_PARSER_TIMEOUT:
		if (kp_parse_uint(v, KP_PARSER_TIMEOUT_MIN, KP_PARSER_TIMEOUT_MAX,
		    &n) != 0)
			what = "a whole number of seconds from 1 to 600";
		else
			cfg->parser_timeout = (unsigned)n;
		break;
	case OPT_ONCE:
		cfg->once = true;
		break;
	case OPT_WATCHER:
		if (check_path(v) != 0)
			what = "an absolute path";
		else
			cfg->watcher_path = v;
		break;
	case OPT_LISTEN:
		cfg->listen = v;
		break;
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	if (what != NULL) {
		/* Quote at most a prefix of the value: it may be anything. */
		snprintf(err, errlen, "invalid %s '%.64s': expected %s", source,
		    v, what);
		return -1;
	}
	return 0;
}

static const char *
env_lookup(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (char **e = envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	}
	return NULL;
}

void
kp_config_usage(const char *argv0)
{
	printf("usage: %s [options]\n\noptions (environment variable in brackets):\n",
	    argv0);
	for (size_t i = 0; i < NSETTINGS; i++) {
		printf("  --%s%s", settings[i].flag,
		    settings[i].has_arg == required_argument ? "=VALUE" :
		    settings[i].has_arg == optional_argument ? "[=BOOL]" : "");
		if (settings[i].env != NULL)
			printf("  [%s]", settings[i].env);
		putchar('\n');
	}
}

int
kp_config_parse(int argc, char **argv, char **envp, struct kp_config *cfg,
    char *err, size_t errlen)
{
	struct option longopts[NSETTINGS + 1];
	char source[64];

	config_defaults(cfg);

	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v;

		if (settings[i].env == NULL ||
		    (v = env_lookup(envp, settings[i].env)) == NULL)
			continue;
		snprintf(source, sizeof(source), "%s", settings[i].env);
		if (apply(cfg, settings[i].id, v, source, err, errlen) != 0)
			return -1;
	}

	for (size_t i = 0; i < NSETTINGS; i++) {
		longopts[i].name = settings[i].flag;
		longopts[i].has_arg = settings[i].has_arg;
		longopts[i].flag = NULL;
		longopts[i].val = (int)settings[i].id;
	}
	/* the all-zero row that ends getopt_long's table */
	longopts[NSETTINGS] = (struct option){ 0 };

	optind = 1;
	opterr = 0;
	for (;;) {
		int idx = -1;
		int c = getopt_long(argc, argv, "", longopts, &idx);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			snprintf(err, errlen, "unknown option or missing value: '%.64s'",
			    argv[optind - 1]);
			return -1;
		}
		if (c == OPT_HELP) {
			kp_config_usage(argv[0]);
			return 1;
		}
		if (c == OPT_VERSION) {
			printf("kapparmor %s\n", KP_VERSION);
			return 1;
		}
		snprintf(source, sizeof(source), "--%s", longopts[idx].name);
		if (apply(cfg, (enum opt_id)c, optarg, source, err, errlen) != 0)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%.64s'", argv[optind]);
		return -1;
	}
	if (cfg->watcher_gid == (gid_t)-1)
		cfg->watcher_gid = (gid_t)cfg->watcher_uid;
	return 0;
}
