/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths and other AppArmor regular expressions (AARE): which characters
 * they may hold, which variables they may use (rule 5), and how much work
 * they may cost apparmor_parser (rule 2).
 *
 * Two passes per pattern.  The first checks the text and writes it out with
 * every @{VAR} replaced by its expansion from the tunables (the parser
 * expands textually before it builds its DFA, so that is what costs).  The
 * second counts, on the expanded text, exactly what the reference counter
 * in scripts/measure-glob.py counts (docs/validator-limits.md states the
 * rules); the limits are in common/glob_limits.h.
 */
#include "common/validator_glob.h"

#include <string.h>

#include "common/allowlist.h"
#include "common/glob_limits.h"
#include "common/validator_internal.h"

enum aare_kind {
	AARE_PATH,  /* file rules, mount points: may use variables */
	AARE_VALUE, /* conditional values and labels: no variables */
};

struct expansion {
	const struct kp_token *tok; /* for messages */
	const char *what;
	enum aare_kind kind;
	bool quoted;
	char *out;
	size_t len;
	unsigned depth;
	unsigned width[KP_GLOB_MAX_ALT_DEPTH + 1];
};

static bool
is_literal(const struct expansion *e, int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '/': case '.': case '_': case '-': case '+': case '~': case ':':
	case '%': case '@':
		return true;
	case '=':
		return e->kind == AARE_PATH;
	case ' ':
		return e->quoted;
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

static bool
fail_char(struct kp_vstate *v, const struct expansion *e, int c)
{
	if (c < 0x20)
		return kp_fail(v, KP_REASON_SYNTAX, e->tok->line,
		    "byte 0x%02x is not allowed in %s " KP_TOKEN_FMT, c,
		    e->what, KP_TOKEN_ARG(e->tok->p, e->tok->len));
	return kp_fail(v, KP_REASON_SYNTAX, e->tok->line,
	    "character '%c' is not allowed in %s " KP_TOKEN_FMT, c, e->what,
	    KP_TOKEN_ARG(e->tok->p, e->tok->len));
}

static bool
fail_syntax(struct kp_vstate *v, const struct expansion *e, const char *what)
{
	return kp_fail(v, KP_REASON_SYNTAX, e->tok->line, "%s in " KP_TOKEN_FMT,
	    what, KP_TOKEN_ARG(e->tok->p, e->tok->len));
}

static bool
fail_limit(struct kp_vstate *v, const struct kp_token *tok, const char *what,
    const char *metric, size_t value, size_t limit)
{
	return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
	    "%s " KP_TOKEN_FMT " has %zu %s (limit %zu)", what,
	    KP_TOKEN_ARG(tok->p, tok->len), value, metric, limit);
}

static bool
emit(struct kp_vstate *v, struct expansion *e, const char *s, size_t n)
{
	if (n > KP_GLOB_MAX_EXPANDED_BYTES - e->len)
		return fail_limit(v, e->tok, e->what, "bytes once expanded",
		    e->len + n, KP_GLOB_MAX_EXPANDED_BYTES);
	memcpy(e->out + e->len, s, n);
	e->len += n;
	return true;
}

static bool copy_text(struct kp_vstate *v, struct expansion *e,
    const char *s, size_t n, bool top);

