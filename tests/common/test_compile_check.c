/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kp_compile_check with the real apparmor_parser 3.0.8 (installed by
 * scripts/setup-deps.sh) and with the stand-ins of tests/helpers/
 * fake_parser.c (paths in $KP_FAKE_PARSER_*).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/compile_check.h"

/* The example ConfigMap value of the original project's README. */
static const char readme_profile[] =
	"#include <tunables/global>\n"
	"profile custom.deny-write-outside-home flags=(attach_disconnected,mediate_deleted) {\n"
	"  #include <abstractions/base>\n"
	"  capability setuid,\n"
	"  capability setgid,\n"
	"  capability dac_override,\n"
	"  /home/** rw,\n"
	"  /tmp/** rw,\n"
	"  /var/tmp/** rw,\n"
	"  deny /etc/** w,\n"
	"  deny /root/** w,\n"
	"  deny / w,\n"
	"}\n";

/* The same with the comma of line 5 missing: the parser stops at line 6. */
static const char syntax_error_profile[] =
	"#include <tunables/global>\n"
	"profile custom.bad-syntax {\n"
	"  #include <abstractions/base>\n"
	"  capability setuid,\n"
	"  capability setgid\n"
	"  capability dac_override,\n"
	"}\n";

/* Accepted by every structural rule, yet hours of DFA work (issue 3). */
static const char hostile_glob_profile[] =
	"profile custom.glob {\n"
	"  /**a?????????????????? r,\n"
	"}\n";

static char tmpdir[] = "/tmp/kp-compile-test.XXXXXX";

/* Every test gets its own TMPDIR, to check that nothing is left in it. */
static void
setup_tmpdir(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(setenv("TMPDIR", tmpdir, 1), 0);
}

static int
entries_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Criterion counts a failed assertion in .fini as a pass: the emptiness
 * of TMPDIR is asserted after every call, in check(). */
static void
teardown_tmpdir(void)
{
	rmdir(tmpdir);
}

TestSuite(compile_check, .init = setup_tmpdir, .fini = teardown_tmpdir);

static const char *
fake(const char *mode)
{
	char name[64];
	const char *p;

	snprintf(name, sizeof(name), "KP_FAKE_PARSER_%s", mode);
	p = getenv(name);
	cr_assert_not_null(p, "%s unset: run through meson test", name);
	return p;
}

/* One compile check; afterwards the private copy must be gone. */
static enum kp_reason
check(const char *key, const char *text, const struct kp_compile_opts *opts,
    struct kp_diag *diag)
{
	enum kp_reason r;

	memset(diag, 0x5a, sizeof(*diag));
	r = kp_compile_check(key, (const unsigned char *)text, strlen(text),
	    opts, diag);
	cr_assert_eq(entries_in(tmpdir), 0, "private copy left in %s", tmpdir);
	return r;
}

Test(compile_check, readme_example_compiles)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	cr_assert_eq(check("custom.deny-write-outside-home", readme_profile,
	    &opts, &diag), KP_REASON_NONE, "message: %s", diag.message);
	cr_assert_eq(diag.reason, KP_REASON_NONE);
	cr_assert_eq(diag.line, 0);
	cr_assert_str_eq(diag.message, "");
}

Test(compile_check, null_opts_means_defaults)
{
	struct kp_diag diag;

	cr_assert_eq(check("custom.deny-write-outside-home", readme_profile,
	    NULL, &diag), KP_REASON_NONE, "message: %s", diag.message);
}

Test(compile_check, syntax_error_names_key_and_line_not_tmp_path)
{
	struct kp_diag diag;

	cr_assert_eq(check("custom.bad-syntax", syntax_error_profile, NULL,
	    &diag), KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.reason, KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.line, 6);
	cr_assert_str_eq(diag.message,
	    "AppArmor parser error for custom.bad-syntax at line 6: syntax "
	    "error, unexpected TOK_CAPABILITY, expecting TOK_ID or "
	    "TOK_END_OF_RULE");
	cr_assert_null(strstr(diag.message, tmpdir));
	cr_assert_null(strstr(diag.message, "kapparmor-check."));
}

