/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shape of the text (rules 3 and 4):
 *
 *   preamble   comments, blank lines, 'abi <abi/NAME>,' and includes of
 *              allowed <tunables/NAME>
 *   header     profile KEY [flags=(...)] {
 *   body       rules and includes of allowed <abstractions/NAME>
 *   '}'        then nothing but comments and blank lines
 *
 * Anything else at the top level gets the most specific reason we can name
 * (a variable definition, an alias, a hat, a second profile...), so that an
 * auditor reading the verdict learns which trap the text tried.
 */
#include <string.h>

#include "common/allowlist.h"
#include "common/glob_limits.h"
#include "common/validator_internal.h"

enum place {
	PLACE_PREAMBLE,
	PLACE_BODY,
	PLACE_TRAILER,
};

#define INCLUDE_NAME_MAX 128

static bool
is_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* NAME of <dir/NAME>: [A-Za-z0-9._-]+, not "." or "..". */
static bool
split_include_name(const char *p, size_t len, const char *dir,
    const char **name, size_t *name_len)
{
	size_t dlen = strlen(dir);

	if (len <= dlen + 1 || memcmp(p, dir, dlen) != 0 || p[dlen] != '/')
		return false;
	*name = p + dlen + 1;
	*name_len = len - dlen - 1;
	for (size_t i = 0; i < *name_len; i++) {
		if (!is_name_char((unsigned char)(*name)[i]))
			return false;
	}
	if ((*name_len == 1 && (*name)[0] == '.') ||
	    (*name_len == 2 && memcmp(*name, "..", 2) == 0))
		return false;
	return true;
}

/*
 * After a directive that must stand alone on its line: blanks, then the
 * newline or a comment (which itself needs its newline).
 */
static bool
end_of_directive_line(struct kp_vstate *v, const char *what)
{
	struct kp_lexer *lx = &v->lx;

	kp_lexer_skip_blanks(lx);
	if (kp_lexer_peek(lx, 0) == '\n')
		return true;
	if (kp_lexer_peek(lx, 0) == '#') {
		if (kp_lexer_looking_at(lx, "#include"))
			return kp_fail(v, KP_REASON_INCLUDE, lx->line,
			    "a second include on the same line");
		return true; /* the caller's skip consumes the comment */
	}
	if (kp_lexer_at_end(lx))
		return kp_fail(v, KP_REASON_SYNTAX, lx->line,
		    "%s must end with a newline", what);
	return kp_fail_unexpected(v, "the end of the line");
}

/*
 * '#include <dir/NAME>' or 'include <dir/NAME>'.  The lexer stands at
 * '#include' or at the word 'include'.
 */
static bool
parse_include(struct kp_vstate *v, enum place place)
{
	struct kp_lexer *lx = &v->lx;
	unsigned line = lx->line;
	const char *name;
	size_t name_len, n = 0;
	const char *target;

	if (kp_lexer_looking_at(lx, "#include"))
		kp_lexer_advance(lx, strlen("#include"));
	else
		kp_lexer_advance(lx, strlen("include"));
	if (kp_lexer_peek(lx, 0) != ' ' && kp_lexer_peek(lx, 0) != '\t')
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "malformed include directive");
	kp_lexer_skip_blanks(lx);
	if (kp_lexer_accept_word(lx, "if"))
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "'include if exists' is not allowed");
	if (kp_lexer_peek(lx, 0) == '"') {
		struct kp_token tok;

		if (!kp_lexer_quoted(lx, &tok))
			return kp_fail(v, KP_REASON_QUOTE, line,
			    "quoted string does not close on its line");
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "quoted include paths are not allowed");
	}
	if (kp_lexer_peek(lx, 0) != '<')
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "only <abstractions/NAME> and <tunables/NAME> includes are "
		    "allowed");
	while (n <= INCLUDE_NAME_MAX && kp_lexer_peek(lx, 1 + n) != '>' &&
	    kp_lexer_peek(lx, 1 + n) != '\n' && kp_lexer_peek(lx, 1 + n) != 0)
		n++;
	if (kp_lexer_peek(lx, 1 + n) != '>')
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "malformed include directive");
	target = (const char *)lx->data + lx->pos + 1;
	kp_lexer_advance(lx, n + 2);
	if (memchr(target, ' ', n) != NULL || memchr(target, '\t', n) != NULL)
		return kp_fail(v, KP_REASON_INCLUDE, line,
		    "blank inside the include's <...>");

	if (place == PLACE_BODY) {
		if (!split_include_name(target, n, "abstractions", &name,
		    &name_len))
			return kp_fail(v, KP_REASON_INCLUDE, line,
			    "include " KP_TOKEN_FMT " is not an abstraction "
			    "(<abstractions/NAME>)", KP_TOKEN_ARG(target - 1,
			    n + 2));
		const struct kp_abstraction *a = kp_abstraction_find(name,
		    name_len);

		if (a == NULL)
			return kp_fail(v, KP_REASON_INCLUDE, line,
			    "abstraction " KP_TOKEN_FMT " is not in the "
			    "allowlist", KP_TOKEN_ARG(name, name_len));
		/* each abstraction adds its rules to the profile's DFA */
		if (++v->includes > KP_GLOB_MAX_ABSTRACTION_INCLUDES)
			return kp_fail(v, KP_REASON_TOO_MANY_RULES, line,
			    "more than %d abstraction includes",
			    KP_GLOB_MAX_ABSTRACTION_INCLUDES);
		/* its variables must come from the profile's tunables */
		if ((v->vars & a->needs) != a->needs)
			return kp_fail(v, KP_REASON_UNKNOWN_VARIABLE, line,
			    "abstraction " KP_TOKEN_FMT " uses variables "
			    "of tunables the profile does not include (e.g. "
			    "#include <tunables/global>)",
			    KP_TOKEN_ARG(name, name_len));
	} else {
		const struct kp_tunable *t;

		if (!split_include_name(target, n, "tunables", &name,
		    &name_len))
			return kp_fail(v, KP_REASON_INCLUDE, line,
			    "include " KP_TOKEN_FMT " is not allowed before "
			    "the profile (only <tunables/NAME>)",
			    KP_TOKEN_ARG(target - 1, n + 2));
		t = kp_tunable_find(name, name_len);
		if (t == NULL)
			return kp_fail(v, KP_REASON_TUNABLE, line,
			    "tunable " KP_TOKEN_FMT " is not in the allowlist",
			    KP_TOKEN_ARG(name, name_len));
		v->vars |= t->defines;
	}
	return end_of_directive_line(v, "an include");
}

