/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The loader's access to the kernel's AppArmor interface (apparmorfs):
 * whether AppArmor is there at all, which profiles the kernel holds, and
 * removing a profile by name through libapparmor's kernel interface (which
 * writes "<name>\0" to <apparmorfs>/.remove).  Loading is apparmor_parser's
 * job, not this module's.
 */
#ifndef KP_LOADER_KERNEL_H
#define KP_LOADER_KERNEL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"

#define KP_APPARMORFS_DEFAULT      "/sys/kernel/security/apparmor"
#define KP_AA_ENABLED_PARAM        "/sys/module/apparmor/parameters/enabled"
/* Shipped by Debian's apparmor package: the features the parser compiles
 * for when it cannot ask the kernel. */
#define KP_FEATURES_FILE_DEFAULT   "/usr/share/apparmor-features/features"
#define KP_PROFILES_READ_MAX       (8 * 1024 * 1024) /* <apparmorfs>/profiles */
#define KP_AA_PARAM_READ_MAX       16

/* ---- is AppArmor usable? ---- */

enum kp_aa_state {
	KP_AA_ENABLED = 0,
	KP_AA_ABSENT,           /* not in this kernel */
	KP_AA_DISABLED,         /* in the kernel, but switched off */
	KP_AA_UNAVAILABLE,      /* apparmorfs missing or unreadable */
};

struct kp_aa_status {
	enum kp_aa_state state;
	char reason[KP_MESSAGE_MAX_LEN]; /* for the log, /readyz and status */
};

/* enabled_param: the module's "enabled" parameter file (normally
 * KP_AA_ENABLED_PARAM), or NULL to judge from apparmorfs alone (tests, or
 * a fake apparmorfs).  Enabled means: the parameter (when given) reads "Y",
 * and apparmorfs is a directory holding "profiles" and ".remove". */
void kp_kernel_check(const char *apparmorfs, const char *enabled_param,
    struct kp_aa_status *out);

/* ---- the kernel's profile list ---- */

struct kp_name_set {
	char **names;           /* sorted (strcmp), unique */
	size_t count;
	size_t capacity;
};

bool kp_name_set_contains(const struct kp_name_set *set, const char *name);
void kp_name_set_free(struct kp_name_set *set);

enum kp_profiles_status {
	KP_PROFILES_OK = 0,
	KP_PROFILES_IO_ERROR,   /* err has errno's text */
	KP_PROFILES_TOO_LARGE,  /* more than KP_PROFILES_READ_MAX bytes */
	KP_PROFILES_MALFORMED,  /* a line is not "<name> (<mode>)\n" */
};

/* Parse the text of <apparmorfs>/profiles: one "<name> (<mode>)" per line,
 * split at the LAST " (" because a (quoted) profile name may itself hold
 * spaces and parentheses; <mode> is [a-z]+.  A profile in a child namespace
 * is kept as printed (":ns://name"), so it never equals one of our names.
 * On anything but OK *out is empty and err says which line. */
enum kp_profiles_status kp_kernel_parse_profiles(const char *buf, size_t len,
    struct kp_name_set *out, char *err, size_t errlen);

/* ---- the interface ---- */

struct kp_kernel {
	int dirfd;                      /* apparmorfs, -1 when closed */
	char apparmorfs[PATH_MAX];
	char features_source[PATH_MAX]; /* what the interface was created with */
	void *kif;                      /* aa_kernel_interface */
};

/* The features source used when none is configured: the running kernel's
 * <apparmorfs>/features directory when it exists, else
 * KP_FEATURES_FILE_DEFAULT.  Writes the choice to buf. */
int kp_kernel_default_features(const char *apparmorfs, char *buf, size_t len);

/* Open apparmorfs and create libapparmor's kernel interface with a features
 * object read from features_path (NULL: kp_kernel_default_features).  The
 * interface must not be created without one: libapparmor would then read
 * the running kernel's features, which fails where the kernel has no
 * AppArmor (tests against a fake apparmorfs).  Refused when the features
 * lack policy/set_load: libapparmor then splits every write into policy
 * blobs, which for a name means reading past its end. */
int kp_kernel_open(struct kp_kernel *k, const char *apparmorfs,
    const char *features_path, char *err, size_t errlen);
void kp_kernel_close(struct kp_kernel *k);

/* Read and parse <apparmorfs>/profiles. */
enum kp_profiles_status kp_kernel_read_profiles(const struct kp_kernel *k,
    struct kp_name_set *out, char *err, size_t errlen);

enum kp_remove_status {
	KP_REMOVE_OK = 0,       /* removed */
	KP_REMOVE_ABSENT,       /* the kernel had no such profile: done too */
	KP_REMOVE_DENIED,       /* EACCES/EPERM: no CAP_MAC_ADMIN, or policy */
	KP_REMOVE_INVALID,      /* name fails the key rule: nothing written */
	KP_REMOVE_ERROR,        /* anything else; *err_out = errno */
};

/* Remove profile name (which must pass kp_key_is_valid: we only ever remove
 * our own).  err_out may be NULL. */
enum kp_remove_status kp_kernel_remove(struct kp_kernel *k, const char *name,
    int *err_out);

const char *kp_remove_status_name(enum kp_remove_status status);

#endif /* KP_LOADER_KERNEL_H */
