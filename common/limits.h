/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hard limits shared by the validator, the ConfigMap readers and the
 * protocol.  They bound memory and parser work; see docs/validator.md for how
 * each was chosen.
 */
#ifndef KP_LIMITS_H
#define KP_LIMITS_H

#define KP_KEY_PREFIX          "custom."
#define KP_KEY_MAX_LEN         70          /* "custom." + 63 */
#define KP_PROFILE_MAX_BYTES   (64 * 1024) /* one profile's text */
#define KP_LINE_MAX_BYTES      4096
#define KP_RULES_MAX           4096
#define KP_KEYS_MAX            4096        /* keys in one ConfigMap */
#define KP_MANIFEST_MAX_BYTES  (8 * 1024 * 1024)
#define KP_MESSAGE_MAX_LEN     160         /* one diagnostic line */
#define KP_WARNINGS_MAX        16

#endif /* KP_LIMITS_H */
