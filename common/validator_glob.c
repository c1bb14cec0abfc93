/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths and other AppArmor regular expressions (AARE): which characters
 * they may hold, which variables they may use (rule 5), and how much work
 * they may cost apparmor_parser (rule 2).
 *
 * The parser expands @{VAR} textually before it builds its DFA, so a path is
 * measured with every variable replaced by its expansion from the allowed
 * tunables.  What we count, per path (limits in glob_limits.h):
 *
 *   wildcards   every '*' and '?'
 *   doublestar  every '**'
 *   classes     every [...] that follows a '*' or '**' in the path: after
 *               an unbounded wildcard each one can double the DFA, like
 *               '?', while a fixed run such as @{pid}'s digits stays linear
 *   alt depth   nesting of {a,{b,c}}
 *   alt width   alternatives in one {...}
 *
 * and, over the whole profile, the sum of wildcards, doublestars and counted
 * classes.  Alternatives are summed, not maximised: the DFA of a union can
 * need the states of all its members at once.
 */
#include <string.h>

#include "common/allowlist.h"
#include "common/glob_limits.h"
#include "common/validator_internal.h"

enum aare_kind {
	AARE_PATH,  /* file rules, mount points: may use variables */
	AARE_VALUE, /* conditional values and labels: no variables */
};

struct glob {
	const struct kp_token *tok; /* for messages */
	const char *what;
	enum aare_kind kind;
	bool quoted;
	unsigned wildcards;
	unsigned doublestar;
	unsigned classes;
	unsigned depth;
	unsigned width[KP_GLOB_MAX_ALT_DEPTH + 1];
	unsigned star_run; /* '*' just before, across variable boundaries */
	bool unbounded;
};

static bool
is_literal(const struct glob *g, int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '/': case '.': case '_': case '-': case '+': case '~': case ':':
	case '%': case '@':
		return true;
	case '=':
		return g->kind == AARE_PATH;
	case ' ':
		return g->quoted;
	default:
		return false;
	}
}

static bool
is_class_char(int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c == '/' || c == '.' || c == '_' || c == '-' || c == '+' ||
	    c == '~' || c == ':' || c == '%' || c == '@';
}

static bool
fail_char(struct kp_vstate *v, const struct glob *g, int c)
{
	return kp_fail(v, KP_REASON_SYNTAX, g->tok->line,
	    "character '%c' is not allowed in %s " KP_TOKEN_FMT, c, g->what,
	    KP_TOKEN_ARG(g->tok->p, g->tok->len));
}

static bool
fail_glob(struct kp_vstate *v, const struct glob *g, const char *metric,
    unsigned value, unsigned limit)
{
	return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, g->tok->line,
	    "%s " KP_TOKEN_FMT " has %u %s (limit %u)", g->what,
	    KP_TOKEN_ARG(g->tok->p, g->tok->len), value, metric, limit);
}

static bool scan(struct kp_vstate *v, struct glob *g, const char *s,
    size_t n, bool top);

/* @{NAME} at s[i]; on success *end is the index after '}'. */
static bool
scan_variable(struct kp_vstate *v, struct glob *g, const char *s, size_t n,
    size_t i, size_t *end)
{
	size_t j = i + 2;
	const struct kp_variable *var;
	uint64_t need;
	int idx;

	if (g->kind != AARE_PATH)
		return kp_fail(v, KP_REASON_SYNTAX, g->tok->line,
		    "variables are not allowed in %s " KP_TOKEN_FMT, g->what,
		    KP_TOKEN_ARG(g->tok->p, g->tok->len));
	while (j < n && s[j] != '}' && j - i - 2 <= KP_QUOTE_MAX)
		j++;
	if (j >= n || s[j] != '}' || j == i + 2)
		return kp_fail(v, KP_REASON_SYNTAX, g->tok->line,
		    "malformed variable in " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(g->tok->p, g->tok->len));
	idx = kp_variable_find(s + i + 2, j - i - 2);
	if (idx < 0)
		return kp_fail(v, KP_REASON_UNKNOWN_VARIABLE, g->tok->line,
		    "variable @{%.*s} is not defined by an allowed tunable",
		    (int)(j - i - 2), s + i + 2);
	var = &kp_variables[idx];
	need = var->requires | (UINT64_C(1) << idx);
	if ((v->vars & need) != need)
		return kp_fail(v, KP_REASON_UNKNOWN_VARIABLE, g->tok->line,
		    "variable @{%.*s} needs its tunable included (e.g. "
		    "#include <tunables/global>)", (int)(j - i - 2), s + i + 2);
	*end = j + 1;
	/* Expansions hold no variables, so this recurses exactly once. */
	return scan(v, g, var->expansion, strlen(var->expansion), false);
}

static int
range_kind(int c)
{
	if (c >= '0' && c <= '9')
		return 1;
	if (c >= 'a' && c <= 'z')
		return 2;
	if (c >= 'A' && c <= 'Z')
		return 3;
	return 0;
}

/*
 * [^...]: single characters and ranges a-z of one kind (digits, lower or
 * upper case), low to high; a '-' only first.  The parser's own class
 * syntax is looser but fails on a trailing '-' or on a-z-9, so we accept
 * only the plain forms.
 */
