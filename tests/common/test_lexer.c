/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scanner must split text exactly where apparmor_parser's flex lexer
 * does; each case here is one of the lexer traps the validator relies on.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/lexer.h"

static struct kp_lexer lx;

static void
init(const char *s)
{
	kp_lexer_init(&lx, (const unsigned char *)s, strlen(s));
}

Test(lexer, comment_needs_token_start)
{
	struct kp_token t;

	init("/a#b r,");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 4, "'#' inside a token is not a comment");
}

Test(lexer, comment_is_skipped_with_its_newline)
{
	init("  # hello\n\t# again\n  x");
	cr_assert_eq(kp_lexer_skip_space_comments(&lx), KP_SKIP_OK);
	cr_assert_eq(lx.line, 3);
	cr_assert_eq(kp_lexer_peek(&lx, 0), 'x');
}

Test(lexer, comment_without_newline_at_end)
{
	init("  # no newline");
	cr_assert_eq(kp_lexer_skip_space_comments(&lx), KP_SKIP_COMMENT_EOF);
}

Test(lexer, hash_include_is_a_directive_not_a_comment)
{
	init("# c\n#include <x>\n");
	cr_assert_eq(kp_lexer_skip_space_comments(&lx), KP_SKIP_INCLUDE);
	cr_assert_eq(lx.line, 2);
	init("#includes\n");
	cr_assert_eq(kp_lexer_skip_space_comments(&lx), KP_SKIP_INCLUDE);
	init("# include <x>\n");
	cr_assert_eq(kp_lexer_skip_space_comments(&lx), KP_SKIP_OK);
	cr_assert(kp_lexer_at_end(&lx));
}

Test(lexer, comma_followed_by_token_char_continues_ids)
{
	struct kp_token t;

	init("/a,b r,");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 4);
	init("foo,bar,\n");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert(kp_token_equals(&t, "foo,bar"));
	cr_assert_eq(kp_lexer_peek(&lx, 0), ',');
	init("/a, r");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert(kp_token_equals(&t, "/a"));
	init("/{a,,b}");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert(kp_token_equals(&t, "/{a"), "',,' ends the token");
}

Test(lexer, ids_stop_at_quote_bang_and_blank)
{
	struct kp_token t;

	init("/a\"b");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 2);
	init("/a!b");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 2);
	init("/a\tb");
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 2);
	init(",");
	cr_assert_not(kp_lexer_ids(&lx, &t));
	cr_assert_eq(lx.pos, 0);
}

Test(lexer, list_values_split_on_comma_and_parens)
{
	struct kp_token t;

	init("send,receive)");
	cr_assert(kp_lexer_list_value(&lx, &t));
	cr_assert(kp_token_equals(&t, "send"));
	kp_lexer_advance(&lx, 1);
	cr_assert(kp_lexer_list_value(&lx, &t));
	cr_assert(kp_token_equals(&t, "receive"));
	cr_assert_eq(kp_lexer_peek(&lx, 0), ')');
}

Test(lexer, words_are_variable_names)
{
	struct kp_token t;

	init("capability,");
	cr_assert(kp_lexer_word(&lx, &t));
	cr_assert(kp_token_equals(&t, "capability"));
	init("sys_admin2 x");
	cr_assert(kp_lexer_word(&lx, &t));
	cr_assert_eq(t.len, 10);
	init("2abc");
	cr_assert_not(kp_lexer_word(&lx, &t));
	init("profiles");
	cr_assert_not(kp_lexer_accept_word(&lx, "profile"),
	    "a longer word is not the keyword");
	cr_assert(kp_lexer_accept_word(&lx, "profiles"));
}

Test(lexer, quoted_strings_close_on_their_line)
{
	struct kp_token t;

	init("\"/a b\" r,");
	cr_assert(kp_lexer_quoted(&lx, &t));
	cr_assert(kp_token_equals(&t, "/a b"));
	cr_assert_eq(kp_lexer_peek(&lx, 0), ' ');
	init("\"/a\nb\" r,");
	cr_assert_not(kp_lexer_quoted(&lx, &t));
	init("\"/a");
	cr_assert_not(kp_lexer_quoted(&lx, &t));
}

Test(lexer, never_reads_past_len)
{
	/* Not NUL-terminated: the byte after the slice must never be seen. */
	const unsigned char buf[] = { '/', 'a', ',', 'b' };
	struct kp_token t;

	kp_lexer_init(&lx, buf, 3);
	cr_assert(kp_lexer_ids(&lx, &t));
	cr_assert_eq(t.len, 2, "',' at the end is not followed by 'b'");
	cr_assert_eq(kp_lexer_peek(&lx, 0), ',');
	cr_assert_eq(kp_lexer_peek(&lx, 1), 0);
	cr_assert_not(kp_lexer_looking_at(&lx, ",b"));
	kp_lexer_advance(&lx, 10);
	cr_assert(kp_lexer_at_end(&lx));
	cr_assert_eq(kp_lexer_peek(&lx, 0), 0);
}

Test(lexer, advance_counts_lines)
{
	init("a\nb\nc");
	kp_lexer_advance(&lx, 4);
	cr_assert_eq(lx.line, 3);
	kp_lexer_skip_blanks(&lx);
	cr_assert_eq(kp_lexer_peek(&lx, 0), 'c');
}
