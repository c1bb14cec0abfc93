/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock for the watcher: after this, the only files it can open are
 * beneath the ConfigMap directory, and only for reading.  Complements the
 * seccomp filter, which cannot look at paths.
 */
#ifndef KP_SECCOMP_LANDLOCK_H
#define KP_SECCOMP_LANDLOCK_H

#include <stddef.h>

enum kp_landlock_result {
	KP_LANDLOCK_ENFORCED = 0,
	KP_LANDLOCK_UNAVAILABLE,   /* kernel without Landlock: reason says so */
	KP_LANDLOCK_FAILED,        /* available but could not be applied */
};

/* Restrict the calling process (no_new_privs must be set).  The directory
 * is opened here, so it must exist. */
enum kp_landlock_result kp_landlock_read_only_beneath(const char *dir,
    char *reason, size_t reasonlen);

#endif /* KP_SECCOMP_LANDLOCK_H */
