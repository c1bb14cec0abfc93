/* SPDX-License-Identifier: Apache-2.0 */
#include "loader/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/validator.h"
#include "loader/fsutil.h"
#include "common/errbuf.h"

#define PROFILES_FILE   "profiles"
#define REMOVE_FILE     ".remove"
#define FEATURES_DIR    "features"
#define SET_LOAD        "policy/set_load"


/* ---- presence ---- */

/* Read the module parameter: 'Y' or 'N' and a newline. */
static int
read_enabled_param(const char *path, char *value)
{
	char *buf;
	size_t len;
	int fd, saved;

	fd = kp_open_regular(AT_FDCWD, path);
	if (fd < 0)
		return -1;
	if (kp_read_capped(fd, KP_AA_PARAM_READ_MAX, &buf, &len) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (len == 2 && buf[1] == '\n' && (buf[0] == 'Y' || buf[0] == 'N')) {
		*value = buf[0];
		free(buf);
		return 0;
	}
	free(buf);
	errno = EINVAL;
	return -1;
}

void
kp_kernel_check(const char *apparmorfs, const char *enabled_param,
    struct kp_aa_status *out)
{
	struct stat st;
	int dirfd;

	out->state = KP_AA_UNAVAILABLE;
	out->reason[0] = '\0';
	if (enabled_param != NULL) {
		char value;

		if (read_enabled_param(enabled_param, &value) != 0) {
			if (errno == ENOENT) {
				out->state = KP_AA_ABSENT;
				kp_set_err(out->reason, sizeof(out->reason),
				    "AppArmor is not in this kernel (no %s)",
				    enabled_param);
			} else {
				kp_set_err(out->reason, sizeof(out->reason),
				    "cannot read %s: %s", enabled_param,
				    strerror(errno));
			}
			return;
		}
		if (value != 'Y') {
			out->state = KP_AA_DISABLED;
			kp_set_err(out->reason, sizeof(out->reason),
			    "AppArmor is disabled in this kernel (%s is N)",
			    enabled_param);
			return;
		}
	}
	dirfd = open(apparmorfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		kp_set_err(out->reason, sizeof(out->reason),
		    "no AppArmor filesystem at %s: %s", apparmorfs,
		    strerror(errno));
		return;
	}
	if (fstatat(dirfd, PROFILES_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode)) {
		kp_set_err(out->reason, sizeof(out->reason),
		    "%s/" PROFILES_FILE " is missing: not an AppArmor filesystem",
		    apparmorfs);
		close(dirfd);
		return;
	}
	if (fstatat(dirfd, REMOVE_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		kp_set_err(out->reason, sizeof(out->reason),
		    "%s/" REMOVE_FILE " is missing: not an AppArmor filesystem",
		    apparmorfs);
		close(dirfd);
		return;
	}
	close(dirfd);
	out->state = KP_AA_ENABLED;
	kp_set_err(out->reason, sizeof(out->reason), "AppArmor is enabled (%s)",
	    apparmorfs);
}

/* ---- name sets ---- */

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
kp_name_set_contains(const struct kp_name_set *set, const char *name)
{
	return set->count > 0 && bsearch(&name, set->names, set->count,
	    sizeof(set->names[0]), str_ptr_cmp) != NULL;
}

void
kp_name_set_free(struct kp_name_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->names[i]);
	free(set->names);
	set->names = NULL;
	set->count = 0;
	set->capacity = 0;
}

static int
name_set_add(struct kp_name_set *set, const char *p, size_t len)
{
	char *copy;

	if (set->count == set->capacity) {
		size_t ncap = set->capacity == 0 ? 64 : set->capacity * 2;
		char **n = reallocarray(set->names, ncap, sizeof(*n));

		if (n == NULL)
			return -1;
		set->names = n;
		set->capacity = ncap;
	}
	copy = strndup(p, len);
	if (copy == NULL)
		return -1;
	set->names[set->count++] = copy;
	return 0;
}

static void
name_set_sort_unique(struct kp_name_set *set)
{
	size_t out = 0;

	if (set->count == 0)
		return;
	qsort(set->names, set->count, sizeof(set->names[0]), str_ptr_cmp);
	for (size_t i = 0; i < set->count; i++) {
		if (out > 0 && strcmp(set->names[out - 1], set->names[i]) == 0) {
			free(set->names[i]);
			continue;
		}
		set->names[out++] = set->names[i];
	}
	set->count = out;
}

/* ---- the profile list ---- */

/* Length of the name in "<name> (<mode>)", or 0 when the line is not of
 * that shape. */
static size_t
profile_line_name_len(const char *line, size_t len)
{
	size_t open = len;

	if (len < 4 || line[len - 1] != ')')
		return 0;
	/* The last " (" */
	for (size_t i = len - 1; i >= 2; i--) {
		if (line[i - 1] == '(' && line[i - 2] == ' ') {
			open = i - 2;
			break;
		}
	}
	if (open == len || open == 0)
		return 0;
	/* The mode: [a-z]+ between "(" and ")". */
	if (open + 2 >= len - 1)
		return 0;
	for (size_t i = open + 2; i < len - 1; i++) {
		if (line[i] < 'a' || line[i] > 'z')
			return 0;
	}
	return open;
}

enum kp_profiles_status
kp_kernel_parse_profiles(const char *buf, size_t len, struct kp_name_set *out,
    char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned lineno = 0;

	out->names = NULL;
	out->count = 0;
	out->capacity = 0;
	if (len > (size_t)KP_PROFILES_READ_MAX) {
		kp_set_err(err, errlen, "larger than %d bytes", KP_PROFILES_READ_MAX);
		return KP_PROFILES_TOO_LARGE;
	}
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen, nlen;

		lineno++;
		if (nl == NULL) {
			kp_set_err(err, errlen, "line %u: no newline", lineno);
			goto malformed;
		}
		llen = (size_t)(nl - line);
		pos += llen + 1;
		if (memchr(line, '\0', llen) != NULL) {
			kp_set_err(err, errlen, "line %u: NUL byte", lineno);
			goto malformed;
		}
		nlen = profile_line_name_len(line, llen);
		if (nlen == 0) {
			kp_set_err(err, errlen, "line %u: not \"<name> (<mode>)\"",
			    lineno);
			goto malformed;
		}
		if (name_set_add(out, line, nlen) != 0) {
			kp_set_err(err, errlen, "out of memory");
			kp_name_set_free(out);
			return KP_PROFILES_IO_ERROR;
		}
	}
	name_set_sort_unique(out);
	return KP_PROFILES_OK;
malformed:
	kp_name_set_free(out);
	return KP_PROFILES_MALFORMED;
}

