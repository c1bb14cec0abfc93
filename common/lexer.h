/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scanner over profile text that models the few start conditions of
 * apparmor_parser's flex lexer (parser_lex.l, 3.0.8) that the validator
 * accepts.  The parser above it asks for the kind of token the real lexer
 * would produce at that point, so both split the text the same way:
 *
 *  - '#' starts a comment only at the start of a token in the INITIAL state;
 *    inside a token ("/a#b") and inside network/signal/... rules it is an
 *    ordinary character.  '#include' at a token start is a directive.
 *  - A ',' ends a token only when it is not followed by another token
 *    character: "/a,b" and "peer=a,b" are single tokens.
 *
 * The input must already have passed the byte checks (TAB, LF and
 * printable ASCII only), so no token needs escaping in a message.  Nothing
 * here reads past len.
 */
#ifndef KP_LEXER_H
#define KP_LEXER_H

#include <stdbool.h>
#include <stddef.h>

struct kp_lexer {
	const unsigned char *data;
	size_t len;
	size_t pos;
	unsigned line; /* 1-based line of data[pos] */
};

struct kp_token {
	const char *p;
	size_t len;
	unsigned line;
};

enum kp_skip {
	KP_SKIP_OK,          /* at a token, or at the end */
	KP_SKIP_INCLUDE,     /* at a '#include' directive */
	KP_SKIP_COMMENT_EOF, /* a comment runs into the end without a newline */
};

void kp_lexer_init(struct kp_lexer *lx, const unsigned char *data,
    size_t len);
bool kp_lexer_at_end(const struct kp_lexer *lx);
/* The byte at pos + off, or 0 past the end (0 never occurs in valid text). */
int kp_lexer_peek(const struct kp_lexer *lx, size_t off);
/* Does the text at pos start with s? */
bool kp_lexer_looking_at(const struct kp_lexer *lx, const char *s);
void kp_lexer_advance(struct kp_lexer *lx, size_t n);

/* Blanks (space, tab) only. */
void kp_lexer_skip_blanks(struct kp_lexer *lx);
/* Blanks and newlines: the whitespace of every non-INITIAL state. */
void kp_lexer_skip_space(struct kp_lexer *lx);
/* Blanks, newlines and comments: the INITIAL state.  Stops in front of
 * '#include'. */
enum kp_skip kp_lexer_skip_space_comments(struct kp_lexer *lx);

/* [A-Za-z][A-Za-z0-9_]* (flex VARIABLE_NAME).  False, consuming nothing,
 * when the text does not start with one. */
bool kp_lexer_word(struct kp_lexer *lx, struct kp_token *tok);
/* Like kp_lexer_word but consumes only when the word equals s and is not
 * followed by another word character. */
bool kp_lexer_accept_word(struct kp_lexer *lx, const char *s);
/* Peek at the next word without consuming it. */
bool kp_lexer_peek_word(const struct kp_lexer *lx, struct kp_token *tok);

/* flex IDS: a run of characters other than blank, newline, '"', '!' and
 * ',', where a ',' followed by such a character belongs to the run. */
bool kp_lexer_ids(struct kp_lexer *lx, struct kp_token *tok);
/* flex LIST_VALUE_ID: like IDS but '(' and ')' end it and ',' always
 * separates. */
bool kp_lexer_list_value(struct kp_lexer *lx, struct kp_token *tok);
/* A double-quoted string closed on the same line; tok excludes the quotes.
 * False when the quote does not close before the end of the line. */
bool kp_lexer_quoted(struct kp_lexer *lx, struct kp_token *tok);

/* Is c a character that can continue a flex ID (IDS)? */
bool kp_lexer_is_id_char(int c);
/* Blank, newline or the end of the text. */
bool kp_lexer_is_space(int c);

bool kp_token_equals(const struct kp_token *tok, const char *s);

#endif /* KP_LEXER_H */