Test(compile_check, missing_abstraction_fails)
{
	static const char text[] =
		"profile custom.inc {\n"
		"  #include <abstractions/kp-no-such-abstraction>\n"
		"}\n";
	struct kp_diag diag;

	cr_assert_eq(check("custom.inc", text, NULL, &diag),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.line, 2);
	cr_assert_str_eq(diag.message,
	    "AppArmor parser error for custom.inc at line 2: Could not open "
	    "'abstractions/kp-no-such-abstraction'");
}

/* The real parser on a hostile glob: a small address space makes it abort
 * (std::bad_alloc), a short timeout kills it. */
Test(compile_check, hostile_glob_hits_memory_limit)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.limits.as_bytes = 64u << 20;
	cr_assert_eq(check("custom.glob", hostile_glob_profile, &opts, &diag),
	    KP_REASON_COMPILE_CRASHED, "message: %s", diag.message);
	cr_assert_str_eq(diag.message,
	    "apparmor_parser killed by signal 6 (SIGABRT)");
}

Test(compile_check, hostile_glob_hits_timeout)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.limits.as_bytes = 0;
	opts.limits.timeout_ms = 500;
	cr_assert_eq(check("custom.glob", hostile_glob_profile, &opts, &diag),
	    KP_REASON_COMPILE_TIMEOUT, "message: %s", diag.message);
	cr_assert_str_eq(diag.message,
	    "apparmor_parser did not finish within 500 ms");
}

/* Outcomes with stand-in parsers. */

Test(compile_check, fake_parser_that_sleeps_times_out)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = fake("SLEEP");
	opts.limits.timeout_ms = 300;
	cr_assert_eq(check("custom.sleep", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_TIMEOUT);
	cr_assert_eq(diag.reason, KP_REASON_COMPILE_TIMEOUT);
	cr_assert_eq(diag.line, 0);
	cr_assert_str_eq(diag.message,
	    "apparmor_parser did not finish within 300 ms");
}

Test(compile_check, fake_parser_that_segfaults_crashes)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = fake("SEGV");
	cr_assert_eq(check("custom.segv", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_CRASHED);
	cr_assert_str_eq(diag.message,
	    "apparmor_parser killed by signal 11 (SIGSEGV)");
}

/* The exact argv, and the modes of the private copy. */
Test(compile_check, argv_and_private_copy_modes)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = fake("ARGS");
	cr_assert_eq(check("custom.args", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.line, 0);
	cr_assert_str_eq(diag.message,
	    "error: -Q -K -j0 --kernel-features "
	    "/usr/share/apparmor-features/features custom.args "
	    "file=600 dir=700");
}

