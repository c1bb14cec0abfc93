/* SPDX-License-Identifier: Apache-2.0 */
#include "common/parser_output.h"

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(KP_MESSAGE_MAX_LEN >= 4, "room for \"...\"");

static enum kp_reason
set_diag(struct kp_diag *diag, enum kp_reason reason, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum kp_reason
set_diag(struct kp_diag *diag, enum kp_reason reason, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	diag->reason = reason;
	diag->line = line;
	va_start(ap, fmt);
	(void)vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	return reason;
}

/* The line that explains a failure: the first one that mentions an error,
 * else the first non-blank one.  *len excludes the newline. */
static const char *
meaningful_line(const char *out, size_t *len)
{
	const char *first = NULL;
	size_t first_len = 0;

	for (const char *p = out; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		bool blank = true;
		for (size_t i = 0; i < n; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				blank = false;
		if (!blank) {
			/* Look for "error" inside this line only. */
			for (size_t i = 0; i + 5 <= n; i++) {
				if (strncasecmp(p + i, "error", 5) == 0) {
					*len = n;
					return p;
				}
			}
			if (first == NULL) {
				first = p;
				first_len = n;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	*len = first_len;
	return first;
}

/* N from "<our path> at line N:", the parser's form for an error in the
 * file it was given; 0 when the error is in another file (an include). */
static unsigned
line_number(const char *line, size_t len, const char *path)
{
	static const char marker[] = " at line ";
	const size_t mlen = sizeof(marker) - 1;
	size_t plen = strlen(path);
	unsigned n = 0;

	for (size_t i = plen; i + mlen < len; i++) {
		if (memcmp(line + i, marker, mlen) != 0)
			continue;
		if (memcmp(line + i - plen, path, plen) != 0)
			return 0;
		for (size_t j = i + mlen;
		    j < len && line[j] >= '0' && line[j] <= '9' && n < 10000000; j++)
			n = n * 10 + (unsigned)(line[j] - '0');
		return n;
	}
	return 0;
}

/* Does line[i..len) start with the NUL-terminated s? */
static bool
starts_at(const char *line, size_t len, size_t i, const char *s, size_t slen)
{
	return slen > 0 && len - i >= slen && memcmp(line + i, s, slen) == 0;
}

/*
 * Copy a parser line into dst (size >= 4) for a log line or a Result: the
 * private file's path becomes the key, its directory TMP_DIR_LABEL,
 * anything but printable ASCII '?', and a line too long ends in "...".
 * The parser names the file twice for an error in it ("error for P in
 * profile P at line N"); the second mention is dropped, which leaves the
 * parser's own shorter form ("error for P at line N") and room for the
 * message itself.
 */
static void
sanitize_line(char *dst, size_t size, const char *line, size_t len,
    const struct kp_parser_names *nm)
{
	char again[KP_PARSER_PATH_MAX + 16];
	size_t plen = strlen(nm->path), dlen = nm->dir != NULL ? strlen(nm->dir) : 0;
	size_t alen = 0, o = 0;
	bool named = false, cut = false;

	if (plen > 0)
		alen = (size_t)snprintf(again, sizeof(again), " in profile %s",
		    nm->path);
	for (size_t i = 0; i < len;) {
		const char *rep;
		char one[2] = { 0, 0 };
		size_t skip;

		if (named && starts_at(line, len, i, again, alen)) {
			i += alen;
			continue;
		}
		if (starts_at(line, len, i, nm->path, plen)) {
			rep = nm->key;
			skip = plen;
			named = true;
		} else if (starts_at(line, len, i, nm->dir, dlen)) {
			rep = nm->dir_label;
			skip = dlen;
		} else {
			unsigned char c = (unsigned char)line[i];
			one[0] = (char)(c == '\t' ? ' ' :
			    (c >= 0x20 && c <= 0x7e) ? c : '?');
			rep = one;
			skip = 1;
		}
		size_t rlen = strlen(rep);
		if (o + rlen > size - 1) {
			cut = true;
			break;
		}
		memcpy(dst + o, rep, rlen);
		o += rlen;
		i += skip;
	}
	if (cut) {
		if (o > size - 4)
			o = size - 4;
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

enum kp_reason
kp_parser_explain(const struct kp_spawn_result *res, const char *parser,
    unsigned timeout_ms, const struct kp_parser_names *nm,
    struct kp_diag *diag)
{
	const char *line;
	size_t len;

	switch (res->outcome) {
	case KP_SPAWN_EXITED:
		if (res->exit_code == 0)
			return set_diag(diag, KP_REASON_NONE, 0, "%s", "");
		line = meaningful_line(res->output, &len);
		if (line == NULL)
			return set_diag(diag, KP_REASON_COMPILE_FAILED, 0,
			    "apparmor_parser exited with status %d",
			    res->exit_code);
		diag->reason = KP_REASON_COMPILE_FAILED;
		diag->line = line_number(line, len, nm->path);
		sanitize_line(diag->message, sizeof(diag->message), line, len,
		    nm);
		return diag->reason;
	case KP_SPAWN_SIGNALED: {
		const char *abbrev = sigabbrev_np(res->term_signal);
		return set_diag(diag, KP_REASON_COMPILE_CRASHED, 0,
		    "apparmor_parser killed by signal %d (SIG%s)",
		    res->term_signal, abbrev != NULL ? abbrev : "?");
	}
	case KP_SPAWN_TIMEOUT:
		return set_diag(diag, KP_REASON_COMPILE_TIMEOUT, 0,
		    "apparmor_parser did not finish within %u ms", timeout_ms);
	case KP_SPAWN_ERROR:
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "cannot run %s (%s): %s", parser,
		    res->error_step != NULL ? res->error_step : "?",
		    strerror(res->errno_value));
	}
	return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
	    "unexpected spawn outcome %d", (int)res->outcome);
}