/* 'abi <abi/NAME>,' in the preamble.  The lexer stands at the word. */
static bool
parse_abi(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	unsigned line = lx->line;
	struct kp_token tok;
	const char *name;
	size_t name_len, n = 0;

	kp_lexer_advance(lx, strlen("abi"));
	if (v->have_abi)
		return kp_fail(v, KP_REASON_ABI, line, "a second abi rule");
	v->have_abi = true;
	kp_lexer_skip_blanks(lx);
	if (kp_lexer_peek(lx, 0) == '"') {
		if (!kp_lexer_quoted(lx, &tok))
			return kp_fail(v, KP_REASON_QUOTE, line,
			    "quoted string does not close on its line");
		return kp_fail(v, KP_REASON_ABI, line,
		    "quoted abi paths are not allowed");
	}
	if (kp_lexer_peek(lx, 0) != '<')
		return kp_fail(v, KP_REASON_ABI, line,
		    "abi must name <abi/NAME>");
	while (n <= INCLUDE_NAME_MAX && kp_lexer_peek(lx, 1 + n) != '>' &&
	    kp_lexer_peek(lx, 1 + n) != '\n' && kp_lexer_peek(lx, 1 + n) != 0)
		n++;
	if (kp_lexer_peek(lx, 1 + n) != '>')
		return kp_fail(v, KP_REASON_ABI, line, "malformed abi rule");
	tok.p = (const char *)lx->data + lx->pos + 1;
	tok.len = n;
	kp_lexer_advance(lx, n + 2);
	if (memchr(tok.p, ' ', n) != NULL || memchr(tok.p, '\t', n) != NULL)
		return kp_fail(v, KP_REASON_ABI, line,
		    "blank inside the abi's <...>");
	if (!split_include_name(tok.p, tok.len, "abi", &name, &name_len) ||
	    !kp_abi_is_allowed(name, name_len))
		return kp_fail(v, KP_REASON_ABI, line,
		    "abi " KP_TOKEN_FMT " is not one the apparmor package "
		    "ships", KP_TOKEN_ARG(tok.p - 1, tok.len + 2));
	kp_lexer_skip_blanks(lx);
	if (kp_lexer_peek(lx, 0) != ',')
		return kp_fail_unexpected(v, "',' after the abi");
	kp_lexer_advance(lx, 1);
	return end_of_directive_line(v, "an abi rule");
}