/* ---- the interface ---- */

int
kp_kernel_default_features(const char *apparmorfs, char *buf, size_t len)
{
	struct stat st;
	int n;

	n = snprintf(buf, len, "%s/" FEATURES_DIR, apparmorfs);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	n = snprintf(buf, len, "%s", KP_FEATURES_FILE_DEFAULT);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void
kp_kernel_close(struct kp_kernel *k)
{
	if (k->kif != NULL)
		aa_kernel_interface_unref(k->kif);
	k->kif = NULL;
	if (k->dirfd >= 0)
		close(k->dirfd);
	k->dirfd = -1;
}

int
kp_kernel_open(struct kp_kernel *k, const char *apparmorfs,
    const char *features_path, char *err, size_t errlen)
{
	aa_kernel_interface *kif = NULL;
	aa_features *features = NULL;
	int n, saved;

	k->dirfd = -1;
	k->kif = NULL;
	n = snprintf(k->apparmorfs, sizeof(k->apparmorfs), "%s", apparmorfs);
	if (n < 0 || (size_t)n >= sizeof(k->apparmorfs)) {
		kp_set_err(err, errlen, "apparmorfs path too long");
		errno = ENAMETOOLONG;
		return -1;
	}
	if (features_path == NULL) {
		if (kp_kernel_default_features(apparmorfs, k->features_source,
		    sizeof(k->features_source)) != 0) {
			kp_set_err(err, errlen, "features path too long");
			return -1;
		}
	} else {
		n = snprintf(k->features_source, sizeof(k->features_source),
		    "%s", features_path);
		if (n < 0 || (size_t)n >= sizeof(k->features_source)) {
			kp_set_err(err, errlen, "features path too long");
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	k->dirfd = open(apparmorfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->dirfd < 0) {
		saved = errno;
		kp_set_err(err, errlen, "cannot open %s: %s", apparmorfs,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	if (aa_features_new(&features, AT_FDCWD, k->features_source) != 0) {
		saved = errno;
		kp_set_err(err, errlen, "cannot read AppArmor features from %s: %s",
		    k->features_source, strerror(saved));
		goto fail;
	}
	if (!aa_features_supports(features, SET_LOAD)) {
		kp_set_err(err, errlen,
		    "the features in %s lack " SET_LOAD
		    " (the kernel or the features file is too old)",
		    k->features_source);
		aa_features_unref(features);
		saved = ENOTSUP;
		goto fail;
	}
	if (aa_kernel_interface_new(&kif, features, apparmorfs) != 0) {
		saved = errno;
		kp_set_err(err, errlen, "cannot use the AppArmor interface at %s: %s",
		    apparmorfs, strerror(saved));
		aa_features_unref(features);
		goto fail;
	}
	aa_features_unref(features);
	k->kif = kif;
	return 0;
fail:
	close(k->dirfd);
	k->dirfd = -1;
	errno = saved;
	return -1;
}

enum kp_profiles_status
kp_kernel_read_profiles(const struct kp_kernel *k, struct kp_name_set *out,
    char *err, size_t errlen)
{
	enum kp_profiles_status status;
	char *buf;
	size_t len;
	int fd, saved;

	out->names = NULL;
	out->count = 0;
	out->capacity = 0;
	fd = kp_open_regular(k->dirfd, PROFILES_FILE);
	if (fd < 0) {
		kp_set_err(err, errlen, "cannot open %s/" PROFILES_FILE ": %s",
		    k->apparmorfs, strerror(errno));
		return KP_PROFILES_IO_ERROR;
	}
	if (kp_read_capped(fd, (size_t)KP_PROFILES_READ_MAX, &buf, &len) != 0) {
		saved = errno;
		close(fd);
		if (saved == E2BIG) {
			kp_set_err(err, errlen, "larger than %d bytes",
			    KP_PROFILES_READ_MAX);
			return KP_PROFILES_TOO_LARGE;
		}
		kp_set_err(err, errlen, "cannot read %s/" PROFILES_FILE ": %s",
		    k->apparmorfs, strerror(saved));
		return KP_PROFILES_IO_ERROR;
	}
	close(fd);
	status = kp_kernel_parse_profiles(buf, len, out, err, errlen);
	free(buf);
	return status;
}

enum kp_remove_status
kp_kernel_remove(struct kp_kernel *k, const char *name, int *err_out)
{
	struct stat st;
	int saved;

	if (err_out != NULL)
		*err_out = 0;
	if (!kp_key_is_valid(name, strlen(name)))
		return KP_REMOVE_INVALID;
	/* libapparmor's ENOENT would be ambiguous: the kernel answers ENOENT
	 * for an unknown profile, and openat for a missing interface. */
	if (fstatat(k->dirfd, REMOVE_FILE, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (err_out != NULL)
			*err_out = errno;
		return KP_REMOVE_ERROR;
	}
	if (aa_kernel_interface_remove_policy(k->kif, name) == 0)
		return KP_REMOVE_OK;
	saved = errno;
	if (err_out != NULL)
		*err_out = saved;
	switch (saved) {
	case ENOENT:
		return KP_REMOVE_ABSENT;
	case EACCES:
	case EPERM:
		return KP_REMOVE_DENIED;
	default:
		return KP_REMOVE_ERROR;
	}
}

const char *
kp_remove_status_name(enum kp_remove_status status)
{
	switch (status) {
	case KP_REMOVE_OK:
		return "removed";
	case KP_REMOVE_ABSENT:
		return "absent";
	case KP_REMOVE_DENIED:
		return "denied";
	case KP_REMOVE_INVALID:
		return "invalid-name";
	case KP_REMOVE_ERROR:
		return "error";
	}
	return "unknown";
}
