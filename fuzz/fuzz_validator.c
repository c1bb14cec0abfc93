/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the validator (rules 1-6).  The input's first line is the
 * key, the rest the profile text.  Besides "no crash, no hang, no leak",
 * every verdict must be well formed, the same twice, and the permissive
 * policy must accept whatever the baseline accepts (it only turns rule 6
 * off).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/validator.h"

#define FUZZ_KEY_MAX 512 /* longer "keys" teach the fuzzer nothing new */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_diag(const struct kp_diag *d, size_t nlines, bool is_error)
{
	if ((unsigned)d->reason >= (unsigned)KP_REASON__COUNT)
		abort();
	if (is_error && d->reason == KP_REASON_NONE)
		abort();
	if (d->line > nlines + 1)
		abort();
	const char *end = memchr(d->message, '\0', sizeof(d->message));
	if (end == NULL)
		abort();
	/* One line, printable: it goes into logs and terminal output. */
	for (const char *p = d->message; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			abort();
	}
}

static void
check_verdict(const struct kp_verdict *v, size_t nlines)
{
	if (v->accepted) {
		if (v->error.reason != KP_REASON_NONE)
			abort();
	} else {
		check_diag(&v->error, nlines, true);
		if (v->error.message[0] == '\0')
			abort();
	}
	if (v->nwarnings > KP_WARNINGS_MAX)
		abort();
	for (size_t i = 0; i < v->nwarnings; i++)
		check_diag(&v->warnings[i], nlines, false);
}

static bool
same_verdict(const struct kp_verdict *a, const struct kp_verdict *b)
{
	if (a->accepted != b->accepted || a->nwarnings != b->nwarnings ||
	    a->warnings_dropped != b->warnings_dropped)
		return false;
	if (!a->accepted && (a->error.reason != b->error.reason ||
	    a->error.line != b->error.line ||
	    strcmp(a->error.message, b->error.message) != 0))
		return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t keylen = nl != NULL ? (size_t)(nl - data) : size;
	size_t off = nl != NULL ? keylen + 1 : size;
	size_t len = size - off;

	if (keylen > FUZZ_KEY_MAX)
		keylen = FUZZ_KEY_MAX;
	/* Exactly sized heap copies, so ASan sees any read past the end. */
	char *key = malloc(keylen + 1);
	unsigned char *text = malloc(len ? len : 1);
	if (key == NULL || text == NULL)
		abort();
	memcpy(key, data, keylen);
	key[keylen] = '\0';
	memcpy(text, data + off, len);

	size_t nlines = 1;
	for (size_t i = 0; i < len; i++)
		nlines += text[i] == '\n';

	struct kp_validator_opts baseline = { .policy = KP_POLICY_BASELINE };
	struct kp_validator_opts permissive = { .policy = KP_POLICY_PERMISSIVE };
	struct kp_verdict *v = calloc(3, sizeof(*v));
	if (v == NULL)
		abort();
	kp_validate(key, text, len, &baseline, &v[0]);
	kp_validate(key, text, len, &permissive, &v[1]);
	kp_validate(key, text, len, NULL, &v[2]);
	check_verdict(&v[0], nlines);
	check_verdict(&v[1], nlines);
	/* NULL options are the defaults, i.e. the baseline. */
	if (!same_verdict(&v[0], &v[2]))
		abort();
	if (v[0].accepted && !v[1].accepted)
		abort();
	/* Rule 1 alone agrees with the whole validator. */
	if (v[0].accepted && !kp_key_is_valid(key, strlen(key)))
		abort();

	free(v);
	free(text);
	free(key);
	return 0;
}