/*
 * A top-level 'NAME [ATTACHMENT] [flags=(...)] {' without the 'profile'
 * keyword (a path, a :namespace: or a quoted name): is a '{' or 'flags'
 * coming after the first token on the same line?
 */
static bool
looks_like_header(const struct kp_lexer *lx)
{
	size_t n = 0;
	int c;

	for (;;) {
		c = kp_lexer_peek(lx, n);
		if (c == 0 || c == '\n')
			return false;
		if (c == '{' && n > 0 && (kp_lexer_peek(lx, n - 1) == ' ' ||
		    kp_lexer_peek(lx, n - 1) == '\t'))
			return true;
		if (c == '(' || c == '=')
			return true; /* flags=(...) or (complain) */
		n++;
	}
}

/*
 * Something at the top level (before or after the profile) that is not a
 * comment, include or abi.  Name the construct when we recognise it.
 */
static bool
fail_top_level(struct kp_vstate *v, enum place place)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token w;
	int c = kp_lexer_peek(lx, 0);
	unsigned line = lx->line;

	if (c == '@' || c == '$') {
		size_t n = 1;

		while (kp_lexer_is_id_char(kp_lexer_peek(lx, n)) &&
		    kp_lexer_peek(lx, n) != '=' && kp_lexer_peek(lx, n) != '+')
			n++;
		while (kp_lexer_peek(lx, n) == ' ' ||
		    kp_lexer_peek(lx, n) == '\t')
			n++;
		if (kp_lexer_peek(lx, n) == '=' ||
		    (kp_lexer_peek(lx, n) == '+' &&
		    kp_lexer_peek(lx, n + 1) == '='))
			return kp_fail(v, KP_REASON_VARIABLE_DEF, line,
			    "variable definitions are not allowed");
		if (c == '$')
			return kp_fail(v, KP_REASON_CONDITIONAL, line,
			    "boolean variables are not allowed");
	}
	if (c == '^')
		return kp_fail(v, KP_REASON_HAT, line, "hats are not allowed");
	if (c == '}' || c == '{')
		return kp_fail(v, KP_REASON_UNBALANCED, line,
		    "unexpected '%c' outside the profile", c);
	if (kp_lexer_peek_word(lx, &w)) {
		if (kp_token_equals(&w, "alias") ||
		    kp_token_equals(&w, "rewrite"))
			return kp_fail(v, KP_REASON_ALIAS, line,
			    "alias rules are not allowed");
		if (kp_token_equals(&w, "if") || kp_token_equals(&w, "else"))
			return kp_fail(v, KP_REASON_CONDITIONAL, line,
			    "conditionals are not allowed");
		if (kp_token_equals(&w, "hat"))
			return kp_fail(v, KP_REASON_HAT, line,
			    "hats are not allowed");
		if (kp_token_equals(&w, "profile"))
			return kp_fail(v, KP_REASON_EXTRA_PROFILE, line,
			    "only one profile is allowed");
		if (place == PLACE_TRAILER && kp_token_equals(&w, "abi"))
			return kp_fail(v, KP_REASON_ABI, line,
			    "abi must come before the profile");
	}
	if (c == '"') {
		struct kp_token tok;

		if (!kp_lexer_quoted(lx, &tok))
			return kp_fail(v, KP_REASON_QUOTE, line,
			    "quoted string does not close on its line");
	}
	if ((c == '/' || c == ':' || c == '&' || c == '"' || c == '@') &&
	    looks_like_header(lx)) {
		if (place == PLACE_TRAILER)
			return kp_fail(v, KP_REASON_EXTRA_PROFILE, line,
			    "only one profile is allowed");
		return kp_fail(v, KP_REASON_HEADER, line,
		    "the profile must start with 'profile %.*s'",
		    (int)v->key_len, v->key);
	}
	if (kp_lexer_looking_at(lx, "->"))
		return kp_fail(v, KP_REASON_ARROW, line,
		    "'->' (a transition or link target) is not allowed");
	if (place == PLACE_TRAILER)
		return kp_fail(v, KP_REASON_TRAILING, line,
		    "only comments may follow the profile's closing '}'");
	return kp_fail(v, KP_REASON_PREAMBLE, line,
	    "only comments, abi and tunables includes may precede the profile");
}

