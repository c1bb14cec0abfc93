/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verdict on one ConfigMap key, as kapparmor-check reports it: the
 * reader's error if the key could not be read, else rules 1-6, else (when
 * enabled) rule 7, the compile check.
 */
#ifndef KC_EVALUATE_H
#define KC_EVALUATE_H

#include <stdbool.h>

#include "common/compile_check.h"
#include "common/configmap.h"
#include "common/validator.h"

struct kc_options {
	enum kp_policy policy;
	bool compile;                  /* rule 7 on (the default) */
	struct kp_compile_opts compile_opts;
};

struct kc_result {
	bool accepted;
	struct kp_diag error;     /* why, when !accepted */
	struct kp_verdict verdict; /* warnings of rules 1-6 */
	bool validated;           /* rules 1-6 ran (the key was readable) */
	bool compiled;            /* the parser compiled it (rule 7 passed) */
};

void kc_evaluate(const struct kp_entry *entry, const struct kc_options *opts,
    struct kc_result *result);

#endif /* KC_EVALUATE_H */
