/* SPDX-License-Identifier: Apache-2.0 */
#include "check/evaluate.h"

#include <stdio.h>
#include <string.h>

void
kc_evaluate(const struct kp_entry *e, const struct kc_options *opts,
    struct kc_result *r)
{
	struct kp_validator_opts vopts = { .policy = opts->policy };

	memset(r, 0, sizeof(*r));
	if (e->read_error != KP_REASON_NONE || e->data == NULL) {
		r->error.reason = e->read_error != KP_REASON_NONE ?
		    e->read_error : KP_REASON_READ_ERROR;
		r->error.line = 0;
		snprintf(r->error.message, sizeof(r->error.message), "%s",
		    e->message);
		return;
	}
	r->validated = true;
	kp_validate(e->key, e->data, e->len, &vopts, &r->verdict);
	if (!r->verdict.accepted) {
		r->error = r->verdict.error;
		/* Fail closed even if a rejection came without a reason. */
		if (r->error.reason == KP_REASON_NONE)
			r->error.reason = KP_REASON_SYNTAX;
		return;
	}
	if (opts->compile) {
		struct kp_diag diag;

		memset(&diag, 0, sizeof(diag));
		enum kp_reason reason = kp_compile_check(e->key, e->data, e->len,
		    &opts->compile_opts, &diag);
		if (reason != KP_REASON_NONE) {
			r->error = diag;
			r->error.reason = reason;
			return;
		}
		r->compiled = true;
	}
	r->accepted = true;
}