/* @{NAME} at s[i]; *end is the index after '}'. */
static bool
copy_variable(struct kp_vstate *v, struct expansion *e, const char *s,
    size_t n, size_t i, size_t *end)
{
	size_t j = i + 2;
	const struct kp_variable *var;
	uint64_t need;
	int idx;

	if (e->kind != AARE_PATH)
		return kp_fail(v, KP_REASON_SYNTAX, e->tok->line,
		    "variables are not allowed in %s " KP_TOKEN_FMT, e->what,
		    KP_TOKEN_ARG(e->tok->p, e->tok->len));
	while (j < n && s[j] != '}' && j - i - 2 <= KP_QUOTE_MAX)
		j++;
	if (j >= n || s[j] != '}' || j == i + 2)
		return fail_syntax(v, e, "malformed variable");
	idx = kp_variable_find(s + i + 2, j - i - 2);
	if (idx < 0)
		return kp_fail(v, KP_REASON_UNKNOWN_VARIABLE, e->tok->line,
		    "variable @{%.*s} is not defined by an allowed tunable",
		    (int)(j - i - 2), s + i + 2);
	var = &kp_variables[idx];
	need = var->requires | (UINT64_C(1) << idx);
	if ((v->vars & need) != need)
		return kp_fail(v, KP_REASON_UNKNOWN_VARIABLE, e->tok->line,
		    "variable @{%.*s} needs its tunable included (e.g. "
		    "#include <tunables/global>)", (int)(j - i - 2), s + i + 2);
	*end = j + 1;
	/* Expansions hold no variables, so this recurses exactly once. */
	return copy_text(v, e, var->expansion, strlen(var->expansion), false);
}

/*
 * [^...]: single characters and ranges a-z of one kind (digits, lower or
 * upper case), low to high; a '-' only first.  The parser's own class
 * syntax is looser but fails on a trailing '-' or on a-z-9, so we accept
 * only the plain forms.
 */
static bool
copy_class(struct kp_vstate *v, struct expansion *e, const char *s, size_t n,
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
			return fail_char(v, e, c);
		if (j + 2 < n && s[j + 1] == '-' && s[j + 2] != ']') {
			int hi = (unsigned char)s[j + 2];

			if (range_kind(c) == 0 || range_kind(c) !=
			    range_kind(hi) || hi < c)
				return kp_fail(v, KP_REASON_SYNTAX,
				    e->tok->line, "bad range '%c-%c' in "
				    KP_TOKEN_FMT, c, hi,
				    KP_TOKEN_ARG(e->tok->p, e->tok->len));
			j += 3;
			continue;
		}
		j++;
	}
	if (j >= n)
		return fail_syntax(v, e, "unclosed '['");
	if (j == start)
		return fail_syntax(v, e, "empty '[]'");
	*end = j + 1;
	return emit(v, e, s + i, j + 1 - i);
}

/*
 * Check s and append it, variables expanded, to e->out.  Depth and width of
 * {} are checked here, while copying, so that the counting pass can recurse
 * over groups knowing the depth is bounded.
 */
static bool
copy_text(struct kp_vstate *v, struct expansion *e, const char *s, size_t n,
    bool top)
{
	size_t i = 0;

	while (i < n) {
		int c = (unsigned char)s[i];

		if (c == '@' && i + 1 < n && s[i + 1] == '{') {
			if (!top)
				return fail_char(v, e, c);
			if (!copy_variable(v, e, s, n, i, &i))
				return false;
			continue;
		}
		switch (c) {
		case '[':
			if (!copy_class(v, e, s, n, i, &i))
				return false;
			continue;
		case '{':
			if (e->depth >= KP_GLOB_MAX_ALT_DEPTH)
				return fail_limit(v, e->tok, e->what,
				    "levels of nested {}", e->depth + 1,
				    KP_GLOB_MAX_ALT_DEPTH);
			e->depth++;
			e->width[e->depth] = 1;
			break;
		case ',':
			if (e->depth == 0)
				return fail_char(v, e, c);
			if (++e->width[e->depth] > KP_GLOB_MAX_ALT_WIDTH)
				return fail_limit(v, e->tok, e->what,
				    "alternatives in one {}",
				    e->width[e->depth], KP_GLOB_MAX_ALT_WIDTH);
			break;
		case '}':
			if (e->depth == 0)
				return fail_syntax(v, e, "unbalanced '}'");
			e->depth--;
			break;
		case '*':
			if (e->len >= 2 && e->out[e->len - 1] == '*' &&
			    e->out[e->len - 2] == '*')
				return fail_syntax(v, e, "'***'");
			break;
		case '?':
			break;
		default:
			if (!is_literal(e, c))
				return fail_char(v, e, c);
			break;
		}
		if (!emit(v, e, s + i, 1))
			return false;
		i++;
	}
	return true;
}