static bool
scan_class(struct kp_vstate *v, struct glob *g, const char *s, size_t n,
    size_t i, size_t *end)
{
	size_t j = i + 1, start;

	if (j < n && s[j] == '^')
		j++;
	start = j;
	if (j < n && s[j] == '-')
		j++;
	while (j < n && s[j] != ']') {
		int c = (unsigned char)s[j];

		if (c == '-' || !is_class_char(c))
			return fail_char(v, g, c);
		if (j + 2 < n && s[j + 1] == '-' && s[j + 2] != ']') {
			int hi = (unsigned char)s[j + 2];

			if (range_kind(c) == 0 || range_kind(c) !=
			    range_kind(hi) || hi < c)
				return kp_fail(v, KP_REASON_SYNTAX,
				    g->tok->line, "bad range '%c-%c' in "
				    KP_TOKEN_FMT, c, hi,
				    KP_TOKEN_ARG(g->tok->p, g->tok->len));
			j += 3;
			continue;
		}
		j++;
	}
	if (j >= n)
		return kp_fail(v, KP_REASON_SYNTAX, g->tok->line,
		    "unclosed '[' in " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(g->tok->p, g->tok->len));
	if (j == start)
		return kp_fail(v, KP_REASON_SYNTAX, g->tok->line,
		    "empty '[]' in " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(g->tok->p, g->tok->len));
	if (g->unbounded)
		g->classes++;
	*end = j + 1;
	return true;
}

static bool
scan(struct kp_vstate *v, struct glob *g, const char *s, size_t n, bool top)
{
	size_t i = 0;

	while (i < n) {
		int c = (unsigned char)s[i];

		if (c == '*') {
			g->star_run++;
			if (g->star_run == 2) {
				g->wildcards--;
				g->doublestar++;
			} else if (g->star_run > 2) {
				return kp_fail(v, KP_REASON_SYNTAX,
				    g->tok->line, "'***' in " KP_TOKEN_FMT,
				    KP_TOKEN_ARG(g->tok->p, g->tok->len));
			} else {
				g->wildcards++;
			}
			g->unbounded = true;
			i++;
			continue;
		}
		if (c == '@' && i + 1 < n && s[i + 1] == '{') {
			/* the expansion continues the star run, as the
			 * parser's textual expansion would */
			if (!top)
				return fail_char(v, g, c);
			if (!scan_variable(v, g, s, n, i, &i))
				return false;
			continue;
		}
		g->star_run = 0;
		switch (c) {
		case '?':
			g->wildcards++;
			i++;
			break;
		case '[':
			if (!scan_class(v, g, s, n, i, &i))
				return false;
			break;
		case '{':
			if (g->depth >= KP_GLOB_MAX_ALT_DEPTH)
				return fail_glob(v, g, "levels of nested {}",
				    g->depth + 1, KP_GLOB_MAX_ALT_DEPTH);
			g->depth++;
			g->width[g->depth] = 1;
			i++;
			break;
		case ',':
			if (g->depth == 0)
				return fail_char(v, g, c);
			if (++g->width[g->depth] > KP_GLOB_MAX_ALT_WIDTH)
				return fail_glob(v, g, "alternatives in one {}",
				    g->width[g->depth], KP_GLOB_MAX_ALT_WIDTH);
			i++;
			break;
		case '}':
			if (g->depth == 0)
				return kp_fail(v, KP_REASON_SYNTAX,
				    g->tok->line, "unbalanced '}' in "
				    KP_TOKEN_FMT,
				    KP_TOKEN_ARG(g->tok->p, g->tok->len));
			g->depth--;
			i++;
			break;
		default:
			if (!is_literal(g, c))
				return fail_char(v, g, c);
			i++;
			break;
		}
	}
	return true;
}

static bool
check_aare(struct kp_vstate *v, const struct kp_token *tok, const char *what,
    enum aare_kind kind, bool quoted)
{
	struct glob g;
	size_t total;

	memset(&g, 0, sizeof(g));
	g.tok = tok;
	g.what = what;
	g.kind = kind;
	g.quoted = quoted;
	if (tok->len == 0)
		return kp_fail(v, KP_REASON_SYNTAX, tok->line, "empty %s",
		    what);
	if (!scan(v, &g, tok->p, tok->len, true))
		return false;
	if (g.depth != 0)
		return kp_fail(v, KP_REASON_SYNTAX, tok->line,
		    "unbalanced '{' in " KP_TOKEN_FMT,
		    KP_TOKEN_ARG(tok->p, tok->len));
	if (g.wildcards > KP_GLOB_MAX_WILDCARDS)
		return fail_glob(v, &g, "'*'/'?' wildcards", g.wildcards,
		    KP_GLOB_MAX_WILDCARDS);
	if (g.doublestar > KP_GLOB_MAX_DOUBLESTAR)
		return fail_glob(v, &g, "'**'", g.doublestar,
		    KP_GLOB_MAX_DOUBLESTAR);
	if (g.classes > KP_GLOB_MAX_CHARCLASS)
		return fail_glob(v, &g, "[...] classes after a '*'", g.classes,
		    KP_GLOB_MAX_CHARCLASS);
	total = (size_t)g.wildcards + g.doublestar + g.classes;
	v->profile_wildcards += total;
	if (v->profile_wildcards > KP_GLOB_MAX_PROFILE_WILDCARDS)
		return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
		    "the profile has more than %d wildcards in all",
		    KP_GLOB_MAX_PROFILE_WILDCARDS);
	return true;
}

bool
kp_check_path(struct kp_vstate *v, const struct kp_token *tok, bool quoted)
{
	if (tok->len == 0 || (tok->p[0] != '/' &&
	    !(tok->len >= 2 && tok->p[0] == '@' && tok->p[1] == '{')))
		return kp_fail(v, KP_REASON_SYNTAX, tok->line,
		    "path " KP_TOKEN_FMT " must start with '/' or @{VARIABLE}",
		    KP_TOKEN_ARG(tok->p, tok->len));
	return check_aare(v, tok, "path", AARE_PATH, quoted);
}

bool
kp_check_value(struct kp_vstate *v, const struct kp_token *tok,
    const char *what)
{
	return check_aare(v, tok, what, AARE_VALUE, false);
}
