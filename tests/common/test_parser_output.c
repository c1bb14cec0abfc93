/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/parser_output.h"

static const struct kp_parser_names names = {
	.path = "/tmp/kp.X/custom.a",
	.key = "custom.a",
	.dir = "/tmp/kp.X",
	.dir_label = "<tmpdir>",
};

static enum kp_reason
explain_exit(int code, const char *output, struct kp_diag *d)
{
	struct kp_spawn_result res;

	memset(&res, 0, sizeof(res));
	res.outcome = KP_SPAWN_EXITED;
	res.exit_code = code;
	res.output = (char *)output;
	res.output_len = strlen(output);
	memset(d, 0, sizeof(*d));
	return kp_parser_explain(&res, "/sbin/apparmor_parser", 1000, &names, d);
}

Test(parser_output, exit_zero_is_success)
{
	struct kp_diag d;

	cr_assert_eq(explain_exit(0, "", &d), KP_REASON_NONE);
	cr_assert_str_eq(d.message, "");
}

Test(parser_output, without_an_error_line_the_first_line_explains)
{
	struct kp_diag d;

	/* No newline at the end, no line saying "error". */
	cr_assert_eq(explain_exit(1, "\n  \nsomething odd happened", &d),
	    KP_REASON_COMPILE_FAILED);
	cr_assert_str_eq(d.message, "something odd happened");
	cr_assert_eq(d.line, 0);
}

Test(parser_output, the_error_line_wins_and_names_the_key_not_the_file)
{
	struct kp_diag d;

	cr_assert_eq(explain_exit(1, "Warning: x\nAppArmor parser error for "
	    "/tmp/kp.X/custom.a in profile /tmp/kp.X/custom.a at line 3: "
	    "syntax error\n", &d), KP_REASON_COMPILE_FAILED);
	cr_assert_str_eq(d.message,
	    "AppArmor parser error for custom.a at line 3: syntax error");
	cr_assert_eq(d.line, 3);
}

Test(parser_output, the_private_directory_is_hidden)
{
	struct kp_diag d;

	cr_assert_eq(explain_exit(1, "error: cannot read /tmp/kp.X/other\n",
	    &d), KP_REASON_COMPILE_FAILED);
	cr_assert_str_eq(d.message, "error: cannot read <tmpdir>/other");
}

Test(parser_output, signals_timeouts_and_start_failures)
{
	struct kp_spawn_result res;
	struct kp_diag d;

	memset(&res, 0, sizeof(res));
	res.output = (char *)"";
	res.outcome = KP_SPAWN_SIGNALED;
	res.term_signal = 9;
	cr_assert_eq(kp_parser_explain(&res, "/p", 1000, &names, &d),
	    KP_REASON_COMPILE_CRASHED);
	cr_assert_str_eq(d.message, "apparmor_parser killed by signal 9 (SIGKILL)");
	res.outcome = KP_SPAWN_TIMEOUT;
	cr_assert_eq(kp_parser_explain(&res, "/p", 1500, &names, &d),
	    KP_REASON_COMPILE_TIMEOUT);
	cr_assert_str_eq(d.message, "apparmor_parser did not finish within 1500 ms");
	res.outcome = KP_SPAWN_ERROR;
	res.errno_value = 2;
	res.error_step = "exec";
	cr_assert_eq(kp_parser_explain(&res, "/p", 1000, &names, &d),
	    KP_REASON_COMPILE_UNAVAILABLE);
	cr_assert_str_eq(d.message, "cannot run /p (exec): No such file or directory");
}
