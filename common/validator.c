/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kp_validate(): the key (rule 1), the raw bytes (rule 2), then the profile
 * grammar (validator_profile.c).  The byte checks run over the whole text
 * before any token is looked at, so no later message can quote a NUL, a CR
 * or a non-ASCII byte, and no later code can be fooled by them.
 */
#include "common/validator.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/validator_internal.h"

#define KEY_NAME_MAX 63 /* after "custom." */

static const char *const policy_names[] = {
	[KP_POLICY_BASELINE] = "baseline",
	[KP_POLICY_PERMISSIVE] = "permissive",
};

bool
kp_policy_parse(const char *s, enum kp_policy *out)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]);
	    i++) {
		if (strcasecmp(s, policy_names[i]) == 0) {
			*out = (enum kp_policy)i;
			return true;
		}
	}
	return false;
}

const char *
kp_policy_name(enum kp_policy policy)
{
	if ((unsigned)policy > KP_POLICY_PERMISSIVE)
		return "unknown";
	return policy_names[policy];
}

static bool
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

bool
kp_key_is_valid(const char *key, size_t len)
{
	size_t prefix = strlen(KP_KEY_PREFIX);

	if (key == NULL || len <= prefix || len - prefix > KEY_NAME_MAX)
		return false;
	if (memcmp(key, KP_KEY_PREFIX, prefix) != 0)
		return false;
	if (!is_alnum((unsigned char)key[prefix]) && key[prefix] != '_')
		return false;
	for (size_t i = prefix + 1; i < len; i++) {
		int c = (unsigned char)key[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

static void set_diag(struct kp_diag *d, enum kp_reason reason,
    unsigned line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
set_diag(struct kp_diag *d, enum kp_reason reason, unsigned line,
    const char *fmt, va_list ap)
{
	d->reason = reason;
	d->line = line;
	if (vsnprintf(d->message, sizeof(d->message), fmt, ap) < 0)
		d->message[0] = '\0';
	/* Tokens hold only printable ASCII and blanks; a tab inside a quoted
	 * string or <...> must not reach a log line as a control byte. */
	for (char *p = d->message; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	}
}

bool
kp_fail(struct kp_vstate *v, enum kp_reason reason, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	if (v->out->error.reason != KP_REASON_NONE)
		return false;
	va_start(ap, fmt);
	set_diag(&v->out->error, reason, line, fmt, ap);
	va_end(ap);
	return false;
}

void
kp_warn(struct kp_vstate *v, enum kp_reason reason, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	if (v->out->nwarnings >= KP_WARNINGS_MAX) {
		v->out->warnings_dropped++;
		return;
	}
	va_start(ap, fmt);
	set_diag(&v->out->warnings[v->out->nwarnings], reason, line, fmt, ap);
	va_end(ap);
	v->out->nwarnings++;
}

bool
kp_policy_violation(struct kp_vstate *v, enum kp_reason reason,
    unsigned line, const char *what)
{
	if (v->policy == KP_POLICY_PERMISSIVE) {
		kp_warn(v, reason, line, "%s: allowed only by policy permissive",
		    what);
		return true;
	}
	return kp_fail(v, reason, line, "%s: not allowed by policy baseline",
	    what);
}

bool
kp_fail_unexpected(struct kp_vstate *v, const char *expected)
{
	struct kp_lexer *lx = &v->lx;
	struct kp_token tok;
	size_t n = 0;

	if (kp_lexer_at_end(lx))
		return kp_fail(v, KP_REASON_SYNTAX, lx->line,
		    "unexpected end of text, expected %s", expected);
	if (kp_lexer_peek(lx, 0) == '"') {
		unsigned line = lx->line;

		if (!kp_lexer_quoted(lx, &tok))
			return kp_fail(v, KP_REASON_QUOTE, line,
			    "quoted string does not close on its line");
		return kp_fail(v, KP_REASON_SYNTAX, line,
		    "unexpected quoted string, expected %s", expected);
	}
	if (kp_lexer_looking_at(lx, "->"))
		return kp_fail(v, KP_REASON_ARROW, lx->line,
		    "'->' (a transition or link target) is not allowed");
	if (kp_lexer_is_space(kp_lexer_peek(lx, 0)))
		return kp_fail(v, KP_REASON_SYNTAX, lx->line,
		    "unexpected blank or end of line, expected %s", expected);
	/* quote up to a blank, or up to a ',' that ends it */
	do
		n++;
	while (!kp_lexer_is_space(kp_lexer_peek(lx, n)) &&
	    kp_lexer_peek(lx, n) != ',');
	return kp_fail(v, KP_REASON_SYNTAX, lx->line,
	    "unexpected " KP_TOKEN_FMT ", expected %s",
	    KP_TOKEN_ARG(lx->data + lx->pos, n), expected);
}

bool
kp_skip_in_rule(struct kp_vstate *v)
{
	switch (kp_lexer_skip_space_comments(&v->lx)) {
	case KP_SKIP_OK:
		return true;
	case KP_SKIP_INCLUDE:
		return kp_fail(v, KP_REASON_INCLUDE, v->lx.line,
		    "include directive inside a rule");
	case KP_SKIP_COMMENT_EOF:
		return kp_fail(v, KP_REASON_SYNTAX, v->lx.line,
		    "comment at the end of the text needs a newline");
	}
	return kp_fail(v, KP_REASON_SYNTAX, v->lx.line, "scanner state");
}

/*
 * Rule 2 on raw bytes.  One pass finds the first bad byte, the first long
 * line and the first backslash; a bad byte anywhere wins over the others so
 * that no message is ever built from a text that holds one.
 */
static bool
check_bytes(struct kp_vstate *v, const unsigned char *data, size_t len)
{
	unsigned line = 1, long_line = 0, backslash_line = 0;
	size_t line_start = 0;
	bool blank = true;

	for (size_t i = 0; i <= len; i++) {
		int c = i < len ? data[i] : '\n';

		if (c == '\n') {
			if (i - line_start > KP_LINE_MAX_BYTES && long_line == 0)
				long_line = line;
			line++;
			line_start = i + 1;
			continue;
		}
		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return kp_fail(v, KP_REASON_BAD_BYTE, line,
			    "byte 0x%02x at column %zu: only tab, newline and "
			    "printable ASCII are allowed", (unsigned)c,
			    i - line_start + 1);
		if (c == '\\' && backslash_line == 0)
			backslash_line = line;
		if (c != ' ' && c != '\t')
			blank = false;
	}
	if (long_line != 0)
		return kp_fail(v, KP_REASON_LINE_TOO_LONG, long_line,
		    "line longer than %d bytes", KP_LINE_MAX_BYTES);
	if (backslash_line != 0)
		return kp_fail(v, KP_REASON_BACKSLASH, backslash_line,
		    "backslash escapes are not allowed");
	if (blank)
		return kp_fail(v, KP_REASON_EMPTY, 0, "the profile is empty");
	return true;
}

void
kp_validate(const char *key, const unsigned char *data, size_t len,
    const struct kp_validator_opts *opts, struct kp_verdict *out)
{
	struct kp_vstate v;
	size_t key_len;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	v.out = out;
	v.policy = opts != NULL ? opts->policy : KP_POLICY_BASELINE;
	if (v.policy != KP_POLICY_BASELINE && v.policy != KP_POLICY_PERMISSIVE)
		v.policy = KP_POLICY_BASELINE; /* fail closed */

	key_len = key != NULL ? strnlen(key, KP_KEY_MAX_LEN + 1) : 0;
	if (!kp_key_is_valid(key, key_len)) {
		(void)kp_fail(&v, KP_REASON_KEY_FORMAT, 0,
		    "key must match custom.[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");
		goto done;
	}
	v.key = key;
	v.key_len = key_len;

	if (data == NULL && len != 0)
		len = 0;
	if (len > (size_t)KP_PROFILE_MAX_BYTES) {
		(void)kp_fail(&v, KP_REASON_TOO_LARGE, 0,
		    "profile is %zu bytes, more than %d", len,
		    KP_PROFILE_MAX_BYTES);
		goto done;
	}
	if (!check_bytes(&v, data, len))
		goto done;

	kp_lexer_init(&v.lx, data, len);
	if (!kp_parse_profile(&v))
		goto done;
	out->accepted = true;
	return;

done:
	/* A rejected key's warnings would only distract from its error. */
	out->accepted = false;
	out->nwarnings = 0;
	out->warnings_dropped = 0;
	if (out->error.reason == KP_REASON_NONE)
		(void)kp_fail(&v, KP_REASON_SYNTAX, 0, "rejected");
}