static bool
starts_include(struct kp_vstate *v, enum kp_skip skip)
{
	struct kp_token w;

	if (skip == KP_SKIP_INCLUDE)
		return true;
	/* flex: 'include' is a directive only when a blank follows it. */
	return kp_lexer_peek_word(&v->lx, &w) &&
	    kp_token_equals(&w, "include");
}

static bool
skip_top(struct kp_vstate *v, enum kp_skip *skip)
{
	*skip = kp_lexer_skip_space_comments(&v->lx);
	if (*skip == KP_SKIP_COMMENT_EOF)
		return kp_fail(v, KP_REASON_SYNTAX, v->lx.line,
		    "comment at the end of the text needs a newline");
	return true;
}

/* flags=(enforce attach_disconnected ...) */
static bool
parse_flags(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok;
	bool enforce = false, complain = false;
	size_t count = 0;

	/* flex takes 'flags' as a conditional only when blanks and then '='
	 * follow on the same line. */
	kp_lexer_skip_blanks(lx);
	if (kp_lexer_peek(lx, 0) != '=')
		return kp_fail_unexpected(v, "'=' after flags");
	kp_lexer_advance(lx, 1);
	kp_lexer_skip_space(lx);
	if (kp_lexer_peek(lx, 0) != '(')
		return kp_fail_unexpected(v, "'(' after flags=");
	kp_lexer_advance(lx, 1);
	for (;;) {
		kp_lexer_skip_space(lx);
		if (kp_lexer_peek(lx, 0) == ')')
			break;
		if (kp_lexer_peek(lx, 0) == ',') {
			kp_lexer_advance(lx, 1);
			continue;
		}
		if (!kp_lexer_list_value(lx, &tok))
			return kp_fail_unexpected(v, "a profile flag");
		count++;
		if (kp_token_equals(&tok, "enforce")) {
			enforce = true;
		} else if (kp_token_equals(&tok, "attach_disconnected") ||
		    kp_token_equals(&tok, "mediate_deleted")) {
			/* path flags: fine */
		} else if (kp_token_equals(&tok, "complain")) {
			/* A complain-mode profile lets through everything it
			 * does not deny: a way out of confinement. */
			if (v->policy != KP_POLICY_PERMISSIVE)
				return kp_fail(v, KP_REASON_COMPLAIN, tok.line,
				    "flag 'complain' is not allowed by policy "
				    "baseline");
			kp_warn(v, KP_REASON_COMPLAIN, tok.line,
			    "flag 'complain': allowed only by policy "
			    "permissive");
			complain = true;
		} else if (kp_token_equals(&tok, "unconfined") &&
		    v->policy != KP_POLICY_PERMISSIVE) {
			return kp_fail(v, KP_REASON_POLICY_UNCONFINED, tok.line,
			    "flag 'unconfined' is not allowed by policy "
			    "baseline");
		} else {
			return kp_fail(v, KP_REASON_FLAG, tok.line,
			    "profile flag " KP_TOKEN_FMT " is not allowed",
			    KP_TOKEN_ARG(tok.p, tok.len));
		}
	}
	kp_lexer_advance(lx, 1);
	if (count == 0)
		return kp_fail(v, KP_REASON_FLAG, lx->line, "empty flags=()");
	if (enforce && complain)
		return kp_fail(v, KP_REASON_FLAG, lx->line,
		    "flags 'enforce' and 'complain' conflict");
	return true;
}

