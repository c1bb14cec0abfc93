/* SPDX-License-Identifier: Apache-2.0 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"

static char *
render(const char *s, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	cr_assert_not_null(f);
	kp_json_write_string(f, s, len);
	fclose(f);
	return buf;
}

Test(json, escapes_quotes_backslash_and_controls)
{
	char *out = render("a\"b\\c\nd\te\001", 10);
	cr_assert_str_eq(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	free(out);
}

Test(json, non_ascii_and_nul_become_unicode_escapes)
{
	char *out = render("x\0\xc3\xa9", 4);
	cr_assert_str_eq(out, "\"x\\u0000\\u00c3\\u00a9\"");
	free(out);
}
