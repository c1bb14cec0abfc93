/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kapparmor-check's output: one line per key (and per warning), or one JSON
 * document.  The formats are an interface, documented in
 * docs/kapparmor-check.md; change them only by adding.
 */
#ifndef KC_REPORT_H
#define KC_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "check/evaluate.h"

#define KC_JSON_VERSION 1

struct kc_report {
	FILE *out;
	FILE *errout;
	bool json;
	bool prefix_source;      /* text: more than one source */
	const struct kc_options *opts;
	const char *source;      /* the current source */
	size_t accepted, rejected, source_errors;
	size_t nsources, nkeys;  /* written so far (JSON separators) */
};

void kc_report_begin(struct kc_report *r);
/* error: NULL, or why the source could not be read at all. */
void kc_report_source_begin(struct kc_report *r, const char *source,
    const char *error);
void kc_report_key(struct kc_report *r, const struct kp_entry *entry,
    const struct kc_result *result);
void kc_report_source_end(struct kc_report *r);
void kc_report_end(struct kc_report *r);

/* Text output: a key or source name with every byte outside '!'..'~', and
 * '\' and ':', written as \xNN, so a line always splits at its first ": ". */
void kc_write_text_name(FILE *f, const char *s);

#endif /* KC_REPORT_H */
