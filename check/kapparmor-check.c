/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kapparmor-check: the daemon's validator as an offline command.
 *
 *   kapparmor-check [--json] [--no-compile] [--policy baseline|permissive]
 *                   [--parser PATH] [--features FILE] SOURCE...
 *
 * Exit status: 0 every key accepted, 1 some key rejected, 2 a usage error or
 * a source that could not be read at all (or output that could not be
 * written).  The output formats are documented in docs/kapparmor-check.md.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/evaluate.h"
#include "check/report.h"
#include "check/source.h"
#include "common/compile_check.h"
#include "common/configmap.h"
#include "common/validator.h"

#define EXIT_ACCEPTED 0
#define EXIT_REJECTED 1
#define EXIT_TROUBLE  2

#define ERR_MAX 256

enum {
	OPT_JSON = 256,
	OPT_NO_COMPILE,
	OPT_POLICY,
	OPT_PARSER,
	OPT_FEATURES,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-compile", no_argument, NULL, OPT_NO_COMPILE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "parser", required_argument, NULL, OPT_PARSER },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage_line(FILE *f)
{
	fputs("usage: kapparmor-check [--json] [--no-compile] "
	    "[--policy baseline|permissive]\n"
	    "                       [--parser PATH] [--features FILE] "
	    "SOURCE...\n", f);
}

static void
usage(FILE *f)
{
	usage_line(f);
	fprintf(f,
	    "\n"
	    "Check every key of a ConfigMap with the validator kapparmor "
	    "uses.\n"
	    "SOURCE is a ConfigMap directory (as kubelet mounts it), a YAML "
	    "manifest,\n"
	    "or - for a manifest on standard input.\n"
	    "\n"
	    "  --json             one JSON document instead of one line per "
	    "key\n"
	    "  --no-compile       skip the compile check with apparmor_parser\n"
	    "  --policy NAME      baseline (default) or permissive\n"
	    "  --parser PATH      apparmor_parser to compile with (default %s)\n"
	    "  --features FILE    kernel features file (default %s)\n"
	    "  -h, --help         this text\n"
	    "      --version      the version\n"
	    "\n"
	    "Exit status: 0 all keys accepted, 1 a key rejected, 2 usage or "
	    "I/O error.\n",
	    KP_DEFAULT_PARSER, KP_DEFAULT_FEATURES);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kapparmor-check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	usage_line(stderr);
	fputs("Try 'kapparmor-check --help'.\n", stderr);
	exit(EXIT_TROUBLE);
}

/* Tell the user once, on stderr, why keys were rejected with
 * compile-unavailable: the verdict stays fail-closed, and --no-compile is
 * the explicit way to check without the parser. */
static void
note_compile_unavailable(const struct kp_diag *why, bool *noted)
{
	if (*noted)
		return;
	*noted = true;
	fprintf(stderr, "kapparmor-check: the compile check cannot run (%.*s): "
	    "keys that pass rules 1-6 are rejected with %s; use --no-compile "
	    "to check rules 1-6 only\n", KP_MESSAGE_MAX_LEN, why->message,
	    kp_reason_code(KP_REASON_COMPILE_UNAVAILABLE));
}

static void
check_source(struct kc_report *report, const char *source,
    const struct kc_options *opts, bool *noted)
{
	struct kp_entry_set set;
	char err[ERR_MAX];

	if (kc_source_read(source, &set, err, sizeof(err)) != 0) {
		kc_report_source_begin(report, source, err);
		kc_report_source_end(report);
		return;
	}
	kc_report_source_begin(report, source, NULL);
	for (size_t i = 0; i < set.count; i++) {
		struct kc_result result;

		kc_evaluate(&set.entries[i], opts, &result);
		if (!result.accepted &&
		    result.error.reason == KP_REASON_COMPILE_UNAVAILABLE)
			note_compile_unavailable(&result.error, noted);
		kc_report_key(report, &set.entries[i], &result);
	}
	kc_report_source_end(report);
	kp_entry_set_free(&set);
}

int
main(int argc, char **argv)
{
	struct kc_options opts;
	bool json = false;
	int c;

	memset(&opts, 0, sizeof(opts));
	opts.policy = KP_POLICY_BASELINE;
	opts.compile = true;
	kp_compile_opts_default(&opts.compile_opts);

	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_NO_COMPILE:
			opts.compile = false;
			break;
		case OPT_POLICY:
			if (!kp_policy_parse(optarg, &opts.policy))
				usage_error("unknown policy \"%s\"", optarg);
			break;
		case OPT_PARSER:
			if (optarg[0] != '/')
				usage_error("--parser needs an absolute path");
			opts.compile_opts.parser = optarg;
			break;
		case OPT_FEATURES:
			if (optarg[0] != '/')
				usage_error("--features needs an absolute path");
			opts.compile_opts.features = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_ACCEPTED;
		case OPT_VERSION:
			printf("kapparmor-check %s\n", KP_VERSION);
			return EXIT_ACCEPTED;
		default:
			usage_line(stderr);
			fputs("Try 'kapparmor-check --help'.\n", stderr);
			return EXIT_TROUBLE;
		}
	}
	if (optind >= argc)
		usage_error("no SOURCE given");
	int nstdin = 0;
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0')
			usage_error("empty SOURCE");
		if (strcmp(argv[i], KC_STDIN_SOURCE) == 0 && ++nstdin > 1)
			usage_error("\"%s\" given more than once", KC_STDIN_SOURCE);
	}

	struct kc_report report = {
		.out = stdout,
		.errout = stderr,
		.json = json,
		.prefix_source = argc - optind > 1,
		.opts = &opts,
	};
	bool noted = false;

	kc_report_begin(&report);
	for (int i = optind; i < argc; i++)
		check_source(&report, argv[i], &opts, &noted);
	kc_report_end(&report);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kapparmor-check: cannot write the output\n");
		return EXIT_TROUBLE;
	}
	if (report.source_errors > 0)
		return EXIT_TROUBLE;
	return report.rejected > 0 ? EXIT_REJECTED : EXIT_ACCEPTED;
}