/* profile KEY [flags=(...)] {   -- the lexer stands at 'profile'. */
static bool
parse_header(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	unsigned line = lx->line;
	struct kp_token name, w;
	enum kp_skip skip;

	kp_lexer_advance(lx, strlen("profile"));
	/* flex: 'profile' swallows the blanks after it and then wants the
	 * name at once, on the same line. */
	if (kp_lexer_peek(lx, 0) != ' ' && kp_lexer_peek(lx, 0) != '\t')
		return kp_fail(v, KP_REASON_HEADER, line,
		    "'profile' must be followed by the name on the same line");
	kp_lexer_skip_blanks(lx);
	if (kp_lexer_peek(lx, 0) == '"')
		return kp_fail_unexpected(v, "the profile name, unquoted");
	if (!kp_lexer_ids(lx, &name))
		return kp_fail_unexpected(v, "the profile name");
	if (name.len != v->key_len || memcmp(name.p, v->key, v->key_len) != 0)
		return kp_fail(v, KP_REASON_NAME_MISMATCH, line,
		    "profile name " KP_TOKEN_FMT " is not the key",
		    KP_TOKEN_ARG(name.p, name.len));

	if (!skip_top(v, &skip))
		return false;
	if (skip == KP_SKIP_INCLUDE)
		return kp_fail(v, KP_REASON_INCLUDE, lx->line,
		    "include directive inside the profile header");
	if (kp_lexer_peek_word(lx, &w) && kp_token_equals(&w, "flags")) {
		kp_lexer_advance(lx, w.len);
		if (!parse_flags(v))
			return false;
		if (!skip_top(v, &skip))
			return false;
		if (skip == KP_SKIP_INCLUDE)
			return kp_fail(v, KP_REASON_INCLUDE, lx->line,
			    "include directive inside the profile header");
	}
	if (kp_lexer_peek(lx, 0) == '{') {
		kp_lexer_advance(lx, 1);
		return true;
	}
	if (kp_lexer_at_end(lx))
		return kp_fail(v, KP_REASON_HEADER, lx->line,
		    "the profile header has no '{'");
	if (kp_lexer_peek(lx, 0) == '"' || kp_lexer_looking_at(lx, "->"))
		return kp_fail_unexpected(v, "'{'");
	return kp_fail(v, KP_REASON_HEADER, lx->line,
	    "only flags=(...) may follow the profile name (no attachment, "
	    "no conditionals)");
}

static bool
parse_body(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	enum kp_skip skip;

	for (;;) {
		if (!skip_top(v, &skip))
			return false;
		if (kp_lexer_at_end(lx))
			return kp_fail(v, KP_REASON_UNBALANCED, lx->line,
			    "the profile has no closing '}'");
		if (skip == KP_SKIP_OK && kp_lexer_peek(lx, 0) == '}') {
			kp_lexer_advance(lx, 1);
			return true;
		}
		if (++v->rules > KP_RULES_MAX)
			return kp_fail(v, KP_REASON_TOO_MANY_RULES, lx->line,
			    "more than %d rules", KP_RULES_MAX);
		if (starts_include(v, skip)) {
			if (!parse_include(v, PLACE_BODY))
				return false;
			continue;
		}
		if (!kp_parse_rule(v))
			return false;
	}
}

bool
kp_parse_profile(struct kp_vstate *v)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token w;
	enum kp_skip skip;

	for (;;) {
		if (!skip_top(v, &skip))
			return false;
		if (kp_lexer_at_end(lx))
			return kp_fail(v, KP_REASON_NO_PROFILE, lx->line,
			    "no 'profile %.*s { ... }' in the text",
			    (int)v->key_len, v->key);
		if (starts_include(v, skip)) {
			if (!parse_include(v, PLACE_PREAMBLE))
				return false;
			continue;
		}
		if (kp_lexer_peek_word(lx, &w) && kp_token_equals(&w, "abi")) {
			if (!parse_abi(v))
				return false;
			continue;
		}
		if (kp_lexer_peek_word(lx, &w) &&
		    kp_token_equals(&w, "profile"))
			break;
		return fail_top_level(v, PLACE_PREAMBLE);
	}
	if (!parse_header(v) || !parse_body(v))
		return false;
	for (;;) {
		if (!skip_top(v, &skip))
			return false;
		if (kp_lexer_at_end(lx))
			return true;
		if (skip == KP_SKIP_INCLUDE)
			return kp_fail(v, KP_REASON_TRAILING, lx->line,
			    "only comments may follow the profile's closing "
			    "'}'");
		return fail_top_level(v, PLACE_TRAILER);
	}
}
