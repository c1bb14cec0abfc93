/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the golden files of the seccomp filters live and which filters
 * they are: seccomp/golden/<process>.<arch>.pfc, libseccomp's pseudo
 * filter code of kp_seccomp_build() for the native architecture.  Shared
 * by export_golden (writes them) and test_golden (compares).
 */
#ifndef KP_TEST_SECCOMP_GOLDEN_H
#define KP_TEST_SECCOMP_GOLDEN_H

#include <stddef.h>

#include "seccomp/sandbox.h"

#define GOLDEN_NPOLICIES 3
extern const struct kp_seccomp_policy *const golden_policies[GOLDEN_NPOLICIES];

/* dir/<process>.<arch>.pfc into buf.  Returns 0, or -1 when the path does
 * not fit or the architecture is not supported. */
int golden_path(char *buf, size_t len, const char *dir, const char *process);

#endif /* KP_TEST_SECCOMP_GOLDEN_H */
