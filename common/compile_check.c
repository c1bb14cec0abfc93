/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule 7: compile an accepted profile with the real apparmor_parser, without
 * loading it and without touching any cache.
 *
 * Facts about apparmor_parser 3.0.8 this relies on (checked with strace and
 * in the parser's source; see docs/spawn.md):
 *  -Q (--skip-kernel-load)  compile only.  It is the parser's only
 *      privileged operation, so with -Q it neither checks privileges nor
 *      opens the apparmorfs interface: it works on a kernel without AppArmor.
 *  -K (--skip-cache)        no cache is read or written (no policy cache
 *      object is even created).
 *  -j0 (--jobs 0)           "no parallel work": the profile is compiled in
 *      the parser's own process instead of a forked worker, so the process
 *      we limit and kill is the one doing the work.
 *  --kernel-features FILE   the feature set to compile for, instead of
 *      /sys/kernel/security/apparmor/features, which is absent here.
 * The include base stays the default, /etc/apparmor.d.
 */
#include "common/compile_check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parser_output.h"

/* Template of the private directory, below $TMPDIR or /tmp. */
#define TMP_DIR_NAME   "kapparmor-check.XXXXXX"
#define TMP_BASE       "/tmp"
/* Path buffers: a TMPDIR longer than this falls back to /tmp. */
#define TMP_PATH_MAX   512
/* Replaces the private directory if a message names it without the file. */
#define TMP_DIR_LABEL  "<tmpdir>"

_Static_assert(KP_MESSAGE_MAX_LEN >= 4, "room for \"...\"");

void
kp_compile_opts_default(struct kp_compile_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->parser = KP_DEFAULT_PARSER;
	opts->features = KP_DEFAULT_FEATURES;
	kp_spawn_limits_default(&opts->limits);
	opts->limits.timeout_ms = KP_COMPILE_DEFAULT_TIMEOUT_MS;
	opts->limits.cpu_seconds = KP_COMPILE_DEFAULT_CPU_SECONDS;
}

static enum kp_reason
set_diag(struct kp_diag *diag, enum kp_reason reason, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum kp_reason
set_diag(struct kp_diag *diag, enum kp_reason reason, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	diag->reason = reason;
	diag->line = line;
	va_start(ap, fmt);
	(void)vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	return reason;
}

/* The key becomes the file name, so it must be one: the caller validated
 * it already (rule 1); this only refuses what would escape the directory. */
static bool
key_is_file_name(const char *key)
{
	size_t len = strlen(key);

	if (len == 0 || len > KP_KEY_MAX_LEN || strcmp(key, ".") == 0 ||
	    strcmp(key, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (key[i] == '/' || key[i] <= 0x20 || key[i] >= 0x7f)
			return false;
	return true;
}

struct private_copy {
	char dir[TMP_PATH_MAX];
	char path[TMP_PATH_MAX + KP_KEY_MAX_LEN + 2];
	int dirfd;
	bool file_created;
};

static const char *
tmp_base(void)
{
	const char *t = secure_getenv("TMPDIR");

	if (t == NULL || t[0] != '/' ||
	    strlen(t) + sizeof("/" TMP_DIR_NAME) > TMP_PATH_MAX)
		return TMP_BASE;
	return t;
}

/* mkdtemp (0700) and one file named like the key (0600, O_EXCL, no
 * symlinks followed) holding exactly the text. */
static int
private_copy_create(struct private_copy *pc, const char *key,
    const unsigned char *data, size_t len)
{
	int fd;

	pc->dirfd = -1;
	pc->file_created = false;
	pc->path[0] = '\0';
	if (snprintf(pc->dir, sizeof(pc->dir), "%s/%s", tmp_base(),
	    TMP_DIR_NAME) >= (int)sizeof(pc->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdtemp(pc->dir) == NULL) {
		pc->dir[0] = '\0';
		return -1;
	}
	pc->dirfd = open(pc->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* mkdtemp's mode is 0700 minus the umask: make it exactly 0700. */
	if (pc->dirfd < 0 || fchmod(pc->dirfd, 0700) < 0)
		return -1;
	fd = openat(pc->dirfd, key,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	pc->file_created = true;
	(void)snprintf(pc->path, sizeof(pc->path), "%s/%s", pc->dir, key);
	if (fchmod(fd, 0600) < 0)
		goto fail_fd;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail_fd;
		off += (size_t)n;
	}
	return close(fd);

fail_fd:;
	int saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static void
private_copy_remove(struct private_copy *pc, const char *key)
{
	if (pc->file_created && unlinkat(pc->dirfd, key, 0) < 0)
		kp_log(KP_LOG_WARN, "compile_tmp_cleanup", key,
		    "cannot remove %s: %s", pc->path, strerror(errno));
	if (pc->dirfd >= 0)
		(void)close(pc->dirfd);
	if (pc->dir[0] != '\0' && rmdir(pc->dir) < 0)
		kp_log(KP_LOG_WARN, "compile_tmp_cleanup", key,
		    "cannot remove %s: %s", pc->dir, strerror(errno));
}

static enum kp_reason
map_result(const struct kp_spawn_result *res, const char *parser,
    const struct kp_compile_opts *opts, const struct private_copy *pc,
    const char *key, struct kp_diag *diag)
{
	const struct kp_parser_names nm = {
		.path = pc->path,
		.key = key,
		.dir = pc->dir,
		.dir_label = TMP_DIR_LABEL,
	};

	return kp_parser_explain(res, parser, opts->limits.timeout_ms, &nm,
	    diag);
}

enum kp_reason
kp_compile_check(const char *key, const unsigned char *data, size_t len,
    const struct kp_compile_opts *opts, struct kp_diag *diag)
{
	struct kp_compile_opts defaults;
	struct private_copy pc;
	struct kp_spawn_result res;
	struct stat st;
	enum kp_reason reason;

	if (opts == NULL) {
		kp_compile_opts_default(&defaults);
		opts = &defaults;
	}
	const char *parser = opts->parser != NULL ? opts->parser : KP_DEFAULT_PARSER;
	const char *features = opts->features != NULL ? opts->features :
	    KP_DEFAULT_FEATURES;

	if (!key_is_file_name(key))
		return set_diag(diag, KP_REASON_KEY_FORMAT, 0,
		    "key cannot name a file");
	if (parser[0] != '/')
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "parser path %s is not absolute", parser);
	/* stat, not open: a FIFO planted as the features file cannot hang
	 * us, and the parser is not started for nothing. */
	if (stat(features, &st) < 0)
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "kernel features %s: %s", features, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "kernel features %s: not a file or directory", features);

	if (private_copy_create(&pc, key, data, len) < 0) {
		int err = errno;
		private_copy_remove(&pc, key);
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "cannot write a private copy: %s", strerror(err));
	}

	char *argv[] = {
		(char *)parser,
		"-Q",                   /* --skip-kernel-load */
		"-K",                   /* --skip-cache */
		"-j0",                  /* --jobs 0: compile in-process */
		"--kernel-features",
		(char *)features,
		pc.path,
		NULL,
	};
	if (kp_spawn_run(parser, argv, &opts->limits, &res) < 0) {
		int err = errno;
		private_copy_remove(&pc, key);
		return set_diag(diag, KP_REASON_COMPILE_UNAVAILABLE, 0,
		    "cannot run %s: %s", parser, strerror(err));
	}
	reason = map_result(&res, parser, opts, &pc, key, diag);
	kp_spawn_result_free(&res);
	private_copy_remove(&pc, key);
	return reason;
}
