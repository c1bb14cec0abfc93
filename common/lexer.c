/* SPDX-License-Identifier: Apache-2.0 */
#include "common/lexer.h"

#include <string.h>

void
kp_lexer_init(struct kp_lexer *lx, const unsigned char *data, size_t len)
{
	lx->data = data;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
}

bool
kp_lexer_at_end(const struct kp_lexer *lx)
{
	return lx->pos >= lx->len;
}

int
kp_lexer_peek(const struct kp_lexer *lx, size_t off)
{
	if (lx->pos >= lx->len || off >= lx->len - lx->pos)
		return 0;
	return lx->data[lx->pos + off];
}

bool
kp_lexer_looking_at(const struct kp_lexer *lx, const char *s)
{
	size_t n = strlen(s);

	if (lx->pos >= lx->len || n > lx->len - lx->pos)
		return false;
	return memcmp(lx->data + lx->pos, s, n) == 0;
}

void
kp_lexer_advance(struct kp_lexer *lx, size_t n)
{
	while (n-- > 0 && lx->pos < lx->len) {
		if (lx->data[lx->pos] == '\n')
			lx->line++;
		lx->pos++;
	}
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

bool
kp_lexer_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == 0;
}

void
kp_lexer_skip_blanks(struct kp_lexer *lx)
{
	while (lx->pos < lx->len && is_blank(lx->data[lx->pos]))
		lx->pos++;
}

void
kp_lexer_skip_space(struct kp_lexer *lx)
{
	while (lx->pos < lx->len) {
		int c = lx->data[lx->pos];

		if (c == '\n')
			lx->line++;
		else if (!is_blank(c))
			break;
		lx->pos++;
	}
}

enum kp_skip
kp_lexer_skip_space_comments(struct kp_lexer *lx)
{
	for (;;) {
		kp_lexer_skip_space(lx);
		if (lx->pos >= lx->len || lx->data[lx->pos] != '#')
			return KP_SKIP_OK;
		/* flex matches '#include' before the comment rule, whatever
		 * follows it on the line ("#includes" too). */
		if (kp_lexer_looking_at(lx, "#include"))
			return KP_SKIP_INCLUDE;
		/* The comment rule needs its newline: a comment that runs into
		 * the end of the text is a lexer error in apparmor_parser. */
		const unsigned char *nl = memchr(lx->data + lx->pos, '\n',
		    lx->len - lx->pos);
		if (nl == NULL)
			return KP_SKIP_COMMENT_EOF;
		lx->pos = (size_t)(nl - lx->data) + 1;
		lx->line++;
	}
}

static bool
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_word_char(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

bool
kp_lexer_peek_word(const struct kp_lexer *lx, struct kp_token *tok)
{
	size_t n = 0;

	if (!is_alpha(kp_lexer_peek(lx, 0)))
		return false;
	while (is_word_char(kp_lexer_peek(lx, n)))
		n++;
	tok->p = (const char *)lx->data + lx->pos;
	tok->len = n;
	tok->line = lx->line;
	return true;
}

bool
kp_lexer_word(struct kp_lexer *lx, struct kp_token *tok)
{
	if (!kp_lexer_peek_word(lx, tok))
		return false;
	lx->pos += tok->len;
	return true;
}

bool
kp_lexer_accept_word(struct kp_lexer *lx, const char *s)
{
	struct kp_token tok;

	if (!kp_lexer_peek_word(lx, &tok) || !kp_token_equals(&tok, s))
		return false;
	lx->pos += tok.len;
	return true;
}

bool
kp_lexer_is_id_char(int c)
{
	return c != 0 && !kp_lexer_is_space(c) && c != '"' && c != '!' &&
	    c != ',';
}

bool
kp_lexer_ids(struct kp_lexer *lx, struct kp_token *tok)
{
	size_t n = 0;

	for (;;) {
		int c = kp_lexer_peek(lx, n);

		if (kp_lexer_is_id_char(c))
			n++;
		else if (c == ',' && kp_lexer_is_id_char(kp_lexer_peek(lx,
		    n + 1)))
			n += 2;
		else
			break;
	}
	if (n == 0)
		return false;
	tok->p = (const char *)lx->data + lx->pos;
	tok->len = n;
	tok->line = lx->line;
	lx->pos += n;
	return true;
}

bool
kp_lexer_list_value(struct kp_lexer *lx, struct kp_token *tok)
{
	size_t n = 0;

	for (;;) {
		int c = kp_lexer_peek(lx, n);

		if (!kp_lexer_is_id_char(c) || c == '(' || c == ')')
			break;
		n++;
	}
	if (n == 0)
		return false;
	tok->p = (const char *)lx->data + lx->pos;
	tok->len = n;
	tok->line = lx->line;
	lx->pos += n;
	return true;
}

bool
kp_lexer_quoted(struct kp_lexer *lx, struct kp_token *tok)
{
	size_t n = 1;

	if (kp_lexer_peek(lx, 0) != '"')
		return false;
	for (;;) {
		int c = kp_lexer_peek(lx, n);

		if (c == 0 || c == '\n')
			return false;
		if (c == '"')
			break;
		n++;
	}
	tok->p = (const char *)lx->data + lx->pos + 1;
	tok->len = n - 1;
	tok->line = lx->line;
	lx->pos += n + 1;
	return true;
}

bool
kp_token_equals(const struct kp_token *tok, const char *s)
{
	return strlen(s) == tok->len && memcmp(tok->p, s, tok->len) == 0;
}
