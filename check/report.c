/* SPDX-License-Identifier: Apache-2.0 */
#include "check/report.h"

#include <string.h>

#include "common/json.h"
#include "common/sha256.h"

void
kc_write_text_name(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\\' || *p == ':')
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* Messages are ours or the parser's, already sanitised; still, never let
 * one break the one-line-per-finding shape. */
static void
write_text_message(FILE *f, const char *msg)
{
	size_t n = strnlen(msg, KP_MESSAGE_MAX_LEN);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];
		fputc(c < 0x20 || c > 0x7e ? '?' : c, f);
	}
}

static void
write_json_message(FILE *f, const char *msg)
{
	kp_json_write_string(f, msg, strnlen(msg, KP_MESSAGE_MAX_LEN));
}

static void
write_json_line(FILE *f, unsigned line)
{
	if (line == 0)
		fputs("null", f);
	else
		fprintf(f, "%u", line);
}

void
kc_report_begin(struct kc_report *r)
{
	if (!r->json)
		return;
	fprintf(r->out, "{\"version\":%d,\"policy\":", KC_JSON_VERSION);
	kp_json_write_cstr(r->out, kp_policy_name(r->opts->policy));
	fprintf(r->out, ",\"compile\":%s,\"sources\":[",
	    r->opts->compile ? "true" : "false");
}

void
kc_report_source_begin(struct kc_report *r, const char *source,
    const char *error)
{
	r->source = source;
	r->nkeys = 0;
	if (error != NULL)
		r->source_errors++;
	if (!r->json) {
		if (error != NULL) {
			fputs("kapparmor-check: ", r->errout);
			kc_write_text_name(r->errout, source);
			fprintf(r->errout, ": %s\n", error);
		}
		return;
	}
	fputs(r->nsources++ ? ",\n{\"source\":" : "\n{\"source\":", r->out);
	kp_json_write_cstr(r->out, source);
	fputs(",\"error\":", r->out);
	if (error != NULL)
		kp_json_write_cstr(r->out, error);
	else
		fputs("null", r->out);
	fputs(",\"keys\":[", r->out);
}

static void
text_prefix(struct kc_report *r, const struct kp_entry *e)
{
	if (r->prefix_source) {
		kc_write_text_name(r->out, r->source);
		fputs(": ", r->out);
	}
	kc_write_text_name(r->out, e->key);
	fputs(": ", r->out);
}

static void
text_diag(FILE *f, const struct kp_diag *d)
{
	fputs(kp_reason_code(d->reason), f);
	if (d->line != 0)
		fprintf(f, ": line %u", d->line);
	if (d->message[0] != '\0') {
		fputs(": ", f);
		write_text_message(f, d->message);
	}
	fputc('\n', f);
}

static void
report_key_text(struct kc_report *r, const struct kp_entry *e,
    const struct kc_result *res)
{
	text_prefix(r, e);
	if (res->accepted) {
		fputs("ok\n", r->out);
	} else {
		fputs("rejected: ", r->out);
		text_diag(r->out, &res->error);
	}
	for (size_t i = 0; i < res->verdict.nwarnings && i < KP_WARNINGS_MAX;
	    i++) {
		text_prefix(r, e);
		fputs("warning: ", r->out);
		text_diag(r->out, &res->verdict.warnings[i]);
	}
	if (res->verdict.warnings_dropped > 0) {
		text_prefix(r, e);
		fprintf(r->out, "warning: %zu more warnings not shown\n",
		    res->verdict.warnings_dropped);
	}
}

static void
report_key_json(struct kc_report *r, const struct kp_entry *e,
    const struct kc_result *res)
{
	FILE *f = r->out;

	fputs(r->nkeys ? ",\n{\"key\":" : "\n{\"key\":", f);
	kp_json_write_cstr(f, e->key);
	fprintf(f, ",\"verdict\":\"%s\",\"reason\":",
	    res->accepted ? "ok" : "rejected");
	if (res->accepted) {
		fputs("null,\"line\":null,\"message\":null", f);
	} else {
		kp_json_write_cstr(f, kp_reason_code(res->error.reason));
		fputs(",\"line\":", f);
		write_json_line(f, res->error.line);
		fputs(",\"message\":", f);
		write_json_message(f, res->error.message);
	}
	fputs(",\"warnings\":[", f);
	for (size_t i = 0; i < res->verdict.nwarnings && i < KP_WARNINGS_MAX;
	    i++) {
		const struct kp_diag *w = &res->verdict.warnings[i];
		fputs(i ? ",{\"reason\":" : "{\"reason\":", f);
		kp_json_write_cstr(f, kp_reason_code(w->reason));
		fputs(",\"line\":", f);
		write_json_line(f, w->line);
		fputs(",\"message\":", f);
		write_json_message(f, w->message);
		fputc('}', f);
	}
	fprintf(f, "],\"warnings_dropped\":%zu,\"compiled\":%s,\"bytes\":",
	    res->verdict.warnings_dropped, res->compiled ? "true" : "false");
	if (e->data != NULL && e->read_error == KP_REASON_NONE) {
		char hex[KP_SHA256_HEX_LEN + 1];
		kp_sha256_hex(e->data, e->len, hex);
		fprintf(f, "%zu,\"sha256\":\"%s\"}", e->len, hex);
	} else {
		fputs("null,\"sha256\":null}", f);
	}
}

void
kc_report_key(struct kc_report *r, const struct kp_entry *e,
    const struct kc_result *res)
{
	if (res->accepted)
		r->accepted++;
	else
		r->rejected++;
	if (r->json)
		report_key_json(r, e, res);
	else
		report_key_text(r, e, res);
	r->nkeys++;
}

void
kc_report_source_end(struct kc_report *r)
{
	if (r->json)
		fputs(r->nkeys ? "\n]}" : "]}", r->out);
}

void
kc_report_end(struct kc_report *r)
{
	if (!r->json)
		return;
	fprintf(r->out, "%s],\"summary\":{\"accepted\":%zu,\"rejected\":%zu,"
	    "\"source_errors\":%zu}}\n", r->nsources ? "\n" : "",
	    r->accepted, r->rejected, r->source_errors);
}
