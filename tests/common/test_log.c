/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Capture what the logger writes to stderr. */
static char captured[8192];

static void
capture(void (*emit)(void))
{
	char path[] = "/tmp/kp-test-log.XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	emit();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, captured, sizeof(captured) - 1, 0);
	cr_assert_geq(n, 0);
	captured[n] = '\0';
	close(fd);
}

static void
emit_text(void)
{
	kp_log_init("loader", KP_LOG_INFO, KP_LOG_TEXT);
	kp_log(KP_LOG_DEBUG, "hidden", NULL, "not shown");
	kp_log(KP_LOG_INFO, "profile_loaded", "custom.a",
	    "Profile %s loaded", "custom.a");
}

Test(log, text_line_names_process_event_and_key)
{
	capture(emit_text);
	/* "<time> info  loader[profile_loaded]: custom.a: Profile ... loaded" */
	const char *rest = strchr(captured, ' ');
	cr_assert_not_null(rest);
	cr_assert_str_eq(rest, " info  loader[profile_loaded]: custom.a: "
	    "Profile custom.a loaded\n");
	cr_assert_eq(captured[4], '-');
	cr_assert_eq(captured[23], 'Z');
}

static void
emit_json(void)
{
	kp_log_init("watcher", KP_LOG_DEBUG, KP_LOG_JSON);
	kp_log(KP_LOG_WARN, "profile_rejected", "custom.b",
	    "bad \"token\"\n%s", "x");
	kp_log(KP_LOG_DEBUG, "tick", NULL, "quiet");
}

Test(log, json_lines_are_escaped_one_per_event)
{
	capture(emit_json);
	char *second = strchr(captured, '\n');
	cr_assert_not_null(second);
	*second++ = '\0';
	const char *a = strstr(captured, "\"level\"");
	cr_assert_not_null(a);
	cr_assert_str_eq(a, "\"level\":\"warn\",\"process\":\"watcher\","
	    "\"event\":\"profile_rejected\",\"key\":\"custom.b\","
	    "\"msg\":\"bad \\\"token\\\"\\nx\"}");
	cr_assert_not_null(strstr(second, "\"event\":\"tick\",\"msg\":\"quiet\"}"));
	cr_assert_null(strstr(second, "\"key\""));
}

static void
emit_long(void)
{
	/* Each control byte becomes six in JSON: far past one line's room. */
	char big[1000];
	memset(big, '\001', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kp_log_init("check", KP_LOG_INFO, KP_LOG_JSON);
	kp_log(KP_LOG_ERROR, "long", NULL, "%s", big);
}

Test(log, an_overlong_line_is_cut_but_stays_one_line)
{
	capture(emit_long);
	size_t len = strlen(captured);
	cr_assert_lt(len, 1600);
	cr_assert_eq(captured[len - 1], '\n');
	cr_assert_eq(strchr(captured, '\n'), captured + len - 1);
}

Test(log, levels_and_formats_parse_case_insensitively)
{
	enum kp_log_level l;
	enum kp_log_format f;

	cr_assert(kp_log_level_parse("INFO", &l));
	cr_assert_eq(l, KP_LOG_INFO);
	cr_assert(kp_log_level_parse("Warning", &l));
	cr_assert_eq(l, KP_LOG_WARN);
	cr_assert(kp_log_level_parse("debug", &l));
	cr_assert_eq(l, KP_LOG_DEBUG);
	cr_assert_not(kp_log_level_parse("verbose", &l));
	cr_assert_not(kp_log_level_parse("", &l));
	cr_assert(kp_log_format_parse("JSON", &f));
	cr_assert_eq(f, KP_LOG_JSON);
	cr_assert(kp_log_format_parse("text", &f));
	cr_assert_eq(f, KP_LOG_TEXT);
	cr_assert_not(kp_log_format_parse("yaml", &f));
	cr_assert_str_eq(kp_log_level_name(KP_LOG_ERROR), "error");
	cr_assert_str_eq(kp_log_level_name((enum kp_log_level)42), "unknown");
}

Test(log, fatal_logs_and_exits_with_the_status, .exit_code = 7)
{
	kp_log_init("check", KP_LOG_ERROR, KP_LOG_TEXT);
	kp_fatal(7, "boom", "fatal %d", 1);
}

static void
emit_digest(void)
{
	kp_log_init("loader", KP_LOG_INFO, KP_LOG_JSON);
	kp_log_digest(KP_LOG_INFO, "profile_removed", "custom.a", "ab12",
	    "Profile %s removed", "custom.a");
	kp_log_init("loader", KP_LOG_INFO, KP_LOG_TEXT);
	kp_log_digest(KP_LOG_WARN, "profile_removal_deferred", "custom.a",
	    "ab12", "Profile custom.a removal deferred: %s", "in use");
	kp_log_digest(KP_LOG_INFO, "profile_removed", "custom.b", NULL,
	    "Profile custom.b removed");
}

Test(log, digest_is_a_json_field_and_a_text_suffix)
{
	capture(emit_digest);
	char *text = strchr(captured, '\n');
	cr_assert_not_null(text);
	*text++ = '\0';
	cr_assert_not_null(strstr(captured, "\"key\":\"custom.a\",\"sha256\":\"ab12\","
	    "\"msg\":\"Profile custom.a removed\"}"));
	char *third = strchr(text, '\n');
	cr_assert_not_null(third);
	*third++ = '\0';
	cr_assert_str_eq(strchr(text, ' '), " warn  loader[profile_removal_deferred]: "
	    "custom.a: Profile custom.a removal deferred: in use (sha256 ab12)");
	cr_assert_str_eq(strchr(third, ' '), " info  loader[profile_removed]: "
	    "custom.b: Profile custom.b removed\n");
}