Test(compile_check, private_copy_modes_ignore_umask)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	umask(0777);
	kp_compile_opts_default(&opts);
	opts.parser = fake("ARGS");
	cr_assert_eq(check("custom.args", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_not_null(strstr(diag.message, " file=600 dir=700"),
	    "message: %s", diag.message);
}

/* The error line wins over an earlier warning; control bytes become '?'. */
Test(compile_check, message_is_sanitised)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = fake("REPORT");
	cr_assert_eq(check("custom.rep", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.line, 3);
	cr_assert_str_eq(diag.message,
	    "AppArmor parser error for custom.rep at line 3: bad?? thing");
}

/* An error inside an included file: its line number is not ours; a line
 * too long for a message ends in "...". */
Test(compile_check, include_error_has_no_line_and_long_message_is_cut)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;
	char want[KP_MESSAGE_MAX_LEN];
	const char *head = "AppArmor parser error for custom.inc in profile "
	    "/etc/apparmor.d/abstractions/kp at line 9: ";

	kp_compile_opts_default(&opts);
	opts.parser = fake("INCLUDE");
	cr_assert_eq(check("custom.inc", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_eq(diag.line, 0);
	memset(want, 'z', sizeof(want));
	memcpy(want, head, strlen(head));
	memcpy(want + sizeof(want) - 4, "...", 4);
	cr_assert_str_eq(diag.message, want);
	cr_assert_eq(strlen(diag.message), KP_MESSAGE_MAX_LEN - 1);
}

/* Unavailable. */

Test(compile_check, missing_parser_is_unavailable)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = "/nonexistent/apparmor_parser";
	cr_assert_eq(check("custom.x", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_str_eq(diag.message, "cannot run /nonexistent/apparmor_parser "
	    "(exec): No such file or directory");
}

Test(compile_check, relative_parser_is_unavailable)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.parser = "apparmor_parser";
	cr_assert_eq(check("custom.x", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_str_eq(diag.message,
	    "parser path apparmor_parser is not absolute");
}

Test(compile_check, missing_features_is_unavailable)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;

	kp_compile_opts_default(&opts);
	opts.features = "/nonexistent/features";
	cr_assert_eq(check("custom.x", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_str_eq(diag.message,
	    "kernel features /nonexistent/features: No such file or directory");
}

Test(compile_check, fifo_features_is_unavailable)
{
	struct kp_compile_opts opts;
	struct kp_diag diag;
	char dir[] = "/tmp/kp-compile-fifo.XXXXXX";
	char fifo[128];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	kp_compile_opts_default(&opts);
	opts.features = fifo;
	cr_assert_eq(check("custom.x", readme_profile, &opts, &diag),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_not_null(strstr(diag.message, "not a file or directory"));
	unlink(fifo);
	rmdir(dir);
}

/* The run cannot even start (no pipe): unavailable, and the private copy
 * is still removed.  pipe2 fails under a seccomp filter in a forked child
 * that leaves with _exit (no LeakSanitizer scan under a filter). */
static int
no_pipe_checks(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct kp_diag diag;

	if (ctx == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EMFILE), SCMP_SYS(pipe2), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EMFILE), SCMP_SYS(pipe), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		return 10;
	seccomp_release(ctx);
	memset(&diag, 0, sizeof(diag));
	if (kp_compile_check("custom.x", (const unsigned char *)readme_profile,
	    strlen(readme_profile), NULL, &diag) != KP_REASON_COMPILE_UNAVAILABLE)
		return 11;
	if (strcmp(diag.message, "cannot run /sbin/apparmor_parser: Too many "
	    "open files") != 0)
		return 12;
	if (entries_in(tmpdir) != 0)
		return 13;
	return 0;
}

Test(compile_check, spawn_failure_is_unavailable_and_cleans_up)
{
	int status = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(no_pipe_checks());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "status %#x", status);
	cr_assert_eq(WEXITSTATUS(status), 0, "check %d failed",
	    WEXITSTATUS(status));
}

Test(compile_check, unusable_tmpdir_is_unavailable)
{
	struct kp_diag diag;
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	cr_assert_eq(setenv("TMPDIR", missing, 1), 0);
	cr_assert_eq(check("custom.x", readme_profile, NULL, &diag),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_str_eq(diag.message,
	    "cannot write a private copy: No such file or directory");
}

Test(compile_check, relative_tmpdir_falls_back_to_tmp)
{
	struct kp_diag diag;

	cr_assert_eq(setenv("TMPDIR", "relative/dir", 1), 0);
	cr_assert_eq(check("custom.deny-write-outside-home", readme_profile,
	    NULL, &diag), KP_REASON_NONE, "message: %s", diag.message);
}

Test(compile_check, key_that_is_no_file_name_is_refused)
{
	static const char *const keys[] = {
		"", ".", "..", "custom.a/b", "../custom.x", "custom.a b",
		"custom.\x7f", "custom.\xc3\xa9",
	};
	struct kp_diag diag;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cr_assert_eq(check(keys[i], readme_profile, NULL, &diag),
		    KP_REASON_KEY_FORMAT, "key %zu", i);
		cr_assert_str_eq(diag.message, "key cannot name a file");
	}
}

Test(compile_check, defaults)
{
	struct kp_compile_opts opts;

	memset(&opts, 0x5a, sizeof(opts));
	kp_compile_opts_default(&opts);
	cr_assert_str_eq(opts.parser, "/sbin/apparmor_parser");
	cr_assert_str_eq(opts.features, "/usr/share/apparmor-features/features");
	cr_assert_eq(opts.limits.timeout_ms, 10000);
	cr_assert_eq(opts.limits.cpu_seconds, 10);
	cr_assert_eq(opts.limits.as_bytes, (rlim_t)512 << 20);
	cr_assert_eq(opts.limits.output_cap, 4096);
	cr_assert_eq(opts.limits.oom_score_adj, 1000);
	cr_assert_eq(opts.limits.nofile, 256);
}
