/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rules that only a sanitizer build's tables carry; production tables (and
 * the golden files under seccomp/golden/) have none of them.
 *
 * AddressSanitizer instruments every call of a noreturn function (_exit,
 * kp_exit, longjmp) with __asan_handle_no_return, which asks the kernel for
 * the alternate signal stack, sigaltstack(NULL, &old), before the call.
 * Without the rule every confined process of an ASan build dies of SIGSYS
 * on its way out, and so does the spawn supervisor after each parser run.
 * The query form (first argument NULL) changes nothing.
 */
#ifndef KP_SECCOMP_SANITIZER_H
#define KP_SECCOMP_SANITIZER_H

#include "seccomp/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define KP_SECCOMP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KP_SECCOMP_ASAN 1
#endif
#endif

#ifdef KP_SECCOMP_ASAN
#define KP_SANITIZER_RULES ALLOW_ARG("sigaltstack", KP_ARG_EQ(0, 0)),
#else
#define KP_SANITIZER_RULES
#endif

#endif /* KP_SECCOMP_SANITIZER_H */