/* ---- counting, after scripts/measure-glob.py's glob_stats() ------------ */

/* Index just past the class that starts at p[i] == '['. */
static size_t
class_end(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n && p[j] != ']')
		j++;
	return j + 1;
}

/* Index of the '}' matching the '{' at p[i]. */
static size_t
group_end(const char *p, size_t n, size_t i)
{
	unsigned depth = 0;
	size_t j = i;

	while (j < n) {
		if (p[j] == '[') {
			j = class_end(p, n, j);
			continue;
		}
		if (p[j] == '{') {
			depth++;
		} else if (p[j] == '}') {
			if (--depth == 0)
				return j;
		}
		j++;
	}
	return n - 1;
}

static size_t width_of(const char *p, size_t n);

/*
 * The largest width of the top-level alternatives of the group at p[i]
 * (characters matched at most, '*' counting 0), and their number.
 */
static void
group_widths(const char *p, size_t n, size_t i, size_t *max_width,
    size_t *count)
{
	size_t end = group_end(p, n, i), start = i + 1;
	size_t j = start;
	unsigned depth = 0;

	*max_width = 0;
	*count = 0;
	while (j <= end) {
		if (j < end && p[j] == '[') {
			j = class_end(p, n, j);
			continue;
		}
		if (j == end || (p[j] == ',' && depth == 0)) {
			size_t w = width_of(p + start, j - start);

			if (w > *max_width)
				*max_width = w;
			(*count)++;
			start = j + 1;
		} else if (p[j] == '{') {
			depth++;
		} else if (p[j] == '}') {
			depth--;
		}
		j++;
	}
}

/* Recursion is bounded by KP_GLOB_MAX_ALT_DEPTH, checked while copying. */
static size_t
width_of(const char *p, size_t n)
{
	size_t w = 0, j = 0;

	while (j < n) {
		if (p[j] == '*') {
			j++;
		} else if (p[j] == '[') {
			w++;
			j = class_end(p, n, j);
		} else if (p[j] == '{') {
			size_t gw, count;

			group_widths(p, n, j, &gw, &count);
			w += gw;
			j = group_end(p, n, j) + 1;
		} else {
			w++;
			j++;
		}
	}
	return w;
}

enum floating {
	FLOAT_NONE,
	FLOAT_SEGMENT, /* after '*': up to the next '/' at depth 0 */
	FLOAT_PATH,    /* after '**': to the end */
};

void
kp_glob_count(const char *p, size_t n, struct kp_glob_stats *st)
{
	enum floating floating = FLOAT_NONE;
	bool pending = false, after_u = false, unbounded = false;
	unsigned depth = 0;
	size_t i = 0;

	memset(st, 0, sizeof(*st));
	while (i < n) {
		int c = (unsigned char)p[i];

		if (c == '*') {
			size_t j = i;

			while (j < n && p[j] == '*')
				j++;
			if (floating != FLOAT_NONE && pending)
				st->ambiguity++;
			unbounded = true;
			if (j - i >= 2) {
				st->doublestar++;
				floating = FLOAT_PATH;
				if (!st->has_floating) {
					st->has_floating = true;
					st->floating = n - j;
				}
			} else {
				st->wildcards++;
				if (floating == FLOAT_NONE)
					floating = FLOAT_SEGMENT;
			}
			pending = false;
			after_u = true;
			i = j;
			continue;
		}
		if (c == '/' && depth == 0 && floating == FLOAT_SEGMENT) {
			floating = FLOAT_NONE;
			pending = false;
			after_u = false;
			i++;
			continue;
		}
		if (c == '/' && after_u) {
			after_u = false;
			i++;
			continue;
		}
		after_u = false;
		if (c == '?') {
			st->wildcards++;
			if (floating != FLOAT_NONE) {
				st->ambiguity++;
				pending = true;
			}
		} else if (c == '[') {
			st->all_classes++;
			if (unbounded)
				st->classes++;
			if (floating != FLOAT_NONE) {
				st->ambiguity++;
				pending = true;
			}
			i = class_end(p, n, i);
			continue;
		} else if (c == '{') {
			size_t max_width, count;
			bool trailing;

			group_widths(p, n, i, &max_width, &count);
			if (count > st->alt_width)
				st->alt_width = count;
			depth++;
			if (depth > st->alt_depth)
				st->alt_depth = depth;
			trailing = depth == 1 && group_end(p, n, i) == n - 1;
			if (floating != FLOAT_NONE) {
				if (!trailing)
					st->ambiguity += max_width < count ?
					    max_width : count;
				pending = true;
			}
		} else if (c == '}') {
			depth--;
		} else if (c == ',') {
			/* nothing */
		} else if (floating != FLOAT_NONE) {
			pending = true;
		}
		i++;
	}
}

