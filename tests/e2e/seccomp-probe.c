/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp-probe: proves, inside the QEMU guest, that a libseccomp filter
 * loads and is enforced by that kernel, the way the watcher's will be.
 *
 * It installs a filter that allows everything except mkdir/mkdirat, which
 * fail with ESRCH (an errno mkdir never returns on its own, so seeing it
 * proves the filter answered), then checks mkdir's errno and the Seccomp
 * and NoNewPrivs lines of /proc/self/status.  Prints one line; exits 0 when
 * all three hold.  Built and copied into the initramfs by build-initramfs.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <seccomp.h>

#define PROBE_ERRNO    ESRCH
#define PROBE_DIR      "/tmp/seccomp-probe-dir"
#define STATUS_PATH    "/proc/self/status"
#define STATUS_LINE_MAX 256

static int
install_filter(void)
{
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return -1;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(PROBE_ERRNO),
	    SCMP_SYS(mkdir), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(PROBE_ERRNO),
		    SCMP_SYS(mkdirat), 0);
	/* libseccomp sets no_new_privs first (SCMP_FLTATR_CTL_NNP). */
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}

/* Copy the value of "NAME:\t..." from /proc/self/status into val, without
 * the blanks after the colon. */
static int
status_value(const char *name, char *val, size_t len)
{
	char line[STATUS_LINE_MAX];
	size_t name_len = strlen(name);
	FILE *f;
	int found = -1;

	f = fopen(STATUS_PATH, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, name_len) != 0 || line[name_len] != ':')
			continue;
		snprintf(val, len, "%s",
		    line + name_len + 1 + strspn(line + name_len + 1, " \t"));
		val[strcspn(val, "\n")] = '\0';
		found = 0;
		break;
	}
	if (fclose(f) != 0)
		return -1;
	return found;
}

int
main(void)
{
	char seccomp[STATUS_LINE_MAX] = "?", nnp[STATUS_LINE_MAX] = "?";
	int mkdir_errno = 0, ok;

	if (install_filter() != 0) {
		printf("seccomp-probe: cannot load a filter\n");
		return 1;
	}
	if (mkdir(PROBE_DIR, 0700) != 0)
		mkdir_errno = errno;
	if (status_value("Seccomp", seccomp, sizeof(seccomp)) != 0 ||
	    status_value("NoNewPrivs", nnp, sizeof(nnp)) != 0) {
		printf("seccomp-probe: cannot read %s\n", STATUS_PATH);
		return 1;
	}
	ok = mkdir_errno == PROBE_ERRNO &&
	    strcmp(seccomp, "2") == 0 && strcmp(nnp, "1") == 0;
	printf("seccomp-probe: mkdir errno=%d (want %d) Seccomp:%s NoNewPrivs:%s"
	    " -> %s\n", mkdir_errno, PROBE_ERRNO, seccomp, nnp,
	    ok ? "filter enforced" : "NOT enforced");
	return ok ? 0 : 1;
}