/* ---- checking one pattern ---------------------------------------------- */

static bool
check_aare(struct kp_vstate *v, const struct kp_token *tok, const char *what,
    enum aare_kind kind, bool quoted)
{
	char buf[KP_GLOB_MAX_EXPANDED_BYTES];
	struct expansion e;
	struct kp_glob_stats st;

	memset(&e, 0, sizeof(e));
	e.tok = tok;
	e.what = what;
	e.kind = kind;
	e.quoted = quoted;
	e.out = buf;
	if (tok->len == 0)
		return kp_fail(v, KP_REASON_SYNTAX, tok->line, "empty %s",
		    what);
	if (!copy_text(v, &e, tok->p, tok->len, true))
		return false;
	if (e.depth != 0)
		return fail_syntax(v, &e, "unbalanced '{'");

	kp_glob_count(buf, e.len, &st);
	if (st.wildcards > KP_GLOB_MAX_WILDCARDS)
		return fail_limit(v, tok, what, "'*'/'?' wildcards",
		    st.wildcards, KP_GLOB_MAX_WILDCARDS);
	if (st.doublestar > KP_GLOB_MAX_DOUBLESTAR)
		return fail_limit(v, tok, what, "'**'", st.doublestar,
		    KP_GLOB_MAX_DOUBLESTAR);
	if (st.classes > KP_GLOB_MAX_CHARCLASS)
		return fail_limit(v, tok, what, "[...] classes after a '*'",
		    st.classes, KP_GLOB_MAX_CHARCLASS);
	if (st.all_classes > KP_GLOB_MAX_PATTERN_CLASSES)
		return fail_limit(v, tok, what, "[...] classes",
		    st.all_classes, KP_GLOB_MAX_PATTERN_CLASSES);

	v->glob.wildcards += st.wildcards + st.doublestar + st.classes;
	v->glob.classes += st.all_classes;
	v->glob.ambiguity += st.ambiguity;
	v->glob.floating += st.floating;
	if (v->glob.wildcards > KP_GLOB_MAX_PROFILE_WILDCARDS)
		return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
		    "the profile has more than %d wildcards in all",
		    KP_GLOB_MAX_PROFILE_WILDCARDS);
	if (v->glob.classes > KP_GLOB_MAX_PROFILE_CLASSES)
		return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
		    "the profile has more than %d [...] classes in all",
		    KP_GLOB_MAX_PROFILE_CLASSES);
	if (v->glob.ambiguity > KP_GLOB_MAX_AMBIGUITY)
		return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
		    "%s " KP_TOKEN_FMT " brings the profile's ambiguous "
		    "wildcards to %zu (limit %d)", what,
		    KP_TOKEN_ARG(tok->p, tok->len), v->glob.ambiguity,
		    KP_GLOB_MAX_AMBIGUITY);
	if (v->glob.floating > KP_GLOB_MAX_FLOATING_CHARS)
		return kp_fail(v, KP_REASON_GLOB_COMPLEXITY, tok->line,
		    "%s " KP_TOKEN_FMT " brings the text after '**' to %zu "
		    "bytes in the profile (limit %d)", what,
		    KP_TOKEN_ARG(tok->p, tok->len), v->glob.floating,
		    KP_GLOB_MAX_FLOATING_CHARS);
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
